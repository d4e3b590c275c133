import csv
import io

import pytest
from django.test import Client

from outcomes.access import api_key_issue
from outcomes.exports import age_band, pseudonym
from tests.api.conftest import auth, responded_patient

pytestmark = pytest.mark.django_db

URL = "/api/v1/exports/responses/"
IDENTIFIERS = ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode", "address")


def get(raw_key, url=URL, **params):
    return Client().get(url, params, **auth(raw_key))


def test_a_key_sees_only_its_own_providers_rows(key_a, responses_a_and_b):
    response = get(key_a)

    rows = response.json()["results"]
    assert response.status_code == 200
    assert [row["provider"] for row in rows] == ["RAA01"]


def test_a_row_is_pseudonymised_with_scores_stored_at_submission(key_a, responses_a_and_b):
    stored = responses_a_and_b[0]

    row = get(key_a).json()["results"][0]

    patient = stored.invitation.episode.patient
    assert row["patient"] == pseudonym(patient.pk)
    assert row["age_band"] == "65-74"
    assert row["imd_decile"] == 3 and row["practice"] == "C84001"
    assert row["condition"] == "knee-pain" and row["timepoint"] == "baseline"
    assert row["days_since_referral"] == 7
    for result in stored.results.all():
        assert row["scores"][result.instrument.code] == result.scores
        assert row["outcomes"][result.instrument.code] == result.outcomes


def test_no_identifier_appears_in_any_export_format(key_a, responses_a_and_b):
    patient = responses_a_and_b[0].invitation.episode.patient
    bodies = [
        get(key_a).content.decode(),
        get(key_a, format="csv").content.decode(),
        get(key_a, URL + "fhir/").content.decode(),
    ]

    for body in bodies:
        for value in (patient.nhs_number, patient.family_name, "1958-06-01", patient.postcode):
            assert value not in body
        assert not any(name in body for name in IDENTIFIERS)
        assert patient.mobile not in body and patient.email not in body


def test_asking_for_another_providers_rows_is_403_and_shows_nothing(key_a, responses_a_and_b):
    response = get(key_a, provider="RBB02")

    assert response.status_code == 403
    assert "results" not in response.json()
    assert "RBB02" in response.json()["error"]


def test_an_unknown_provider_gets_the_same_403(key_a, responses_a_and_b):
    assert get(key_a, provider="ZZZ99").status_code == 403


def test_other_formats_of_another_provider_are_refused_too(key_a, responses_a_and_b):
    assert get(key_a, provider="RBB02", format="csv").status_code == 403
    assert get(key_a, URL + "fhir/", provider="RBB02").status_code == 403


def test_a_forged_cursor_never_reaches_another_provider(key_a, provider_a, provider_b):
    for _ in range(3):
        responded_patient(provider_a)
        responded_patient(provider_b)

    seen = []
    page = get(key_a, page_size=1).json()
    seen += page["results"]
    while page["next"]:
        page = Client().get(page["next"], **auth(key_a)).json()
        seen += page["results"]
    forged = Client().get(URL, {"cursor": "cD0w"}, **auth(key_a))  # "p=0": from the start

    assert {row["provider"] for row in seen} == {"RAA01"} and len(seen) == 3
    assert {row["provider"] for row in forged.json()["results"]} == {"RAA01"}


def test_a_garbage_cursor_is_404_not_500(key_a):
    response = get(key_a, cursor="not-base64!")

    assert response.status_code == 404
    assert "cursor" in response.json()["error"]


def test_a_key_without_providers_is_403_saying_why(key_none, responses_a_and_b):
    response = get(key_none)

    assert response.status_code == 403
    assert "patient-level" in response.json()["error"]


def test_a_key_for_two_providers_can_filter_to_one(provider_a, provider_b, responses_a_and_b):
    _client, raw_key = api_key_issue(name="ICB", providers=[provider_a, provider_b])

    both = get(raw_key).json()["results"]
    only_b = get(raw_key, provider="rbb02").json()["results"]

    assert sorted(row["provider"] for row in both) == ["RAA01", "RBB02"]
    assert [row["provider"] for row in only_b] == ["RBB02"]


def test_condition_and_period_filter_rows(key_a, responses_a_and_b):
    assert len(get(key_a, condition="knee-pain").json()["results"]) == 1
    assert get(key_a, condition="back-pain").json()["results"] == []
    assert len(get(key_a, period="2026Q1").json()["results"]) == 1
    assert len(get(key_a, period="2026-01").json()["results"]) == 1
    assert get(key_a, period="2026-02").json()["results"] == []


def test_a_bad_period_is_400_naming_the_field(key_a):
    response = get(key_a, period="spring")

    assert response.status_code == 400
    assert "period" in response.json()["fields"]


def test_a_missing_key_is_401(db):
    response = Client().get(URL)

    assert response.status_code == 401
    assert "API key" in response.json()["error"]


def test_staff_signed_in_see_their_own_providers_rows(provider_b, responses_a_and_b):
    from tests.factories import UserFactory

    user = UserFactory(username="physio-b", is_staff=True)
    provider_b.staff.add(user)
    browser = Client()
    browser.force_login(user)

    rows = browser.get(URL).json()["results"]

    assert [row["provider"] for row in rows] == ["RBB02"]


def test_the_csv_export_has_one_line_per_response_with_dotted_score_columns(
    key_a, responses_a_and_b
):
    response = get(key_a, format="csv")

    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert len(lines) == 1 and lines[0]["provider"] == "RAA01"
    assert any(column.startswith("scores.oks.") for column in lines[0])


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [("1958-06-01", "2026-05-31", "65-74"), ("1958-06-01", "2033-06-01", "75-84")],
)
def test_age_bands_turn_over_on_the_birthday(born, on, band):
    import datetime as dt

    assert age_band(dt.date.fromisoformat(born), dt.date.fromisoformat(on)) == band


def test_every_page_served_is_audited_with_the_keys_client_and_the_rows(key_a, responses_a_and_b):
    from outcomes.models import ApiClient, AuditEvent

    get(key_a, condition="knee-pain", format="csv")

    event = AuditEvent.objects.get(action="read", object_type="export.responses")
    assert event.actor is None
    assert event.details == {
        "api_client": ApiClient.objects.get().pk,
        "filters": {"condition": "knee-pain"},
        "format": "csv",
        "responses": [responses_a_and_b[0].pk],
    }


def test_the_next_page_is_also_a_link_header_so_csv_clients_can_follow_it(key_a, provider_a):
    for _ in range(2):
        responded_patient(provider_a)

    response = get(key_a, page_size=1, format="csv")

    assert response["Link"].startswith("<http://testserver/api/v1/exports/responses/?cursor=")
    assert response["Link"].endswith('>; rel="next"')


def test_the_export_reads_a_page_in_a_fixed_number_of_queries(
    key_a, provider_a, django_assert_max_num_queries
):
    for _ in range(5):
        responded_patient(provider_a)

    with django_assert_max_num_queries(9):
        rows = get(key_a).json()["results"]

    assert len(rows) == 5
