import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.forms import PatientForm
from surveys.models import Patient
from tests.factories import PatientFactory, PostcodeAreaFactory, PracticeFactory

pytestmark = pytest.mark.django_db

VALID_NHS = "9434765919"


def form_data(**overrides):
    data = {
        "nhs_number": "943 476 5919",
        "given_name": "Sam",
        "family_name": "Example",
        "date_of_birth_0": "14",
        "date_of_birth_1": "3",
        "date_of_birth_2": "1948",
        "sex": "female",
        "address_line_1": "1 Test Street",
        "address_line_2": "",
        "town": "Mansfield",
        "postcode": "ng181aa",
        "practice": "",
        "mobile": "07700 900123",
        "email": "",
        "preferred_channel": "sms",
        "preferred_language": "en",
        "contact_consent": "on",
    }
    data.update(overrides)
    return data


def post(client, **overrides):
    return client.post(reverse("staff:patient_new"), form_data(**overrides))


def assert_error(response, field, text):
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="nhsuk-error-summary"' in body
    assert "There is a problem" in body
    assert f'id="{field}-error"' in body
    assert text in body
    assert not Patient.objects.filter(nhs_number=VALID_NHS).exists()


def test_create_patient_normalises_and_goes_to_enrol(client_a, staff_a):
    practice = PracticeFactory()
    response = post(client_a, practice=str(practice.pk), email="Sam@Example.NHS.UK")
    patient = Patient.objects.get(nhs_number=VALID_NHS)
    assert response.status_code == 302
    assert response.url == reverse("staff:episode_new", args=[patient.pk])
    assert patient.postcode == "NG18 1AA"
    assert patient.mobile == "+447700900123"
    assert patient.email == "Sam@example.nhs.uk"
    assert patient.practice == practice
    assert patient.created_by == staff_a
    assert patient.contact_consent is True
    # the creator can see the patient before any enrolment
    assert client_a.get(reverse("staff:patient_detail", args=[patient.pk])).status_code == 200


def test_invalid_nhs_number(client_a):
    assert_error(post(client_a, nhs_number="943 476 5918"), "nhs_number", "valid NHS number")
    assert_error(post(client_a, nhs_number="12345"), "nhs_number", "10 digits")


def test_duplicate_patient_links_to_existing(client_a):
    PatientFactory(nhs_number=VALID_NHS)
    response = post(client_a)
    body = response.content.decode()
    assert "already exists" in body
    assert f'href="{reverse("staff:patient_find")}"' in body
    assert VALID_NHS not in body.split("already exists")[1].split("</a>")[0]  # not in the link
    summary = body.split('nhsuk-error-summary__list">')[1].split("</ul>")[0]
    assert summary.count("<a ") == 1  # plain text in the summary's link, no nested link
    assert Patient.objects.filter(nhs_number=VALID_NHS).count() == 1


def test_bad_postcode(client_a):
    assert_error(post(client_a, postcode="NG18"), "postcode", "full UK postcode")


def test_future_date_of_birth(client_a):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = post(
        client_a,
        date_of_birth_0=str(tomorrow.day),
        date_of_birth_1=str(tomorrow.month),
        date_of_birth_2=str(tomorrow.year),
    )
    assert_error(response, "date_of_birth", "today or in the past")


def test_date_before_1900_and_unreal_date(client_a):
    assert_error(post(client_a, date_of_birth_2="1899"), "date_of_birth", "after 1 January 1900")
    assert_error(
        post(client_a, date_of_birth_0="31", date_of_birth_1="2"), "date_of_birth", "real date"
    )


def test_channel_without_contact(client_a):
    assert_error(post(client_a, mobile=""), "mobile", "mobile number to send links")
    assert_error(post(client_a, preferred_channel="email"), "email", "email address to send links")


def test_bad_mobile(client_a):
    assert_error(post(client_a, mobile="01623 000000"), "mobile", "UK mobile number")


def test_errors_keep_values_and_mark_fields(client_a):
    body = post(client_a, postcode="bad").content.decode()
    assert 'value="Sam"' in body
    assert 'aria-describedby="postcode-error"' in body
    assert '<legend class="nhsuk-fieldset__legend' in body
    assert 'href="#postcode"' in body


def find(client, number):
    return client.post(reverse("staff:patient_find"), {"nhs_number": number})


def test_find_existing_goes_to_patient(client_a, episode_a):
    response = find(client_a, episode_a.patient.nhs_number)
    assert response.url == reverse("staff:patient_detail", args=[episode_a.patient.pk])


def test_find_unknown_offers_create_prefilled_without_the_number_in_the_address(client_a):
    response = find(client_a, "943 476 5919")
    assert response.url == reverse("staff:patient_new")
    page = client_a.get(response.url).content.decode()
    assert f'value="{VALID_NHS}"' in page


def test_the_find_form_is_a_post_with_a_csrf_token(client_a):
    page = client_a.get(reverse("staff:home")).content.decode()
    form = page.split('class="staff-find"')[0].rsplit("<form", 1)[1]
    assert 'method="post"' in form
    assert "csrfmiddlewaretoken" in page.split('class="staff-find"')[1].split("</form>")[0]


def test_finding_by_an_address_with_an_nhs_number_does_not_search(client_a, episode_a):
    url = reverse("staff:patient_find") + f"?nhs_number={episode_a.patient.nhs_number}"
    response = client_a.get(url)
    assert response.status_code == 200  # the search form again, not a redirect to the patient
    assert episode_a.patient.nhs_number not in response.content.decode()


def test_a_duplicate_on_add_a_patient_leads_to_the_search_with_the_number_ready(client_a):
    PatientFactory(nhs_number=VALID_NHS)
    post(client_a)
    page = client_a.get(reverse("staff:patient_find")).content.decode()
    assert f'value="{VALID_NHS}"' in page


def test_find_invalid_number(client_a):
    response = find(client_a, "123")
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


def test_find_patient_of_another_service_allows_enrolment_only(client_a, episode_b):
    patient = episode_b.patient
    response = find(client_a, patient.nhs_number)
    assert response.url == reverse("staff:episode_new", args=[patient.pk])
    assert client_a.get(response.url).status_code == 200
    assert client_a.get(reverse("staff:patient_detail", args=[patient.pk])).status_code == 404


POSTCODE_NOT_FOUND = "We could not find this postcode's area, so deprivation will not be recorded"


def test_a_postcode_not_in_the_lookup_warns_staff_and_stores_no_area(client_a):
    response = post(client_a, postcode="NG18 9ZZ")
    patient = Patient.objects.get(nhs_number=VALID_NHS)
    assert patient.area is None
    page = client_a.get(response.url).content.decode()
    assert POSTCODE_NOT_FOUND in page.replace("&#x27;", "'")


def test_a_postcode_in_the_lookup_records_its_area_without_a_warning(client_a):
    known = PostcodeAreaFactory(postcode="NG18 1AA")
    response = post(client_a)
    assert Patient.objects.get(nhs_number=VALID_NHS).area == known.area
    page = client_a.get(response.url).content.decode()
    assert POSTCODE_NOT_FOUND not in page.replace("&#x27;", "'")


def test_a_patient_added_by_someone_else_at_the_same_moment_gives_the_duplicate_message(
    client_a, monkeypatch
):
    checked = PatientForm.clean_nhs_number

    def checked_then_added_elsewhere(form):
        number = checked(form)  # no one has this number yet...
        PatientFactory(nhs_number=number)  # ...then another request saves the same patient
        return number

    monkeypatch.setattr(PatientForm, "clean_nhs_number", checked_then_added_elsewhere)
    response = post(client_a)
    body = response.content.decode()
    assert response.status_code == 200
    assert "A patient with this NHS number already exists." in body
    assert 'id="nhs_number-error"' in body
    assert Patient.objects.filter(nhs_number=VALID_NHS).count() == 1
