"""Pure checks for identifiers, names and contact details: NHS number, a person's name,
postcode, mobile, e-mail, and a number typed into an answer box."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def nhs_number_normalise(value: str) -> str:
    """Strip the spaces and dashes people type (``943 476 5919``) and check the number.

    The tenth digit is a modulus 11 check digit (NHS Data Dictionary, "NHS Number"): weights 10
    down to 2 on the first nine digits; 11 minus the remainder, with 11 read as 0; 10 is invalid.
    """
    digits = re.sub(r"[\s-]", "", value or "")
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise ValidationError(_("Enter an NHS number with 10 digits, like 943 476 5919."))
    total = sum(
        int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise ValidationError(_("Enter a valid NHS number: check the digits and try again."))
    return digits


def postcode_normalise(value: str) -> str:
    """Upper-case a UK postcode with one space before the inward code (``NG18 1AA``)."""
    compact = re.sub(r"\s", "", value or "").upper()
    if not _POSTCODE.fullmatch(compact):
        raise ValidationError(_("Enter a full UK postcode, like NG18 1AA."))
    return f"{compact[:-3]} {compact[-3:]}"


def mobile_normalise(value: str) -> str:
    """Turn a UK mobile number (``07700 900123``, ``+44 7700 900123``, ``0044 7700-900123``)
    into E.164 (``+447700900123``), the form SMS gateways such as GOV.UK Notify accept.

    UK mobile numbers are 07 followed by nine digits (Ofcom National Telephone Numbering Plan).
    """
    compact = re.sub(r"[\s().-]", "", value or "")
    if compact.startswith("+44"):
        national = compact[3:]
    elif compact.startswith("0044"):
        national = compact[4:]
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        national = ""
    national = national.removeprefix("0")  # "+44 (0)7700 900123"
    if not re.fullmatch(r"7[0-9]{9}", national):
        raise ValidationError(_("Enter a UK mobile number, like 07700 900123."))
    return f"+44{national}"


_email_validator = EmailValidator()


def email_normalise(value: str) -> str:
    """Strip an e-mail address and lower-case its domain (the part before @ is case-sensitive
    in principle, so it is kept as typed)."""
    address = (value or "").strip()
    local, at, domain = address.rpartition("@")
    if at:
        address = f"{local}@{domain.lower()}"
    try:
        _email_validator(address)
    except ValidationError:
        raise ValidationError(
            _("Enter an email address in the correct format, like name@example.com.")
        ) from None
    return address


# --- A person's name: one rule wherever it is entered -----------------------------------------
# The staff form, the CSV upload, the patient service and the model (admin, shell) all use
# name_normalise. A name goes into text messages, letters, e-mails and CSV exports opened in
# spreadsheets, so it holds letters of any script (with their combining marks), and between
# them spaces, hyphens, apostrophes (' and ’) and full stops: nothing else. That refuses markup
# (<script>), spreadsheet formulas (=HYPERLINK(...), +, @), digits, and invisible format
# characters such as U+202E RIGHT-TO-LEFT OVERRIDE, which reverses how the rest of an SMS reads.
NAME_JOINERS = frozenset(" '’.-")
NAME_MAX_LENGTH = 100


def _name_is_plain(name: str) -> bool:
    previous = ""  # "letter" or "joiner"
    for char in name:
        category = unicodedata.category(char)
        if category.startswith("L") or (category.startswith("M") and previous == "letter"):
            previous = "letter"
        elif char in NAME_JOINERS and previous:
            previous = "joiner"
        else:
            return False
    return previous == "letter" or name.endswith(".")


def name_normalise(value: str, *, what: str | None = None) -> str:
    """A name as typed, in Unicode NFC with runs of spaces made one; ValidationError if it is
    empty, over 100 characters or holds anything but letters and the joiners above."""
    what = what or _("name")
    name = unicodedata.normalize("NFC", " ".join(str(value).split()))
    if not name:
        raise ValidationError(_("Enter the %(what)s.") % {"what": what}, code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            _("The %(what)s must be 100 characters or fewer.") % {"what": what}, code="max_length"
        )
    if not _name_is_plain(name):
        raise ValidationError(
            _("The %(what)s can only have letters, spaces, hyphens and apostrophes.")
            % {"what": what},
            code="invalid",
        )
    return name


def name_validator(value: str) -> None:
    """The model fields' validator (admin, ModelForms, full_clean)."""
    name_normalise(value)


# --- A number typed into an answer box --------------------------------------------------------
# Decision (docs/adr/0007-typed-numbers-and-names.md): digits of any script count as the number they
# write, so a patient whose phone keyboard gives Arabic-Indic (٧٥) or full-width (７５) digits
# has typed 75; the answer is stored as the integer. Nothing else is a number here: no sign, no
# spaces inside, no underscores or decimal point (Python's int() would take "+7" and "7_5").


def typed_number(value: str) -> int | None:
    """The whole number ``value`` writes in decimal digits of one or more scripts, or None."""
    text = value.strip()
    if not text or not text.isdecimal():
        return None
    return int("".join(str(unicodedata.decimal(char)) for char in text))
