"""Staff forms: patients, enrolment, events and answer entry, rendered with the NHS.UK pack.

Forms validate and normalise; the writes happen in :mod:`surveys.services`.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from outcomes.models import Pathway
from outcomes.specs import PathwaySpec
from surveys.models import EpisodeEvent, Patient, Practice, Provider, Response
from surveys.validators import (
    email_normalise,
    mobile_normalise,
    name_normalise,
    nhs_number_normalise,
    postcode_normalise,
)

EARLIEST_BIRTH = dt.date(1900, 1, 1)


class DateParts(forms.MultiWidget):
    """Day, month and year boxes (the NHS.UK date input); the pack renders them."""

    nhsuk_kind = "date"

    def __init__(self, attrs=None):
        super().__init__([forms.TextInput, forms.TextInput, forms.TextInput], attrs)

    def decompress(self, value):
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class DateField(forms.MultiValueField):
    widget = DateParts

    def __init__(self, **kwargs):
        fields = (forms.CharField(), forms.CharField(), forms.CharField())
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("Enter the date, like 14 3 1948."),
                "incomplete": _("Enter the day, month and year."),
            },
        )
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or not any(data_list):
            return None
        if not all(data_list):
            raise ValidationError(_("Enter the day, month and year."), code="incomplete")
        try:
            day, month, year = (int(str(part).strip()) for part in data_list)
            if year < 100:
                raise ValueError
            return dt.date(year, month, day)
        except ValueError:
            raise ValidationError(_("Enter a real date, like 14 3 1948."), code="invalid") from None


class StaffForm(forms.Form):
    """Field ids equal field names so error links and ``<field>-error`` ids are predictable."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class NHSNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("NHS number"))
        kwargs.setdefault("help_text", _("10 digits, like 943 476 5919"))
        kwargs.setdefault("max_length", 14)
        kwargs.setdefault("error_messages", {"required": _("Enter the patient's NHS number.")})
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean(self, value):
        value = super().clean(value)
        return nhs_number_normalise(value) if value else value


def language_choices():
    """Languages as the questionnaire stores them: ``en``, not ``en-gb``."""
    return [(code.split("-")[0], name) for code, name in settings.LANGUAGES]


class NameField(forms.CharField):
    """A person's name under the one rule for names (surveys/validators.py)."""

    def clean(self, value):
        value = super().clean(value)
        return name_normalise(value, what=str(self.label).lower()) if value else value


class PatientForm(StaffForm):
    nhs_number = NHSNumberField()
    given_name = NameField(
        label=_("First name"),
        max_length=100,
        error_messages={"required": _("Enter the patient's first name.")},
    )
    family_name = NameField(
        label=_("Last name"),
        max_length=100,
        error_messages={"required": _("Enter the patient's last name.")},
    )
    date_of_birth = DateField(
        label=_("Date of birth"),
        help_text=_("For example, 14 3 1948"),
        error_messages={
            "required": _("Enter the patient's date of birth."),
            "incomplete": _("Enter the day, month and year of birth."),
        },
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=Patient.Sex.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the patient's sex, or Not known.")},
    )
    address_line_1 = forms.CharField(label=_("Address line 1"), max_length=100, required=False)
    address_line_2 = forms.CharField(label=_("Address line 2"), max_length=100, required=False)
    town = forms.CharField(label=_("Town or city"), max_length=100, required=False)
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        error_messages={"required": _("Enter the patient's postcode.")},
    )
    practice = forms.ModelChoiceField(
        label=_("GP practice"),
        queryset=Practice.objects.all(),
        required=False,
        empty_label=_("Not known"),
    )
    mobile = forms.CharField(
        label=_("Mobile phone number"),
        help_text=_("A UK mobile, like 07700 900123"),
        max_length=20,
        required=False,
    )
    email = forms.CharField(label=_("Email address"), max_length=254, required=False)
    preferred_channel = forms.ChoiceField(
        label=_("How should we send questionnaire links?"),
        choices=Patient.Channel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select how the patient wants to get links.")},
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=(),
        error_messages={"required": _("Select the patient's preferred language.")},
    )
    contact_consent = forms.BooleanField(
        label=_("The patient agrees to be contacted about their questionnaires"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preferred_language"].choices = language_choices()
        self.fields["postcode"].widget.attrs["autocomplete"] = "off"

    def clean_nhs_number(self):
        number = self.cleaned_data["nhs_number"]
        existing = Patient.objects.filter(nhs_number=number).first()
        if existing is not None:
            raise ValidationError(
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("A patient with this NHS number already exists."),
                    reverse("staff:patient_find"),  # the view keeps the number for the search
                    _("Go to this patient"),
                ),
                code="duplicate",
            )
        return number

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born is None:
            return born
        if born > timezone.localdate():
            raise ValidationError(_("The date of birth must be today or in the past."))
        if born < EARLIEST_BIRTH:
            raise ValidationError(_("The date of birth must be after 1 January 1900."))
        return born

    def clean_postcode(self):
        return postcode_normalise(self.cleaned_data["postcode"])

    def clean_mobile(self):
        value = self.cleaned_data["mobile"].strip()
        return mobile_normalise(value) if value else ""

    def clean_email(self):
        value = self.cleaned_data["email"].strip()
        return email_normalise(value) if value else ""

    def clean(self):
        data = super().clean()
        channel = data.get("preferred_channel")
        if (
            channel == Patient.Channel.SMS
            and not data.get("mobile")
            and "mobile" not in self.errors
        ):
            self.add_error("mobile", _("Enter a mobile number to send links by text message."))
        if (
            channel == Patient.Channel.EMAIL
            and not data.get("email")
            and "email" not in self.errors
        ):
            self.add_error("email", _("Enter an email address to send links by email."))
        if channel == Patient.Channel.LETTER and not data.get("address_line_1"):
            self.add_error("address_line_1", _("Enter the first line of the address for letters."))
        return data


class FindPatientForm(StaffForm):
    nhs_number = NHSNumberField()


class PatientDetailsForm(PatientForm):
    """The details page: everything on "Add a patient" but the NHS number, which identifies the
    record (a wrong one is a different patient, not an edit)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["nhs_number"]


class FindByNameForm(StaffForm):
    """Find a patient by last name and date of birth (first name optional) when the NHS number
    is not to hand. Only patients at the user's services are searched."""

    family_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        error_messages={"required": _("Enter the patient's last name.")},
    )
    given_name = forms.CharField(
        label=_("First name (optional)"),
        help_text=_("The start of it is enough"),
        max_length=100,
        required=False,
    )
    date_of_birth = DateField(
        label=_("Date of birth"),
        help_text=_("For example, 14 3 1948"),
        error_messages={
            "required": _("Enter the patient's date of birth."),
            "incomplete": _("Enter the day, month and year of birth."),
        },
    )


class EnrolForm(StaffForm):
    pathway = forms.ModelChoiceField(
        label=_("Pathway"),
        queryset=Pathway.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Select a pathway.")},
    )
    provider = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Provider.objects.none(),
        error_messages={"required": _("Select the service the patient was referred to.")},
    )
    referred_on = DateField(
        label=_("Referral date"),
        help_text=_("For example, 3 11 2026"),
        error_messages={
            "required": _("Enter the referral date."),
            "incomplete": _("Enter the day, month and year of the referral."),
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from surveys.services import pathways_current  # services import this module's app

        self.fields["pathway"].queryset = pathways_current().order_by("title")
        self.fields["pathway"].label_from_instance = lambda pathway: pathway.title
        providers = Provider.objects.for_user(user)
        self.fields["provider"].queryset = providers
        if len(providers) == 1:
            self.fields["provider"].initial = providers[0].pk

    def clean_referred_on(self):
        day = self.cleaned_data["referred_on"]
        if day and day > timezone.localdate():
            raise ValidationError(_("The referral date cannot be in the future."))
        return day


class EventForm(StaffForm):
    """An event on an episode; a procedure's type comes from the pathway's list where it has one."""

    kind = forms.ChoiceField(
        label=_("What happened?"),
        choices=EpisodeEvent.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select what happened.")},
    )
    occurred_on = DateField(
        label=_("Date"),
        help_text=_("For example, 3 11 2026"),
        error_messages={"required": _("Enter the date it happened.")},
    )
    procedure = forms.CharField(
        label=_("Procedure"),
        help_text=_("For a procedure only: for example, knee replacement"),
        max_length=100,
        required=False,
    )

    def __init__(self, *args, pathway: PathwaySpec, **kwargs):
        super().__init__(*args, **kwargs)
        if pathway.procedure_types:
            self.fields["procedure"] = forms.ChoiceField(
                label=_("Type of procedure"),
                help_text=_("For a procedure only"),
                choices=[(p.code, p.label) for p in pathway.procedure_types],
                widget=forms.RadioSelect,
                required=False,
                error_messages={"invalid_choice": _("Select the type of procedure from the list.")},
            )
        self.procedure_choices = bool(pathway.procedure_types)

    def clean(self):
        data = super().clean()
        if (
            data.get("kind") == EpisodeEvent.Kind.PROCEDURE
            and not data.get("procedure", "").strip()
        ):
            self.add_error(
                "procedure",
                _("Select the type of procedure.")
                if self.procedure_choices
                else _("Say which procedure, for example knee replacement."),
            )
        if data.get("occurred_on") and data["occurred_on"] > timezone.localdate():
            self.add_error(
                "occurred_on",
                _("The date cannot be in the future: record an event once it happens."),
            )
        return data


class AnswerModeForm(StaffForm):
    mode = forms.ChoiceField(
        label=_("How were the answers given?"),
        choices=[
            (Response.Mode.STAFF_ASSISTED, _("By telephone, entered by staff")),
            (Response.Mode.PAPER, _("On a paper form")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select how the answers were given.")},
    )
