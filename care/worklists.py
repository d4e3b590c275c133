"""Reads behind the worklists and the counts on the staff home, scoped to the user's providers.

Each list is a queryset (the view pages it) and each count one aggregate query; every filter
has an index behind it (docs/benchmarks.md: 100,000 episodes).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from care.models import Alert, ContactRequest
from notifications.models import Notification
from surveys.contact import no_contact_since
from surveys.models import Episode, Invitation, Provider

# A questionnaire is overdue once its due date has passed and the last reminder went out (the
# pathways remind 3 and 7 days after the first message) with no answer: time to phone.
OVERDUE_AFTER_DAYS = 7
NO_CONTACT_WEEKS_CHOICES = (4, 8, 12, 16, 26)
FAILED = (Notification.Status.FAILED, Notification.Status.PERMANENT_FAILURE)


def no_contact_weeks_default() -> int:
    return int(getattr(settings, "WORKLIST_NO_CONTACT_WEEKS", 12))


def provider_ids(user) -> list[int]:
    return list(Provider.objects.for_user(user).values_list("pk", flat=True))


def overdue(user, today: dt.date | None = None):
    """Questionnaires still open, past their due date, unanswered after every reminder."""
    today = today or timezone.localdate()
    return Invitation.objects.filter(
        episode__provider__in=provider_ids(user),
        episode__status=Episode.Status.ACTIVE,
        status__in=Invitation.OUTSTANDING,
        locked_at__isnull=True,
        due_on__lt=today,
        opens_on__lte=today - dt.timedelta(days=OVERDUE_AFTER_DAYS),
        closes_on__gte=today,
    ).order_by("closes_on", "pk")


def locked_links(user, today: dt.date | None = None):
    """Links locked after wrong dates of birth whose questionnaire could still be answered."""
    today = today or timezone.localdate()
    return Invitation.objects.filter(
        episode__provider__in=provider_ids(user),
        episode__status=Episode.Status.ACTIVE,
        status__in=Invitation.OUTSTANDING,
        locked_at__isnull=False,
        closes_on__gte=today,
    ).order_by("locked_at", "pk")


def failed_messages(user):
    """The latest message for an open questionnaire failed or bounced, and nothing newer was
    sent or is waiting (a new link, or new contact details and a resend, clear it)."""
    newer = Notification.objects.filter(
        invitation_id=OuterRef("invitation_id"), created_at__gt=OuterRef("created_at")
    ).exclude(status=Notification.Status.CANCELLED)
    return (
        Notification.objects.filter(
            invitation__episode__provider__in=provider_ids(user),
            invitation__episode__status=Episode.Status.ACTIVE,
            invitation__status__in=Invitation.OUTSTANDING,
            status__in=FAILED,
        )
        .exclude(Exists(newer))
        .order_by("-created_at", "-pk")
    )


def no_contact(user, weeks: int, now: dt.datetime | None = None):
    """Active episodes with nothing from or to the patient for ``weeks``: their last contact
    (surveys/contact.py: referral, message sent, answer, event or contact recorded by staff)
    is before the start of the day ``weeks`` weeks ago. Longest silence first; one range of
    the index ``episode_active_last_contact``. The dashboard's no-contact figure counts the
    same episodes."""
    today = timezone.localdate(now) if now else timezone.localdate()
    return Episode.objects.filter(
        provider__in=provider_ids(user),
        status=Episode.Status.ACTIVE,
        last_contact_at__lt=no_contact_since(weeks, today),
    ).order_by("last_contact_at", "pk")


def contact_requests(user):
    return ContactRequest.objects.for_user(user).filter(status=ContactRequest.Status.OPEN)


def alerts_open(user, states=(Alert.State.NEW, Alert.State.SEEN)):
    return Alert.objects.for_user(user).filter(state__in=states)


def counts(user, *, fresh: bool = False) -> dict[str, int]:
    """The numbers on the staff home, one query each, kept for ``COUNTS_CACHE_SECONDS`` per set
    of providers (every user of a service sees the same numbers; the worklist pages themselves
    are always live). ``fresh`` skips the cache (the daily e-mail)."""
    key = (
        "care:counts:"
        + ",".join(map(str, sorted(provider_ids(user))))
        + (":all" if user.is_superuser else "")
    )
    seconds = int(getattr(settings, "WORKLIST_COUNTS_CACHE_SECONDS", 60))
    if not fresh and seconds:
        cached = cache.get(key)
        if cached is not None:
            return cached
    result = _counts(user)
    if seconds:
        cache.set(key, result, seconds)
    return result


def _counts(user) -> dict[str, int]:
    alerts = {
        (row["level"]): row["n"]
        for row in alerts_open(user).values("level").annotate(n=Count("pk"))
    }
    return {
        "alerts": sum(alerts.values()),
        "alerts_urgent": alerts.get(Alert.Level.URGENT, 0),
        "contact_requests": contact_requests(user).count(),
        "overdue": overdue(user).count(),
        "locked": locked_links(user).count(),
        "failed_messages": failed_messages(user).count(),
        "no_contact": no_contact(user, no_contact_weeks_default()).count(),
    }
