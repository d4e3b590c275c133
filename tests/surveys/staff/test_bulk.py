"""Bulk enrolment: reading the referrals file, checking every row, enrolling the good ones."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from outcomes.models import AuditEvent
from surveys import bulk
from surveys.models import Episode, Invitation, Patient
from tests.factories import (
    PatientFactory,
    PracticeFactory,
    ProviderFactory,
    UserFactory,
    nhs_number_for,
)

pytestmark = pytest.mark.django_db

HEADER = list(bulk.COLUMNS)


def nhs(serial):
    """A distinct synthetic NHS number per serial (even serials never collide, see factories)."""
    return nhs_number_for(2 * serial)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def user(loaded_definitions):
    user = UserFactory()
    ProviderFactory(ods_code="RK5").staff.add(user)
    ProviderFactory(ods_code="RX1")  # someone else's provider
    PracticeFactory(ods_code="C84001")
    return user


def surname(serial):
    """Synthetic surnames without digits, which names may not have: 12 -> "Examplebc"."""
    return "Example" + "".join(chr(ord("a") + int(digit)) for digit in str(serial))


def referral(serial=1, **changes):
    row = {
        "nhs_number": nhs(serial),
        "given_name": "Alex",
        "family_name": surname(serial),
        "date_of_birth": "14/03/1958",
        "sex": "female",
        "postcode": "ng18 1aa",
        "practice_ods_code": "C84001",
        "mobile": "07700 900123",
        "email": "alex@example.com",
        "preferred_channel": "sms",
        "preferred_language": "",
        "pathway": "knee-pain",
        "provider_ods_code": "RK5",
        "referred_on": "2026-11-01",
        "consent": "yes",
        "address_line_1": "",
        "address_line_2": "",
        "town": "",
    }
    row.update(changes)
    return row


def csv_file(rows, header=HEADER, encoding="utf-8", name="referrals.csv", written_header=None):
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(written_header or header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")


def upload(rows, user):
    return bulk.referrals_enrol(rows=bulk.referral_file_read(csv_file(rows)), user=user)


def rejected_reasons(result):
    assert not result.enrolled
    assert len(result.rejected) == 1
    return " ".join(result.rejected[0].reasons)


# Good rows ------------------------------------------------------------------------------------


def test_a_valid_row_enrols_a_new_patient_with_invitations(user):
    result = upload([referral()], user)

    assert result.counts == {"enrolled": 1, "already_enrolled": 0, "rejected": 0}
    episode = Episode.objects.get(pk=result.enrolled[0].episode_id)
    assert episode.pathway.code == "knee-pain"
    assert episode.provider.ods_code == "RK5"
    assert episode.invitations.exists()


def test_a_new_patients_details_are_stored_normalised(user):
    upload([referral(mobile="+44 7700-900123", email="Alex@EXAMPLE.com")], user)

    patient = Patient.objects.get()
    assert (patient.postcode, patient.mobile, patient.email) == (
        "NG18 1AA",
        "+447700900123",
        "Alex@example.com",
    )
    assert patient.practice.ods_code == "C84001"
    assert patient.contact_consent is True
    assert patient.preferred_language == "en"


def test_an_existing_patient_with_the_same_details_gets_a_new_episode_and_is_not_duplicated(user):
    patient = PatientFactory(
        nhs_number=nhs(1), family_name=surname(1), date_of_birth=dt.date(1958, 3, 14)
    )

    result = upload([referral()], user)

    assert result.counts["enrolled"] == 1
    assert Patient.objects.count() == 1
    assert Episode.objects.get().patient == patient


def test_uploading_the_same_file_again_reports_already_enrolled_and_creates_nothing(user):
    rows = [referral(1), referral(2)]
    upload(rows, user)
    before = (Patient.objects.count(), Episode.objects.count(), Invitation.objects.count())

    result = upload(rows, user)

    assert result.counts == {"enrolled": 0, "already_enrolled": 2, "rejected": 0}
    assert (Patient.objects.count(), Episode.objects.count(), Invitation.objects.count()) == before


def test_valid_rows_are_enrolled_when_other_rows_are_rejected(user):
    result = upload([referral(1), referral(2, sex="dunno"), referral(3)], user)

    assert [row.number for row in result.enrolled] == [2, 4]
    assert [row.number for row in result.rejected] == [3]


def test_the_upload_is_audited_once_with_counts_and_no_identifiers(user):
    upload([referral(1), referral(2, sex="dunno")], user)

    event = AuditEvent.objects.get(action="enrolment.bulk_uploaded")
    assert event.details == {"rows": 2, "enrolled": 1, "already_enrolled": 0, "rejected": 1}
    assert nhs(1) not in str(event.details) + event.object_id


def test_sixty_rows_are_enrolled(user):
    result = upload([referral(serial) for serial in range(1, 61)], user)

    assert result.counts["enrolled"] == 60
    assert Episode.objects.count() == 60


# Row errors: each has its message and saves nothing ------------------------------------------

ROW_ERRORS = [
    ("bad_nhs_number", {"nhs_number": "9434765918"}, "valid NHS number"),
    ("short_nhs_number", {"nhs_number": "94347"}, "10 digits"),
    ("blank_name", {"given_name": ""}, "Enter the first name"),
    ("digits_in_name", {"family_name": "Sm1th"}, "last name can only have letters"),
    ("unreal_birth_date", {"date_of_birth": "31/02/1958"}, "date of birth must be a real date"),
    ("future_birth_date", {"date_of_birth": "01/01/2027"}, "date of birth cannot be in the future"),
    ("ancient_birth_date", {"date_of_birth": "31/12/1899"}, "after 1 January 1900"),
    ("bad_sex", {"sex": "dunno"}, "Sex must be female, male, other or not-known"),
    ("bad_postcode", {"postcode": "NG18"}, "full UK postcode"),
    ("unknown_practice", {"practice_ods_code": "Z99999"}, "GP practice Z99999 is not known"),
    ("bad_mobile", {"mobile": "01623 000000"}, "UK mobile number"),
    ("bad_email", {"email": "alex@"}, "email address in the correct format"),
    ("bad_channel", {"preferred_channel": "pigeon"}, "sms, email or letter"),
    ("sms_without_mobile", {"mobile": ""}, "no mobile number"),
    ("email_without_email", {"preferred_channel": "email", "email": ""}, "no email address"),
    ("letter_without_address", {"preferred_channel": "letter"}, "no first line of the address"),
    ("unoffered_language", {"preferred_language": "xx"}, "must be one of: en"),
    ("unknown_pathway", {"pathway": "elbow-pain"}, "Pathway elbow-pain is not known"),
    ("unknown_provider", {"provider_ods_code": "ZZZ"}, "Provider ZZZ is not known"),
    ("provider_not_yours", {"provider_ods_code": "RX1"}, "RX1 is not one of yours"),
    ("unreal_referral_date", {"referred_on": "2026-13-01"}, "referral date must be a real date"),
    (
        "future_referral_date",
        {"referred_on": "2026-11-24"},
        "referral date cannot be in the future",
    ),
    ("referral_before_birth", {"referred_on": "1957-01-01"}, "before the date of birth"),
    ("bad_consent", {"consent": "maybe"}, "Consent must be yes or no"),
]


@pytest.mark.parametrize(
    ("changes", "message"),
    [case[1:] for case in ROW_ERRORS],
    ids=[case[0] for case in ROW_ERRORS],
)
def test_a_row_with_an_error_is_rejected_with_its_message_and_saves_nothing(user, changes, message):
    result = upload([referral(**changes)], user)

    assert message in rejected_reasons(result)
    assert not Patient.objects.exists()
    assert not Episode.objects.exists()


def test_every_reason_a_row_is_wrong_is_reported_at_once(user):
    result = upload([referral(nhs_number="123", sex="x", postcode="?", consent="")], user)

    reasons = result.rejected[0].reasons
    assert len(reasons) == 4


def test_row_numbers_count_the_header_as_row_one(user):
    result = upload([referral(1), referral(2), referral(3, sex="x")], user)

    assert result.rejected[0].number == 4


def test_a_repeated_row_in_the_same_file_is_rejected_and_the_first_is_enrolled(user):
    result = upload([referral(1), referral(1)], user)

    assert [row.number for row in result.enrolled] == [2]
    assert "repeats row 2" in " ".join(result.rejected[0].reasons)
    assert Episode.objects.count() == 1


def test_an_existing_patient_with_a_different_name_is_rejected_and_not_overwritten(user):
    patient = PatientFactory(
        nhs_number=nhs(1), family_name="Other", date_of_birth=dt.date(1958, 3, 14)
    )

    result = upload([referral()], user)

    assert "different name or date of birth" in rejected_reasons(result)
    patient.refresh_from_db()
    assert patient.family_name == "Other"
    assert not Episode.objects.exists()


def test_an_existing_patient_with_a_different_birth_date_is_rejected(user):
    PatientFactory(nhs_number=nhs(1), family_name=surname(1), date_of_birth=dt.date(1958, 3, 15))

    result = upload([referral()], user)

    assert "different name or date of birth" in rejected_reasons(result)
    assert not Episode.objects.exists()


def test_a_later_row_for_the_same_patient_with_a_different_name_is_rejected(user):
    result = upload([referral(1), referral(1, family_name="Other", pathway="back-pain")], user)

    assert [row.number for row in result.enrolled] == [2]
    assert "different name or date of birth" in " ".join(result.rejected[0].reasons)
    assert Patient.objects.get().family_name == surname(1)


def test_two_referrals_of_one_patient_in_a_file_make_one_patient_with_two_episodes(user):
    result = upload([referral(1), referral(1, pathway="back-pain")], user)

    assert result.counts["enrolled"] == 2
    assert Patient.objects.count() == 1
    assert Episode.objects.count() == 2


def test_re_uploading_ten_rows_reads_in_a_fixed_handful_of_queries_not_per_row(
    user, django_assert_max_num_queries
):
    rows = bulk.referral_file_read(csv_file([referral(serial) for serial in range(1, 11)]))
    bulk.referrals_enrol(rows=rows, user=user)

    with django_assert_max_num_queries(8):
        result = bulk.referrals_enrol(rows=rows, user=user)

    assert result.counts["already_enrolled"] == 10


def test_a_failure_after_the_patient_is_created_rolls_the_whole_row_back(user, monkeypatch):
    def fail(**kwargs):
        raise bulk.JourneyError("Enrolment failed.")

    monkeypatch.setattr(bulk, "episode_enrol", fail)

    result = upload([referral()], user)

    assert rejected_reasons(result) == "Enrolment failed."
    assert not Patient.objects.exists()


# File-level errors ---------------------------------------------------------------------------


def file_error(uploaded):
    with pytest.raises(bulk.ReferralFileError) as caught:
        bulk.referral_file_read(uploaded)
    return " ".join(caught.value.messages)


def test_a_file_that_is_not_a_csv_is_refused():
    spreadsheet = SimpleUploadedFile("referrals.xlsx", b"PK\x03\x04\x00\x00binary")

    assert "must be a CSV file" in file_error(spreadsheet)


def test_a_binary_file_named_csv_is_refused():
    assert "must be a CSV file" in file_error(SimpleUploadedFile("referrals.csv", b"PK\x00\x01"))


def test_an_empty_file_is_refused():
    assert "The file is empty" in file_error(SimpleUploadedFile("referrals.csv", b""))


def test_a_header_without_referrals_is_refused():
    assert "no referrals" in file_error(csv_file([]))


def test_a_file_without_a_header_row_is_refused():
    assert "first row must name the columns" in file_error(
        SimpleUploadedFile("referrals.csv", b"9434765919,Alex,Example\n")
    )


def test_empty_trailing_cells_and_unnamed_columns_from_spreadsheets_are_ignored(user):
    raw = csv_file([referral()]).read().decode().replace("\r\n", ",,\r\n")

    result = bulk.referrals_enrol(
        rows=bulk.referral_file_read(SimpleUploadedFile("referrals.csv", raw.encode())), user=user
    )

    assert result.counts["enrolled"] == 1


def test_a_value_in_a_column_without_a_name_rejects_the_row(user):
    header, row = csv_file([referral()]).read().decode().splitlines()
    raw = f"{header},,\r\n{row},,surprise\r\n"

    result = bulk.referrals_enrol(
        rows=bulk.referral_file_read(SimpleUploadedFile("referrals.csv", raw.encode())), user=user
    )

    assert "columns without a name" in rejected_reasons(result)


def test_a_file_separated_by_semicolons_is_refused_with_a_hint():
    content = ";".join(HEADER).encode() + b"\n" + b";" * (len(HEADER) - 1) + b"x\n"

    assert "semicolons or tabs" in file_error(SimpleUploadedFile("referrals.csv", content))


def test_missing_and_unknown_columns_are_all_listed():
    header = [c for c in HEADER if c not in ("sex", "consent")] + ["shoe_size"]

    message = file_error(csv_file([referral()], header=header))

    assert "Columns missing: sex, consent." in message
    assert "Columns not recognised: shoe_size." in message


def test_a_file_over_the_size_limit_is_refused():
    big = SimpleUploadedFile("referrals.csv", b"x" * (bulk.MAX_FILE_BYTES + 1))

    assert "smaller than 2 MB" in file_error(big)


def test_a_file_over_the_row_limit_is_refused(monkeypatch):
    monkeypatch.setattr(bulk, "MAX_ROWS", 2)

    assert "at most 2 at a time" in file_error(csv_file([referral(1), referral(2), referral(3)]))


def test_column_names_are_matched_whatever_their_case_and_spacing():
    header = [f" {c.upper().replace('_', ' ')}" for c in HEADER]

    rows = bulk.referral_file_read(csv_file([referral()], written_header=header))

    assert rows[0].values["nhs_number"] == nhs(1)


def test_a_blank_practice_is_accepted_as_not_known(user):
    upload([referral(practice_ods_code="")], user)

    assert Patient.objects.get().practice is None


def test_optional_columns_may_be_left_out(user):
    header = [c for c in HEADER if c not in ("preferred_language", "address_line_2", "town")]

    result = bulk.referrals_enrol(
        rows=bulk.referral_file_read(csv_file([referral()], header=header)), user=user
    )

    assert result.counts["enrolled"] == 1


def test_blank_lines_are_skipped_but_still_counted_in_row_numbers():
    raw = csv_file([referral(1)]).read().decode() + ",,,\r\n"
    raw += csv_file([referral(2)]).read().decode().split("\r\n", 1)[1]

    rows = bulk.referral_file_read(SimpleUploadedFile("referrals.csv", raw.encode()))

    assert [row.number for row in rows] == [2, 4]
    assert rows[1].values["nhs_number"] == nhs(2)


def test_a_utf8_file_with_a_byte_order_mark_is_read(user):
    uploaded = csv_file([referral(given_name="Zoë")], encoding="utf-8-sig")

    result = bulk.referrals_enrol(rows=bulk.referral_file_read(uploaded), user=user)

    assert result.counts["enrolled"] == 1
    assert Patient.objects.get().given_name == "Zoë"


def test_a_windows_1252_file_is_read(user):
    uploaded = csv_file([referral(family_name="O’Brien-Müller")], encoding="cp1252")

    result = bulk.referrals_enrol(rows=bulk.referral_file_read(uploaded), user=user)

    assert result.counts["enrolled"] == 1
    assert Patient.objects.get().family_name == "O’Brien-Müller"


def test_a_row_for_a_pathway_held_for_licensed_wording_says_why(user, settings):
    settings.ALLOW_PLACEHOLDER_WORDING = False  # production: the wording is not imported

    reasons = rejected_reasons(upload([referral()], user))

    assert "Knee pain cannot be used yet: the licensed patient wording of" in reasons
    assert "manage.py import_licensed_wording" in reasons
