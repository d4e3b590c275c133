"""Who sees what on the dashboard: a role per user (docs/dashboard.md, "Who sees what")."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class DashboardRole(models.Model):
    """A user's dashboard role. Staff of a provider with no role here are "provider staff".

    - *Programme analyst*: every provider's aggregate figures; no patient-level detail.
    - *Provider staff*: every provider's aggregate figures; drill into their own providers'
      patients (the providers they are staff of).
    - *Practice lead*: their practice against the rest; patient-level detail only of their
      practice's patients at the providers they are staff of.
    """

    class Role(models.TextChoices):
        ANALYST = "analyst", _("Programme analyst")
        PROVIDER = "provider", _("Provider staff")
        PRACTICE_LEAD = "practice-lead", _("GP practice lead")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboard_role"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    practice = models.ForeignKey(
        "surveys.Practice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("A practice lead's practice (required for that role only)."),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="practice-lead", practice__isnull=False)
                | (~models.Q(role="practice-lead") & models.Q(practice__isnull=True)),
                name="dashboard_role_practice_for_practice_leads_only",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} (user {self.user_id})"

    def clean(self) -> None:
        if self.role == self.Role.PRACTICE_LEAD and self.practice_id is None:
            raise ValidationError({"practice": _("A practice lead needs their practice.")})
        if self.role != self.Role.PRACTICE_LEAD and self.practice_id is not None:
            raise ValidationError({"practice": _("Only a practice lead has a practice.")})
