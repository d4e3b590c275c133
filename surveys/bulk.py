"""Bulk enrolment from a CSV file of referrals: read the file, check every row, enrol the good ones.

Plain functions, no view logic. Each row is checked with the same rules as the staff patient and
enrolment forms (``surveys.validators``), every reason a row is wrong is reported at once, and each
good row is enrolled in its own transaction through ``patient_create`` and ``episode_enrol``, so a
failure part-way through a row leaves nothing of that row behind. Re-uploading a file finds the
episodes it created and reports those rows as already enrolled, never as new ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outcomes.models import AuditEvent, Pathway
from outcomes.selectors import pathways_awaiting_wording
from surveys.models import Episode, Patient, Practice, Provider
from surveys.services import JourneyError, episode_enrol, pathways_current, patient_create
from surveys.validators import (
    email_normalise,
    mobile_normalise,
    name_normalise,
    nhs_number_normalise,
    postcode_normalise,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
EARLIEST_BIRTH = dt.date(1900, 1, 1)  # as on the staff patient form
UNNAMED = "__unnamed__"  # key for a row's values that sit in columns without a header

# (column, what it holds) in the order of the template file; the descriptions show on the page.
REQUIRED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("nhs_number", gettext_lazy("10 digits, spaces allowed")),
    ("given_name", gettext_lazy("first name")),
    ("family_name", gettext_lazy("last name")),
    ("date_of_birth", gettext_lazy("DD/MM/YYYY or YYYY-MM-DD")),
    ("sex", gettext_lazy("female, male, other or not-known")),
    ("postcode", gettext_lazy("full UK postcode")),
    ("practice_ods_code", gettext_lazy("the GP practice's ODS code; blank if not known")),
    ("mobile", gettext_lazy("UK mobile number; needed for text messages")),
    ("email", gettext_lazy("e-mail address; needed for e-mail")),
    ("preferred_channel", gettext_lazy("sms, email or letter")),
    ("pathway", gettext_lazy("pathway code, for example knee-pain")),
    ("provider_ods_code", gettext_lazy("ODS code of one of your providers")),
    ("referred_on", gettext_lazy("referral date, DD/MM/YYYY or YYYY-MM-DD")),
    ("consent", gettext_lazy("agrees to be contacted: yes or no")),
)
OPTIONAL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("preferred_language", gettext_lazy("language code, for example en; en if blank")),
    ("address_line_1", gettext_lazy("needed for letters")),
    ("address_line_2", ""),
    ("town", ""),
)
COLUMNS = tuple(name for name, _description in REQUIRED_COLUMNS + OPTIONAL_COLUMNS)

# One synthetic row for the template file: a 999-range NHS number, which is never issued.
TEMPLATE_EXAMPLE = {
    "nhs_number": "999 000 0018",
    "given_name": "Alex",
    "family_name": "Example",
    "date_of_birth": "14/03/1958",
    "sex": "female",
    "postcode": "NG18 1AA",
    "practice_ods_code": "C84001",
    "mobile": "07700 900123",
    "email": "alex.example@example.com",
    "preferred_channel": "sms",
    "pathway": "knee-pain",
    "provider_ods_code": "RK5",
    "referred_on": "01/11/2026",
    "consent": "yes",
    "preferred_language": "en",
    "address_line_1": "1 Example Street",
    "address_line_2": "",
    "town": "Mansfield",
}

_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_SEX = {
    **{value: value for value in Patient.Sex.values},
    "f": Patient.Sex.FEMALE,
    "m": Patient.Sex.MALE,
    "not known": Patient.Sex.NOT_KNOWN,
    "unknown": Patient.Sex.NOT_KNOWN,
}
_CHANNEL = {
    **{value: value for value in Patient.Channel.values},
    "text": Patient.Channel.SMS,
    "text message": Patient.Channel.SMS,
    "e-mail": Patient.Channel.EMAIL,
}


class ReferralFileError(ValueError):
    """The file as a whole cannot be read; ``messages`` says why, in words for staff."""

    def __init__(self, messages: Sequence[str]):
        super().__init__("; ".join(str(message) for message in messages))
        self.messages = [str(message) for message in messages]


@dataclass(frozen=True)
class ReferralRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: Mapping[str, str]


@dataclass(frozen=True)
class RowEnrolled:
    number: int
    nhs_number: str
    episode_id: int


@dataclass(frozen=True)
class RowRejected:
    number: int
    nhs_number: str  # as uploaded, so staff can find the row
    reasons: list[str]


@dataclass
class UploadResult:
    enrolled: list[RowEnrolled] = field(default_factory=list)
    already_enrolled: list[RowEnrolled] = field(default_factory=list)
    rejected: list[RowRejected] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "enrolled": len(self.enrolled),
            "already_enrolled": len(self.already_enrolled),
            "rejected": len(self.rejected),
        }


# Reading the file ---------------------------------------------------------------------------


def referral_file_read(uploaded) -> list[ReferralRow]:
    """Read an uploaded CSV of referrals into rows keyed by column name.

    Accepts UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8") and Windows-1252
    (Excel's plain "CSV"). Raises :class:`ReferralFileError` with every problem found in the
    file as a whole; problems within rows are for :func:`referrals_enrol`.
    """
    name = getattr(uploaded, "name", "") or ""
    size = getattr(uploaded, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise ReferralFileError([_too_large()])
    data = uploaded.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ReferralFileError([_too_large()])
    if not name.lower().endswith(".csv") or b"\x00" in data:
        raise ReferralFileError(
            [_("The file must be a CSV file (comma-separated values), not a spreadsheet.")]
        )
    text = _decode(data)
    if not text.strip():
        raise ReferralFileError([_("The file is empty.")])
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise ReferralFileError(
            [_("The file could not be read as a CSV file: save it as CSV and try again.")]
        ) from None
    if len(records[0]) == 1 and (";" in records[0][0] or "\t" in records[0][0]):
        raise ReferralFileError(
            [_("The columns are separated by semicolons or tabs: save the file as CSV (commas).")]
        )
    header = [_column_name(cell) for cell in records[0]]
    problems = _header_problems(header)
    if problems:
        raise ReferralFileError(problems)
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines, often at the end of files saved from spreadsheets
        values = {
            column: cell.strip() for column, cell in zip(header, record, strict=False) if column
        }
        # Spreadsheets often save empty trailing cells; only a value needs a named column.
        unnamed = [
            cell
            for position, cell in enumerate(record)
            if (position >= len(header) or not header[position]) and cell.strip()
        ]
        if unnamed:
            values[UNNAMED] = str(len(unnamed))
        rows.append(ReferralRow(number=number, values=values))
    if not rows:
        raise ReferralFileError([_("The file has a header row but no referrals.")])
    if len(rows) > MAX_ROWS:
        raise ReferralFileError(
            [
                _("The file has %(count)s referrals: upload at most %(max)s at a time.")
                % {"count": len(rows), "max": MAX_ROWS}
            ]
        )
    return rows


def _too_large() -> str:
    return _("The file must be smaller than %(size)s MB.") % {"size": MAX_FILE_BYTES // 1024**2}


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ReferralFileError(
            [_("The file's characters could not be read: save it as CSV UTF-8 and try again.")]
        ) from None


def _column_name(cell: str) -> str:
    return re.sub(r"[\s-]+", "_", cell.strip().lower())


def _header_problems(header: list[str]) -> list[str]:
    problems = []
    known = set(COLUMNS)
    missing = [name for name, _description in REQUIRED_COLUMNS if name not in header]
    if len(missing) == len(REQUIRED_COLUMNS):
        return [
            _(
                "The first row must name the columns (nhs_number, given_name, ...): "
                "download the template to see them."
            )
        ]
    if missing:
        problems.append(_("Columns missing: %(columns)s.") % {"columns": ", ".join(missing)})
    unknown = [name for name in header if name and name not in known]
    if unknown:
        problems.append(_("Columns not recognised: %(columns)s.") % {"columns": ", ".join(unknown)})
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        problems.append(
            _("Columns named more than once: %(columns)s.") % {"columns": ", ".join(repeated)}
        )
    return problems


# Checking and enrolling ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Referral:
    patient: dict
    pathway: Pathway
    provider: Provider
    referred_on: dt.date


@dataclass(frozen=True)
class _Lookups:
    practices: dict[str, Practice]
    pathways: dict[str, Pathway]
    known_providers: set[str]
    user_providers: dict[str, Provider]
    held_pathways: dict[str, str] = field(default_factory=dict)  # code -> why it is held


def referrals_enrol(*, rows: Sequence[ReferralRow], user) -> UploadResult:
    """Check every row, enrol the good ones (each in its own transaction), report the rest.

    A row is rejected with every reason that applies; a row naming a patient who already exists
    with a different name or date of birth is rejected rather than overwriting them; a row whose
    episode exists already is reported as already enrolled.
    """
    result = UploadResult()
    lookups = _lookups(rows, user)
    seen: dict[tuple, int] = {}
    checked: list[tuple[ReferralRow, _Referral]] = []
    for row in rows:
        reasons: list[str] = []
        referral = _referral_check(row, lookups, reasons)
        if referral is not None:
            key = (
                referral.patient["nhs_number"],
                referral.pathway.code,
                referral.provider.ods_code,
                referral.referred_on,
            )
            if key in seen:
                reasons.append(
                    _("This referral repeats row %(row)s of the file.") % {"row": seen[key]}
                )
            else:
                seen[key] = row.number
        if reasons or referral is None:
            result.rejected.append(
                RowRejected(row.number, row.values.get("nhs_number", ""), reasons)
            )
        else:
            checked.append((row, referral))
    known = _Known.load(referral.patient["nhs_number"] for _row, referral in checked)
    for row, referral in checked:
        _row_enrol(row, referral, user, result, known)
    result.rejected.sort(key=lambda rejected: rejected.number)
    _audit(rows, user, result)
    return result


@dataclass
class _Known:
    """Patients already on file for the rows' NHS numbers and their episodes, read in two
    queries, then kept up to date as rows are enrolled."""

    patients: dict[str, Patient]
    episodes: dict[tuple, int]  # (patient id, pathway code, provider id, referred on) -> pk

    @classmethod
    def load(cls, nhs_numbers) -> _Known:
        patients = {
            p.nhs_number: p for p in Patient.objects.filter(nhs_number__in=set(nhs_numbers))
        }
        episodes = {
            (patient_id, pathway_code, provider_id, referred_on): pk
            for pk, patient_id, pathway_code, provider_id, referred_on in Episode.objects.filter(
                patient__in=patients.values()
            ).values_list("pk", "patient_id", "pathway__code", "provider_id", "referred_on")
        }
        return cls(patients=patients, episodes=episodes)


def _lookups(rows: Sequence[ReferralRow], user) -> _Lookups:
    """Everything the rows refer to, in four queries rather than four per row."""
    practice_codes = {row.values.get("practice_ods_code", "").upper() for row in rows}
    # The version new enrolments use, as the staff enrolment form offers it.
    pathways: dict[str, Pathway] = {p.code: p for p in pathways_current()}
    provider_codes = {row.values.get("provider_ods_code", "").upper() for row in rows}
    return _Lookups(
        practices={
            p.ods_code.upper(): p for p in Practice.objects.filter(ods_code__in=practice_codes)
        },
        pathways=pathways,
        known_providers={
            code.upper()
            for code in Provider.objects.filter(ods_code__in=provider_codes).values_list(
                "ods_code", flat=True
            )
        },
        user_providers={p.ods_code.upper(): p for p in Provider.objects.for_user(user)},
        held_pathways={held.code: held.reason() for held in pathways_awaiting_wording()},
    )


def _referral_check(row: ReferralRow, lookups: _Lookups, reasons: list[str]) -> _Referral | None:
    """Every reason the row cannot be enrolled goes into ``reasons``; the referral if none."""
    values = row.values
    if UNNAMED in values:
        reasons.append(_("The row has values in columns without a name in the header."))
    patient: dict = {}

    def check(column: str, normalise):
        try:
            return normalise(values.get(column, ""))
        except ValidationError as error:
            reasons.extend(str(message) for message in error.messages)
            return None

    patient["nhs_number"] = check("nhs_number", nhs_number_normalise)
    patient["given_name"] = check("given_name", lambda v: _name(v, _("first name")))
    patient["family_name"] = check("family_name", lambda v: _name(v, _("last name")))
    today = timezone.localdate()
    birth = check("date_of_birth", lambda v: _date(v, _("date of birth")))
    if birth is not None:
        if birth > today:
            reasons.append(_("The date of birth cannot be in the future."))
            birth = None
        elif birth < EARLIEST_BIRTH:
            reasons.append(_("The date of birth must be after 1 January 1900."))
            birth = None
    patient["date_of_birth"] = birth
    patient["sex"] = check("sex", _sex)
    patient["postcode"] = check("postcode", postcode_normalise)
    practice_code = values.get("practice_ods_code", "").upper()
    practice = lookups.practices.get(practice_code)
    if practice_code and practice is None:  # blank: practice not known, as on the form
        reasons.append(
            _("GP practice %(code)s is not known: check its ODS code.") % {"code": practice_code}
        )
    patient["practice"] = practice
    patient["mobile"] = check("mobile", _optional(mobile_normalise))
    patient["email"] = check("email", _optional(email_normalise))
    for column in ("address_line_1", "address_line_2", "town"):
        patient[column] = values.get(column, "")
        if len(patient[column]) > 100:
            reasons.append(_("%(column)s must be 100 characters or fewer.") % {"column": column})
    channel = check("preferred_channel", _channel)
    if channel == Patient.Channel.SMS and not values.get("mobile"):
        reasons.append(_("Text messages were chosen but there is no mobile number."))
    elif channel == Patient.Channel.EMAIL and not values.get("email"):
        reasons.append(_("Email was chosen but there is no email address."))
    elif channel == Patient.Channel.LETTER and not values.get("address_line_1"):
        reasons.append(_("Letters were chosen but there is no first line of the address."))
    patient["preferred_channel"] = channel
    patient["preferred_language"] = check("preferred_language", _language)
    patient["contact_consent"] = check("consent", _consent)

    pathway_code = values.get("pathway", "").lower()
    pathway = lookups.pathways.get(pathway_code)
    if not pathway_code:
        reasons.append(_("Enter the pathway code, for example knee-pain."))
    elif pathway is None and pathway_code in lookups.held_pathways:
        reasons.append(lookups.held_pathways[pathway_code])
    elif pathway is None:
        reasons.append(
            _("Pathway %(code)s is not known or not published.") % {"code": pathway_code}
        )
    provider_code = values.get("provider_ods_code", "").upper()
    provider = lookups.user_providers.get(provider_code)
    if not provider_code:
        reasons.append(_("Enter the provider's ODS code."))
    elif provider is None and provider_code in lookups.known_providers:
        reasons.append(
            _("Provider %(code)s is not one of yours: you can only enrol with your providers.")
            % {"code": provider_code}
        )
    elif provider is None:
        reasons.append(
            _("Provider %(code)s is not known: check its ODS code.") % {"code": provider_code}
        )
    referred_on = check("referred_on", lambda v: _date(v, _("referral date")))
    if referred_on is not None:
        if referred_on > today:
            reasons.append(_("The referral date cannot be in the future."))
        elif birth is not None and referred_on < birth:
            reasons.append(_("The referral date cannot be before the date of birth."))
    if reasons:
        return None
    return _Referral(patient=patient, pathway=pathway, provider=provider, referred_on=referred_on)


def _optional(normalise):
    return lambda value: normalise(value) if value else ""


def _name(value: str, what: str) -> str:
    return name_normalise(value, what=what)  # the one rule for names (surveys/validators.py)


def _date(value: str, what: str) -> dt.date:
    if not value:
        raise ValidationError(_("Enter the %(what)s.") % {"what": what})
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValidationError(
        _("The %(what)s must be a real date, written DD/MM/YYYY or YYYY-MM-DD.") % {"what": what}
    )


def _sex(value: str) -> str:
    sex = _SEX.get(value.strip().lower())
    if sex is None:
        raise ValidationError(_("Sex must be female, male, other or not-known."))
    return sex


def _channel(value: str) -> str:
    channel = _CHANNEL.get(value.strip().lower())
    if channel is None:
        raise ValidationError(_("The preferred channel must be sms, email or letter."))
    return channel


def _language(value: str) -> str:
    """A language the service offers, stored as the questionnaire stores it (``en``)."""
    offered = sorted({code.split("-")[0] for code, _name in settings.LANGUAGES})
    language = value.strip().lower().replace("_", "-").split("-")[0] or "en"
    if language not in offered:
        raise ValidationError(
            _("The preferred language must be one of: %(codes)s.") % {"codes": ", ".join(offered)}
        )
    return language


def _consent(value: str) -> bool:
    answer = value.strip().lower()
    if answer in _YES:
        return True
    if answer in _NO:
        return False
    raise ValidationError(_("Consent must be yes or no."))


def _same_person(patient: Patient, fields: Mapping) -> bool:
    def folded(text: str) -> str:
        return " ".join(text.split()).casefold()

    return (
        folded(patient.given_name) == folded(fields["given_name"])
        and folded(patient.family_name) == folded(fields["family_name"])
        and patient.date_of_birth == fields["date_of_birth"]
    )


def _row_enrol(
    row: ReferralRow, referral: _Referral, user, result: UploadResult, known: _Known
) -> None:
    """Enrol one checked row in its own transaction: all of it is saved, or none of it."""
    fields = referral.patient
    nhs_number = fields["nhs_number"]
    patient = known.patients.get(nhs_number)
    if patient is not None and not _same_person(patient, fields):
        result.rejected.append(
            RowRejected(
                row.number,
                row.values.get("nhs_number", ""),
                [
                    _(
                        "A patient with this NHS number already exists with a different name or "
                        "date of birth: check the row, or correct the patient's record first."
                    )
                ],
            )
        )
        return
    if patient is not None:
        existing = known.episodes.get(
            (patient.pk, referral.pathway.code, referral.provider.pk, referral.referred_on)
        )
        if existing is not None:
            result.already_enrolled.append(RowEnrolled(row.number, nhs_number, existing))
            return
    try:
        with transaction.atomic():
            if patient is None:
                patient = patient_create(by=user, **fields)
            episode = episode_enrol(
                patient=patient,
                pathway=referral.pathway,
                provider=referral.provider,
                referred_on=referral.referred_on,
                by=user,
            )
    except JourneyError as error:
        result.rejected.append(
            RowRejected(row.number, row.values.get("nhs_number", ""), [str(error)])
        )
        return
    except IntegrityError:
        # Someone else saved the same patient or episode at the same moment: nothing of this
        # row was kept, and uploading the file again will report it as already enrolled.
        result.rejected.append(
            RowRejected(
                row.number,
                row.values.get("nhs_number", ""),
                [_("This row clashed with another change made at the same time: upload again.")],
            )
        )
        return
    known.patients[nhs_number] = patient
    known.episodes[
        (patient.pk, referral.pathway.code, referral.provider.pk, referral.referred_on)
    ] = episode.pk
    result.enrolled.append(RowEnrolled(row.number, nhs_number, episode.pk))


def _audit(rows: Sequence[ReferralRow], user, result: UploadResult) -> None:
    """One audit record for the upload: counts only, never a name or an NHS number."""
    digest = hashlib.sha256(
        "\n".join(str(sorted(row.values.items())) for row in rows).encode()
    ).hexdigest()
    AuditEvent.objects.create(
        actor=user if getattr(user, "pk", None) else None,
        action="enrolment.bulk_uploaded",
        object_type="surveys.referralfile",
        object_id=digest[:16],
        details={"rows": len(rows), **result.counts},
    )
