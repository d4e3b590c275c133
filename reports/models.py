"""Stored board packs and who wants to hear about new ones."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BoardPack(models.Model):
    """One PDF of outcome figures for a condition and a filter set (aggregates only).

    The PDF is kept in the database (``pdf``), not in MEDIA: a pack is a few hundred KB and a
    dozen a month, the web and worker containers share no file volume (docker-compose.yml), and
    the row and its file are written, backed up and restored together (docs/adr/0005).
    """

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        ON_DEMAND = "on_demand", _("On demand")

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    condition = models.CharField(max_length=50)
    provider = models.CharField(max_length=10, blank=True)  # ODS code, blank = every provider
    practice = models.CharField(max_length=10, blank=True)  # ODS code, blank = every practice
    timepoint = models.CharField(max_length=50, default="6-months")
    date_from = models.DateField()  # first day of a month
    date_to = models.DateField()  # last day of a month (inclusive, as the API's ``to``)
    title = models.CharField(max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(null=True, blank=True)
    build_seconds = models.FloatField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    size = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)  # a reason for staff, never data
    announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["condition", "date_to"],
                condition=models.Q(kind="monthly"),
                name="board_pack_one_monthly_per_condition_and_month",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    def api_query(self) -> dict[str, Any]:
        """The API query parameters that give this pack's figures (``from``/``to`` dates)."""
        query = {
            "condition": self.condition,
            "timepoint": self.timepoint,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
        }
        if self.provider:
            query["provider"] = self.provider
        if self.practice:
            query["practice"] = self.practice
        return query

    @property
    def filename(self) -> str:
        parts = ["board-pack", self.condition, f"{self.date_to:%Y-%m}"]
        if self.date_from.replace(day=1) != self.date_to.replace(day=1):
            parts.insert(2, f"{self.date_from:%Y-%m}-to")
        parts += [code for code in (self.provider, self.practice) if code]
        return "-".join(parts) + ".pdf"


class ReportSubscription(models.Model):
    """A staff member who wants an e-mail (a link only) when a monthly board pack is ready."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscription"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Board pack e-mails for user {self.user_id}"
