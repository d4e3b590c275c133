"""The history the demo's synthetic patients would have had: the messages that carried their
links, alerts on their answers (old ones already dealt with), a few requests to be contacted,
a couple of locked links and bounced messages. Called after demo_setup writes the population
(surveys.signals.population_written), so that no page shows what cannot happen: an answered
questionnaire with "No messages yet", or years-old alerts nobody looked at.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from care.alerts import alerts_raise_all
from care.contact import last_contact_refresh
from care.models import Alert, AlertChange, ContactRequest
from notifications.models import Notification
from notifications.services import channel_for
from surveys.cohorts import cohorts_refresh
from surveys.models import Episode, Invitation, Response

RECENT_DAYS = 14  # contact requests in the demo are this recent
ALERTS_OPEN_DAYS = 30  # alerts newer than this are still waiting for someone in the demo
DEMO_NOTE = "Reviewed with the patient at their appointment (synthetic demo history)."


@transaction.atomic
def demo_history_write(*, episode_ids=None, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    episodes = Episode.objects.all()
    if episode_ids is not None:
        episode_ids = list(episode_ids)  # read twice: the history, then the last contact
        episodes = episodes.filter(pk__in=episode_ids)
    locked, bounced = _unlucky(episodes, now)
    messages = _messages(episodes, now, bounced)
    # The messages were written in bulk, without the outbox: their episodes' last contact is
    # worked out again from the whole history (one UPDATE).
    last_contact_refresh(episode_ids=episode_ids)
    return {
        "messages": messages,
        "alerts": alerts_history_write(episodes, now),
        "contact_requests": _contact_requests(episodes, now),
        "locked": Invitation.objects.filter(pk__in=locked).update(
            locked_at=now - dt.timedelta(days=1), dob_attempts=5
        ),
    }


def _unlucky(episodes, now) -> tuple[list[int], set[int]]:
    """Per provider, two open links locked by wrong dates of birth (a relative guessing, a typo
    five times) and two whose last message bounced (a changed number)."""
    today = timezone.localdate(now)
    locked, bounced = [], set()
    open_now = Invitation.objects.filter(
        episode__in=episodes,
        episode__status=Episode.Status.ACTIVE,
        status=Invitation.Status.SENT,
        sent_at__isnull=False,
        opens_on__lte=today,
        closes_on__gte=today,
        locked_at__isnull=True,
    ).order_by("pk")
    for provider_id in set(episodes.values_list("provider_id", flat=True)):
        ids = list(open_now.filter(episode__provider_id=provider_id).values_list("pk", flat=True))
        locked += ids[:2]
        bounced.update(ids[2:4])
    return locked, bounced


def _messages(episodes, now, bounced: set[int]) -> int:
    """An invitation and the reminders it was owed (3 and 7 days on, until it was answered or
    closed) for every questionnaire that went out; the last message of ``bounced`` failed."""
    invitations = (
        Invitation.objects.filter(episode__in=episodes, sent_at__isnull=False)
        .exclude(notifications__isnull=False)
        .select_related("episode__patient")
    )
    rows = []
    for invitation in invitations:
        patient = invitation.episode.patient
        channel = channel_for(patient)
        if channel is None:
            continue
        end = min(
            now,
            invitation.completed_at or now,
            timezone.make_aware(dt.datetime.combine(invitation.closes_on, dt.time(23, 59))),
        )
        sends = [("invite", invitation.sent_at)]
        sends += [
            ("reminder", invitation.sent_at + dt.timedelta(days=days))
            for days in (3, 7)
            if invitation.sent_at + dt.timedelta(days=days) < end
        ]
        for n, (kind, at) in enumerate(sends, start=1):
            last = n == len(sends)
            failed = invitation.pk in bounced and last and channel != Notification.Channel.LETTER
            rows.append(
                Notification(
                    invitation=invitation,
                    patient=patient,
                    channel=channel,
                    kind=kind,
                    template="demo",
                    language=patient.preferred_language or "en",
                    status=Notification.Status.PERMANENT_FAILURE
                    if failed
                    else Notification.Status.SENT
                    if channel == Notification.Channel.LETTER
                    else Notification.Status.DELIVERED,
                    idempotency_key=f"{invitation.pk}:{kind}:{1 if kind == 'invite' else n - 1}",
                    not_before=at,
                    attempts=1,
                    error_code="permanent-failure" if failed else "",
                    sent_at=at,
                    delivered_at=None
                    if failed or channel == "letter"
                    else at + dt.timedelta(minutes=1),
                )
            )
    Notification.objects.bulk_create(rows, batch_size=2000)
    # Their invitations now count under the channel their invite went by.
    cohorts_refresh(episode_ids={row.invitation.episode_id for row in rows})
    # created_at is automatic: date each message when it went out (one UPDATE).
    Notification.objects.filter(template="demo", invitation__episode__in=episodes).update(
        created_at=F("sent_at")
    )
    return len(rows)


def alerts_history_write(episodes, now) -> int:
    """Raise the alerts the answers give; those older than a month were dealt with (closed)."""
    found = alerts_raise_all(episode_ids=episodes.values_list("pk", flat=True))
    # The demo stores answers first and dates them afterwards: an alert is dated by its answers.
    Alert.objects.filter(episode__in=episodes).update(
        raised_at=Subquery(
            Response.objects.filter(pk=OuterRef("response_id")).values("submitted_at")[:1]
        )
    )
    old = Alert.objects.filter(episode__in=episodes, state=Alert.State.NEW).filter(
        Q(raised_at__lt=now - dt.timedelta(days=ALERTS_OPEN_DAYS))
        | ~Q(episode__status=Episode.Status.ACTIVE)
    )
    changes = []
    for alert in old:
        acted = alert.raised_at + dt.timedelta(days=2)
        closed = alert.raised_at + dt.timedelta(days=9)
        changes += [
            AlertChange(alert=alert, from_state="new", to_state="acted", at=acted, note=DEMO_NOTE),
            AlertChange(alert=alert, from_state="acted", to_state="closed", at=closed),
        ]
        alert.state, alert.state_changed_at = Alert.State.CLOSED, closed
    AlertChange.objects.bulk_create(changes, batch_size=1000)
    Alert.objects.bulk_update(old, ["state", "state_changed_at"], batch_size=1000)
    return found


def _contact_requests(episodes, now) -> int:
    """Three patients who asked, on their done page in the last fortnight, to be contacted."""
    recent = (
        Invitation.objects.filter(
            episode__in=episodes,
            episode__status=Episode.Status.ACTIVE,
            status=Invitation.Status.COMPLETED,
            completed_at__gte=now - dt.timedelta(days=RECENT_DAYS),
        )
        .exclude(episode__contact_requests__isnull=False)
        .select_related("episode")
        .order_by("pk")[:3]
    )
    made = [
        ContactRequest(
            episode=invitation.episode,
            provider_id=invitation.episode.provider_id,
            invitation=invitation,
            requested_at=invitation.completed_at + dt.timedelta(minutes=2),
        )
        for invitation in recent
    ]
    ContactRequest.objects.bulk_create(made)
    return len(made)
