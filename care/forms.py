"""Staff forms for worklist actions, rendered with the NHS.UK pack (templates/nhsuk/)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from care.models import Alert
from care.services import NOTE_MAX
from care.worklists import NO_CONTACT_WEEKS_CHOICES
from surveys.forms import StaffForm


class NoteForm(StaffForm):
    note = forms.CharField(
        label=_("What did you do?"),
        help_text=_("For example: phoned the patient, booked a review on 12 December."),
        widget=forms.Textarea(attrs={"rows": 3, "class": "nhsuk-textarea"}),
        max_length=NOTE_MAX,
        error_messages={"required": _("Say how you contacted the patient.")},
    )


class AlertStateForm(StaffForm):
    to_state = forms.ChoiceField(
        choices=[(s, s) for s in (Alert.State.SEEN, Alert.State.ACTED, Alert.State.CLOSED)],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "nhsuk-textarea"}),
        max_length=NOTE_MAX,
    )


class WeeksForm(forms.Form):
    weeks = forms.TypedChoiceField(
        label=_("No contact for at least"),
        coerce=int,
        choices=[(w, _("%(n)s weeks") % {"n": w}) for w in NO_CONTACT_WEEKS_CHOICES],
    )


class AlertEmailForm(StaffForm):
    enabled = forms.BooleanField(
        label=_("Send me a daily e-mail with the number of open alerts and worklist items"),
        help_text=_(
            "The e-mail gives numbers and a link only, never patient details. It goes to the "
            "e-mail address of your log-in."
        ),
        required=False,
    )
