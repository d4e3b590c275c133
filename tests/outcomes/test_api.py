import json

import pytest
from django.test import Client


@pytest.fixture
def client():
    return Client()


def post_score(client, code, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        f"/api/v1/instruments/{code}/score/", data=data, content_type="application/json"
    )


def test_instrument_list_names_every_contract_instrument(client):
    response = client.get("/api/v1/instruments/")

    codes = {entry["code"] for entry in response.json()["instruments"]}
    assert response.status_code == 200
    assert {
        "mskt-core", "msk-hq", "eq-5d-5l", "oks", "ohs", "odi", "startback", "nrs-pain", "peg",
        "fiqr",
    } <= codes  # fmt: skip


def test_instrument_list_shows_each_licence_holder_and_notice(client):
    entries = client.get("/api/v1/instruments/").json()["instruments"]

    assert all(entry["licence"]["holder"] and entry["licence"]["notice"] for entry in entries)


def test_instrument_detail_describes_items_options_and_scores(client):
    detail = client.get("/api/v1/instruments/oks/").json()

    assert len(detail["items"]) == 12
    assert [o["code"] for o in detail["items"][0]["options"]] == [4, 3, 2, 1, 0]
    assert detail["scores"][0]["name"] == "total"
    assert detail["scores"][0]["mic"] == 7


def test_instrument_detail_of_an_unknown_code_is_404(client):
    response = client.get("/api/v1/instruments/sf-36/")

    assert response.status_code == 404
    assert "sf-36" in response.json()["error"]


def test_scoring_answers_given_as_a_list_in_item_order(client):
    response = post_score(client, "oks", {"answers": [4] * 12})

    assert response.status_code == 200
    assert response.json()["instrument"] == "oks"
    assert response.json()["scores"] == {"total": 48}
    assert response.json()["outcomes"]["quality-of-life"] == 100.0


def test_scoring_answers_given_by_item_id_treats_absent_items_as_missing(client):
    response = post_score(client, "nrs-pain", {"answers": {}})

    assert response.status_code == 200
    assert response.json()["scores"] == {"score": None}


def test_scoring_reports_the_version_that_scored(client, definitions):
    response = post_score(client, "nrs-pain", {"answers": [7]})

    assert response.json()["version"] == definitions.instrument("nrs-pain").version


def test_scoring_an_unknown_instrument_is_404(client):
    response = post_score(client, "sf-36", {"answers": [1]})

    assert response.status_code == 404


def test_scoring_the_wrong_number_of_answers_is_400_saying_how_many(client):
    response = post_score(client, "oks", {"answers": [4] * 11})

    assert response.status_code == 400
    assert "oks has 12 items; 11 answers were given" in response.json()["error"]


def test_scoring_a_value_outside_an_items_options_is_400_naming_the_item(client):
    answers = [4] * 12
    answers[3] = 7

    response = post_score(client, "oks", {"answers": answers})

    assert response.status_code == 400
    assert response.json()["items"] == [
        {
            "item": "oks04",
            "message": "Item 'oks04' does not accept 7; it takes one of 0, 1, 2, 3, 4.",
        }
    ]


@pytest.mark.parametrize("value", ["4", 4.0, True, [4], {"v": 4}])
def test_scoring_a_value_of_the_wrong_type_is_400_naming_the_item(client, value):
    response = post_score(client, "nrs-pain", {"answers": [value]})

    assert response.status_code == 400
    assert response.json()["items"][0]["item"] == "nrs01"


def test_scoring_an_unknown_item_id_is_400_naming_it(client):
    response = post_score(client, "nrs-pain", {"answers": {"q99": 3}})

    assert response.status_code == 400
    assert "'q99' is not an item of nrs-pain" in response.json()["error"]


def test_scoring_malformed_json_is_400(client):
    response = post_score(client, "oks", '{"answers": [4, 4,')

    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


@pytest.mark.parametrize("body", [{}, {"answers": "4,4,4"}, {"answers": 4}, [4, 4]])
def test_scoring_a_body_without_usable_answers_is_400(client, body):
    response = post_score(client, "oks", body)

    assert response.status_code == 400


def test_scoring_eq_5d_5l_with_another_value_set_labels_the_index(client):
    response = post_score(
        client, "eq-5d-5l", {"answers": [5, 5, 5, 5, 5, 50], "options": {"value_set": "uk-2026"}}
    )

    assert response.json()["scores"]["index"] == -0.567
    assert response.json()["scores"]["value_set"] == "uk-2026"


def test_scoring_eq_5d_5l_with_an_unknown_value_set_is_400(client):
    response = post_score(
        client, "eq-5d-5l", {"answers": [1, 1, 1, 1, 1, 50], "options": {"value_set": "mars"}}
    )

    assert response.status_code == 400
    assert "mars" in response.json()["error"]


def test_the_score_endpoint_does_not_accept_get(client):
    assert client.get("/api/v1/instruments/oks/score/").status_code == 405


def test_outcomes_list_gives_the_agreed_outcomes_with_their_wording(client):
    outcomes = client.get("/api/v1/outcomes/").json()["outcomes"]

    living = [o["code"] for o in outcomes if o["group"] == "living-with-msk"]
    assert living == ["quality-of-life", "pain", "understanding", "self-management"]


def test_conditions_list_gives_each_active_condition_a_pathway(client):
    conditions = client.get("/api/v1/conditions/").json()["conditions"]

    active = {c["code"]: c for c in conditions if c["active"]}
    assert set(active) == {"back-pain", "knee-pain", "fibromyalgia"}
    assert all(condition["pathways"] for condition in active.values())


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_scoring_json_nested_thousands_deep_is_400_not_500(client, opening):
    closing = "]" if opening == "[" else "}"
    response = post_score(client, "oks", opening * 5000 + "1" + closing * 5000)

    assert response.status_code == 400
    assert "nested more than" in response.json()["error"]


def test_scoring_ordinary_nesting_is_still_parsed(client):
    response = post_score(client, "nrs-pain", {"answers": [3], "options": {}})

    assert response.status_code == 200


def test_scoring_a_body_over_the_upload_limit_is_413_saying_the_limit(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_score(client, "oks", {"answers": [4] * 1000})

    assert response.status_code == 413
    assert "at most 1000 bytes" in response.json()["error"]


def test_scoring_nan_is_not_json(client):
    response = post_score(client, "nrs-pain", '{"answers": [NaN]}')

    assert response.status_code == 400
