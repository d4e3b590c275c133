from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or a backup code."""

    code = forms.CharField(
        label=_("Security code"),
        help_text=_("The 6-digit code your authenticator app shows, or one of your backup codes."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the security code")},
    )


class SetupCodeForm(forms.Form):
    """The first code from a newly added authenticator, which proves it is set up right."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        help_text=_("Enter the 6-digit code the app shows now."),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the code from your authenticator app")},
    )
