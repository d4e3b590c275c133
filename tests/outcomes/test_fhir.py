import pytest
from django.test import Client
from fhir.resources.R4B.questionnaire import Questionnaire

from outcomes.fhir import questionnaire
from outcomes.loading import catalogue

CODES = [spec.code for spec in catalogue().current_instruments()]


@pytest.mark.parametrize("code", CODES)
def test_every_instrument_exports_as_a_valid_fhir_questionnaire(code):
    spec = catalogue().instrument(code)

    resource = Questionnaire.model_validate(questionnaire(spec, "https://proms.test/"))

    assert [item.linkId for item in resource.item] == list(spec.item_ids)


def test_a_licensed_instrument_exports_labels_and_its_copyright_not_its_wording():
    spec = catalogue().instrument("oks")

    resource = questionnaire(spec, "https://proms.test/")

    assert resource["item"][0]["text"] == spec.items[0].label
    assert resource["copyright"] == spec.licence.notice


def test_the_fhir_endpoint_serves_the_questionnaire():
    response = Client().get("/api/v1/instruments/peg/fhir/")

    assert response.json()["resourceType"] == "Questionnaire"
    assert response.json()["url"] == "http://testserver/fhir/Questionnaire/peg"
