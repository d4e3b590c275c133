import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from outcomes.exports import pseudonym
from outcomes.fhir import questionnaire_response
from outcomes.loading import catalogue
from surveys.models import Response
from tests.api.conftest import auth, responded_patient

pytestmark = pytest.mark.django_db

URL = "/api/v1/exports/responses/fhir/"


def bundle_for(raw_key, **params):
    response = Client().get(URL, params, **auth(raw_key))
    assert response.status_code == 200
    return response.json()


def test_the_export_is_a_valid_fhir_bundle_of_questionnaire_responses(key_a, responses_a_and_b):
    data = bundle_for(key_a)

    bundle = Bundle.model_validate(data)
    resources = [QuestionnaireResponse.model_validate(e["resource"]) for e in data["entry"]]
    stored = responses_a_and_b[0]
    assert bundle.type == "collection"
    assert {r.questionnaire.split("|")[0].rsplit("/", 1)[1] for r in resources} == {
        result.instrument.code for result in stored.results.all()
    }


def test_each_response_points_at_its_questionnaire_and_a_pseudonymous_subject(
    key_a, responses_a_and_b
):
    stored = responses_a_and_b[0]
    resource = bundle_for(key_a)["entry"][0]["resource"]

    code = resource["questionnaire"].split("|")[0].rsplit("/", 1)[1]
    version = resource["questionnaire"].split("|")[1]
    questionnaire = Client().get(f"/api/v1/instruments/{code}/fhir/?version={version}").json()
    assert resource["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
    assert resource["subject"] == {
        "identifier": {
            "system": "http://testserver/fhir/pseudonym",
            "value": pseudonym(stored.invitation.episode.patient_id),
        }
    }
    assert resource["authored"] == "2026-01-12"


def test_answers_are_codings_from_the_questionnaire_or_integers():
    spec = catalogue().instrument("peg")
    answers = {item.id: (item.minimum if item.kind == "integer" else None) for item in spec.items}

    resource = questionnaire_response(
        spec=spec,
        answers=answers,
        resource_id="1-peg",
        subject_system="https://proms.test/fhir/pseudonym",
        subject="abc",
        authored="2026-03-02",
        base_url="https://proms.test/",
    )

    QuestionnaireResponse.model_validate(resource)
    assert all("valueInteger" in item["answer"][0] for item in resource["item"])


def test_choice_answers_are_value_codings_in_the_items_system():
    spec = catalogue().instrument("oks")
    first = spec.items[0]

    resource = questionnaire_response(
        spec=spec,
        answers={first.id: first.options[0].code},
        resource_id="1-oks",
        subject_system="https://proms.test/fhir/pseudonym",
        subject="abc",
        authored="2026-03-02",
        base_url="https://proms.test/",
    )

    coding = resource["item"][0]["answer"][0]["valueCoding"]
    assert coding["system"] == f"https://proms.test/fhir/Questionnaire/oks/{first.id}"
    assert coding["code"] == str(first.options[0].code)
    QuestionnaireResponse.model_validate(resource)


def test_the_fhir_export_pages_with_a_next_link_and_stays_within_the_keys_providers(
    key_a, provider_a, provider_b
):
    for _ in range(2):
        responded_patient(provider_a)
        responded_patient(provider_b)

    first = bundle_for(key_a, page_size=1)
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = Client().get(next_url, **auth(key_a)).json()

    subjects = {
        entry["resource"]["subject"]["identifier"]["value"]
        for page in (first, second)
        for entry in page["entry"]
    }
    own = {
        pseudonym(patient_id)
        for patient_id in Response.objects.filter(
            invitation__episode__provider=provider_a
        ).values_list("invitation__episode__patient_id", flat=True)
    }
    assert subjects == own and len(subjects) == 2
