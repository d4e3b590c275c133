"""Resources beside the outcomes: unit costs, activity, budgets and workshop scenarios.

Unit costs and scenarios are versioned (a loaded version is never edited; a change is a new
version), and every write is audited through ``outcomes.services.audit_record``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitCostSchedule(models.Model):
    """One loaded unit-cost file: version n of the costs every value figure uses."""

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)
    illustrative = models.BooleanField(
        default=False, help_text=_("Made-up costs for the demo: every figure says so.")
    )
    file_name = models.CharField(max_length=200, blank=True)
    checksum = models.CharField(max_length=64, help_text=_("SHA-256 of the file as loaded."))
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Unit costs v{self.version}: {self.name}"


class UnitCost(models.Model):
    schedule = models.ForeignKey(UnitCostSchedule, on_delete=models.CASCADE, related_name="costs")
    activity_type = models.SlugField(max_length=60)
    unit = models.CharField(max_length=100, help_text=_("e.g. per session, per procedure"))
    cost = models.DecimalField(max_digits=12, decimal_places=2)
    price_year = models.CharField(max_length=7, help_text=_("e.g. 2023/24"))
    source = models.CharField(max_length=500)

    class Meta:
        ordering = ["activity_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "activity_type"], name="unit_cost_once_per_schedule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity_type}: £{self.cost} {self.unit}"


class ActivityImport(models.Model):
    """One monthly activity file from a provider; a new file for the same month replaces it."""

    provider = models.ForeignKey(
        "surveys.Provider", on_delete=models.PROTECT, related_name="activity_imports"
    )
    month = models.DateField(help_text=_("First day of the month the activity happened in"))
    file_name = models.CharField(max_length=200, blank=True)
    checksum = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    replaced = models.BooleanField(default=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-month", "-uploaded_at"]

    def __str__(self) -> str:
        return f"Activity {self.provider_id} {self.month:%Y-%m}"


class ActivityRecord(models.Model):
    """A count of one activity type: for one episode, or for a provider's condition in a month
    (then spread evenly over that provider's episodes of the condition, docs/value.md §2)."""

    activity_import = models.ForeignKey(
        ActivityImport, null=True, blank=True, on_delete=models.CASCADE, related_name="records"
    )
    provider = models.ForeignKey("surveys.Provider", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    activity_type = models.SlugField(max_length=60)
    count = models.PositiveIntegerField()
    episode = models.ForeignKey(
        "surveys.Episode", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    condition = models.SlugField(max_length=50, help_text=_("The episode's, or the file's"))

    class Meta:
        indexes = [models.Index(fields=["condition", "provider", "month"])]

    def __str__(self) -> str:
        return f"{self.count} x {self.activity_type}"


class Budget(models.Model):
    """The programme's allocation for a financial year (April to March), by condition and
    service, as staff enter it. A blank service is the condition's whole allocation."""

    year = models.PositiveIntegerField(help_text=_("Financial year starting in April, e.g. 2026"))
    condition = models.SlugField(max_length=50)
    service = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    entered_at = models.DateTimeField(auto_now=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-year", "condition", "service"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "condition", "service"], name="budget_once_per_line"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}/{(self.year + 1) % 100:02d} {self.condition} {self.service or 'all'}"


class Scenario(models.Model):
    """A STAR workshop's scenario for one condition; its content lives in its versions."""

    name = models.CharField(max_length=200)
    condition = models.SlugField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def latest(self) -> ScenarioVersion | None:
        return self.versions.order_by("-number").first()


class ScenarioVersion(models.Model):
    """One saved state of a scenario, never edited: the counterfactual assumed and the options
    stakeholders added (scale, cost and benefit estimates) beside the data-driven ones."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["scenario", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "number"], name="scenario_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.scenario} v{self.number}"
