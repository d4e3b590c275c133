"""What staff act on: score alerts with their state, patients' requests to be contacted, contacts
staff record, and who gets the daily alert e-mail.

Every row belongs to an episode, and so to the episode's provider: worklists read
``provider``-scoped querysets (``for_user``), and the provider is copied onto alerts so the
worklist reads one index range (docs/benchmarks.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from surveys.models import Episode, Invitation, Provider, Response


class ProviderScopedQuerySet(models.QuerySet):
    def for_user(self, user):
        """Rows of the user's providers only (least privilege; superusers see all)."""
        if user.is_superuser:
            return self.all()
        return self.filter(provider__in=Provider.objects.for_user(user))


class Alert(models.Model):
    """A stored answer that met a score alert rule (outcomes/definitions/alert-rules/)."""

    class Level(models.TextChoices):
        URGENT = "urgent", _("Urgent")
        ROUTINE = "routine", _("Routine")

    class State(models.TextChoices):
        NEW = "new", _("New")
        SEEN = "seen", _("Seen")
        ACTED = "acted", _("Acted on")
        CLOSED = "closed", _("Closed")

    OPEN = (State.NEW, State.SEEN, State.ACTED)

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="alerts")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="alerts")
    rules_version = models.CharField(max_length=20)
    rule = models.CharField(max_length=80, help_text=_("The rule's code in its rule set"))
    instrument = models.CharField(max_length=50)
    level = models.CharField(max_length=8, choices=Level.choices)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, help_text=_("The figures behind it, no names"))
    raised_at = models.DateTimeField(help_text=_("When the answers came in"))
    state = models.CharField(max_length=8, choices=State.choices, default=State.NEW)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ProviderScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            # Evaluating the same answers again (a retry, a rebuild) never raises twice.
            models.UniqueConstraint(fields=["response", "rule"], name="alert_once_per_rule")
        ]
        indexes = [
            # The worklist and the staff home count: open alerts of a provider by level.
            models.Index(
                fields=["provider", "level", "raised_at"],
                name="alert_open",
                condition=Q(state__in=["new", "seen", "acted"]),
            )
        ]

    def __str__(self) -> str:
        return f"Alert {self.pk} ({self.rule})"


class AlertChange(models.Model):
    """One step of an alert's state: who, when, and the note (required to act or close)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="changes")
    from_state = models.CharField(max_length=8, choices=Alert.State.choices)
    to_state = models.CharField(max_length=8, choices=Alert.State.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Alert {self.alert_id}: {self.from_state} -> {self.to_state}"


class ContactRequest(models.Model):
    """A patient asked, on the done page, for someone from their care team to get in touch."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting")
        DONE = "done", _("Contacted")

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="contact_requests")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    objects = ProviderScopedQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            # A double tap, or asking again before anyone has called, is one request.
            models.UniqueConstraint(
                fields=["episode"], condition=Q(status="open"), name="contact_request_one_open"
            )
        ]
        indexes = [
            models.Index(
                fields=["provider", "requested_at"],
                name="contact_request_open",
                condition=Q(status="open"),
            )
        ]

    def __str__(self) -> str:
        return f"Contact request {self.pk}"


class StaffContact(models.Model):
    """Staff spoke to or wrote to the patient (recorded from a worklist): counts as contact."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="staff_contacts")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField()

    objects = ProviderScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["episode", "at"], name="staff_contact_episode")]

    def __str__(self) -> str:
        return f"Staff contact {self.pk}"


class AlertEmailSubscription(models.Model):
    """A clinician who asked for the daily e-mail of alert counts (never patient details)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_email"
    )
    enabled = models.BooleanField(default=True)
    last_sent_on = models.DateField(null=True, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Alert e-mail for user {self.user_id}"
