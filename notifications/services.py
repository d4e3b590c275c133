"""Writes for follow-up messages: the dispatch tick, resends, opt-outs, Notify callbacks.

Plain keyword-only functions; Celery tasks (tasks.py) and views only call them.

The flow: ``dispatch_due`` (every few minutes) opens invitations whose window started, issues
their links and writes the invite notifications in the same transaction, queues reminders and
expires closed windows. Sending them is ``notifications.sending`` (the outbox relay and
``notification_send``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import timing
from notifications.models import Notification
from notifications.sealing import seal, unseal
from notifications.wording import message_wording
from outcomes.models import AuditEvent
from outcomes.selectors import (
    instruments_without_patient_wording,
    placeholder_wording_allowed,
    wording_gaps,
)
from outcomes.services import audit_record
from surveys.cohorts import cohorts_refresh
from surveys.models import Episode, Invitation, Patient
from surveys.services import JourneyError, invitation_link_issue, pathway_spec
from surveys.tokens import token_hash, token_new

logger = logging.getLogger(__name__)

# A staff member pressing "resend" twice within this time sends one message, not two.
RESEND_DEBOUNCE = dt.timedelta(minutes=2)
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "OPTOUT"})


def uk_zone() -> ZoneInfo:
    return ZoneInfo(settings.QUIET_HOURS_TIMEZONE)


def hold_until(channel: str, moment: dt.datetime) -> dt.datetime:
    """The earliest time a message on ``channel`` may go out: letters any time, others not in
    quiet hours (20:00-08:00 UK time by default)."""
    if channel == Notification.Channel.LETTER:
        return moment
    end = timing.quiet_hours_end(moment, timing.parse_quiet_hours(settings.QUIET_HOURS), uk_zone())
    return end or moment


def channel_for(patient: Patient) -> str | None:
    """The channel to reach ``patient`` by: their preference when we have the address it needs,
    else another they gave us, else a letter; None when nothing can reach them."""
    can = {
        Notification.Channel.SMS: bool(patient.mobile),
        Notification.Channel.EMAIL: bool(patient.email),
        Notification.Channel.LETTER: bool(patient.address_line_1 and patient.postcode),
    }
    order = [patient.preferred_channel, "sms", "email", "letter"]
    return next((channel for channel in order if can.get(channel)), None)


def may_contact_patient(patient: Patient) -> bool:
    return bool(patient.contact_consent) and patient.opted_out_at is None


def may_contact(patient: Patient, episode: Episode) -> bool:
    """Never message a patient who opted out, did not consent, or whose episode closed."""
    return may_contact_patient(patient) and episode.status == Episode.Status.ACTIVE


def _new_notification(
    *, invitation: Invitation, patient: Patient, kind: str, sequence: int, token: str, now
) -> Notification | None:
    channel = channel_for(patient)
    if channel is None:
        return None
    language, template = message_wording(channel, kind, patient)
    not_before = hold_until(channel, now)
    return Notification(
        invitation=invitation,
        patient=patient,
        channel=channel,
        kind=kind,
        template=template,
        language=language,
        status=Notification.Status.HELD if not_before > now else Notification.Status.PENDING,
        idempotency_key=f"{invitation.pk}:{kind}:{sequence}",
        link_token=seal(token),
        not_before=not_before,
    )


# --- The dispatch tick --------------------------------------------------------------------


@dataclass
class DispatchReport:
    opened: int = 0
    reminded: int = 0
    expired: int = 0
    silent: int = 0  # due, but the patient cannot or may not be messaged
    held: int = 0  # an instrument's licensed patient wording is not loaded (production)
    deferred: int = 0  # not due after all (e.g. window not yet open): looked at again later
    notifications: int = 0
    more: bool = False  # the batch was full: more work is due

    @property
    def processed(self) -> int:
        return self.opened + self.reminded + self.expired + self.silent + self.deferred + self.held


_INVITATION_FIELDS = ("status", "sent_at", "token_hash", "dob_attempts", "locked_at")
# What the tick reads: no JSON (answers, instruments, the pathway definition) to decode per row.
_DUE_COLUMNS = (
    *_INVITATION_FIELDS,
    "episode__status",
    "episode__pathway__code",
    "episode__pathway__version",
    "episode__patient__mobile",
    "episode__patient__email",
    "episode__patient__address_line_1",
    "episode__patient__postcode",
    "episode__patient__preferred_channel",
    "episode__patient__preferred_language",
    "episode__patient__contact_consent",
    "episode__patient__opted_out_at",
    "opens_on",
    "closes_on",
    "next_action_at",
    "instruments",  # a short list of [code, version]: held while one lacks patient wording
)
# How often an invitation held for missing licensed wording is looked at again.
WORDING_HOLD_RECHECK = dt.timedelta(hours=1)


def dispatch_due(
    *, now: dt.datetime | None = None, limit: int | None = None, enqueue: bool = True
) -> DispatchReport:
    """One scheduler tick over the invitations whose ``next_action_at`` has come.

    Reads the due rows through the partial index ``invitation_due`` and locks them with
    ``SKIP LOCKED`` (two ticks never take the same row), then writes every change in bulk: the
    number of queries is the same for 10 or 10,000 due invitations.
    """
    now = now or timezone.now()
    limit = limit or settings.NOTIFICATIONS_DISPATCH_BATCH
    zone = uk_zone()
    today = now.astimezone(zone).date()
    report = DispatchReport()
    with transaction.atomic():
        due = list(
            Invitation.objects.filter(status__in=Invitation.OUTSTANDING, next_action_at__lte=now)
            .select_related("episode__patient", "episode__pathway")
            .only(*_DUE_COLUMNS)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_action_at")[:limit]
        )
        report.more = len(due) == limit
        reminder_days = {}
        for invitation in due:
            pathway = invitation.episode.pathway
            if pathway.pk not in reminder_days:
                reminder_days[pathway.pk] = tuple(pathway_spec(pathway).reminder_days)
        current_tokens = _current_tokens(
            [i for i in due if i.status != Invitation.Status.SCHEDULED]
        )
        # Production: never send a link to a page that would show placeholder labels.
        unworded = (
            frozenset()
            if placeholder_wording_allowed() or not due
            else instruments_without_patient_wording()
        )
        expired, changed, notifications = [], [], []
        restated: list[int] = []  # episodes of invitations whose status changes (sent, expired)
        new_tokens: dict[int, str] = {}
        for invitation in due:
            episode, patient = invitation.episode, invitation.episode.patient
            end = timing.window_end(invitation.closes_on, zone)
            if now >= end or episode.status != Episode.Status.ACTIVE:
                expired.append(invitation.pk)
                restated.append(invitation.episode_id)
                report.expired += 1
                continue
            changed.append(invitation)
            held = unworded and any(tuple(pair) in unworded for pair in invitation.instruments)
            contactable = may_contact(patient, episode) and channel_for(patient) is not None
            if invitation.status == Invitation.Status.SCHEDULED:
                if today < invitation.opens_on:
                    opens = timing.day_start(invitation.opens_on, zone)
                    invitation.next_action_at = max(now, opens)
                    report.deferred += 1
                    continue
                if held:
                    invitation.next_action_at = min(now + WORDING_HOLD_RECHECK, end)
                    report.held += 1
                    continue
                if not contactable:
                    invitation.next_action_at = end  # staff can still take answers by phone
                    report.silent += 1
                    continue
                token, hashed = token_new()
                new_tokens[invitation.pk] = token
                _issue(invitation, hashed, now)
                restated.append(invitation.episode_id)
                days = reminder_days[episode.pathway_id]
                following = now + dt.timedelta(days=min(days)) if days else end
                invitation.next_action_at = min(following, end)
                notification = _new_notification(
                    invitation=invitation,
                    patient=patient,
                    kind=Notification.Kind.INVITE,
                    sequence=0,
                    token=token,
                    now=now,
                )
                notifications.append(notification)
                report.opened += 1
                continue
            passed, following = timing.reminders_passed(
                invitation.sent_at or now, reminder_days[episode.pathway_id], now
            )
            invitation.next_action_at = min(following or end, end)
            # Letters take days to arrive: only the last reminder goes by post.
            by_post_early = channel_for(patient) == Notification.Channel.LETTER and passed < len(
                reminder_days[episode.pathway_id]
            )
            if not passed or by_post_early:
                report.deferred += 1
                continue
            if held:
                invitation.next_action_at = min(now + WORDING_HOLD_RECHECK, end)
                report.held += 1
                continue
            if not contactable:
                report.silent += 1
                continue
            token = current_tokens.get(invitation.pk)
            if token is None or token_hash(token) != invitation.token_hash:
                token, hashed = token_new()  # the link was replaced elsewhere: issue a fresh one
                new_tokens[invitation.pk] = token
                _issue(invitation, hashed, now)
            notifications.append(
                _new_notification(
                    invitation=invitation,
                    patient=patient,
                    kind=Notification.Kind.REMINDER,
                    sequence=passed,
                    token=token,
                    now=now,
                )
            )
            report.reminded += 1
        _invitations_update(changed)
        if expired:
            Invitation.objects.filter(pk__in=expired).update(
                status=Invitation.Status.EXPIRED, next_action_at=None, token_hash=None
            )
            _cancel_waiting(Q(invitation_id__in=expired))
        # Their statuses changed: the cohort rows follow (one refresh for the whole tick).
        cohorts_refresh(episode_ids=restated)
        if notifications:
            # ignore conflicts: the idempotency key makes a message that exists a no-op.
            _insert(notifications, conflict="idempotency_key")
            report.notifications = len(notifications)
        if new_tokens:
            # The audit trail invitation_link_issue writes, for every link issued here at once.
            _insert(
                [
                    AuditEvent(
                        at=now,
                        action="invitation.link_issued",
                        object_type=Invitation._meta.label_lower,
                        object_id=str(pk),
                        details={"by": "scheduler"},
                    )
                    for pk in new_tokens
                ]
            )
        if enqueue and notifications:
            transaction.on_commit(_relay_soon)
    if report.processed:
        logger.info(
            "Dispatch: %s opened, %s reminded, %s expired, %s silent, %s deferred, %s held",
            report.opened,
            report.reminded,
            report.expired,
            report.silent,
            report.deferred,
            report.held,
        )
    return report


def _issue(invitation: Invitation, hashed: str, now: dt.datetime) -> None:
    """What :func:`surveys.services.invitation_link_issue` does to the row, without saving."""
    invitation.token_hash = hashed
    invitation.dob_attempts = 0
    invitation.locked_at = None
    if invitation.status == Invitation.Status.SCHEDULED:
        invitation.status = Invitation.Status.SENT
        invitation.sent_at = now


def _current_tokens(invitations: list[Invitation]) -> dict[int, str]:
    """The link each invitation's latest message carried (one query for all of them)."""
    if not invitations:
        return {}
    rows = (
        Notification.objects.filter(invitation_id__in=[i.pk for i in invitations])
        .exclude(link_token="")
        .order_by("invitation_id", "-created_at", "-pk")
        .values_list("invitation_id", "link_token")
    )
    tokens: dict[int, str] = {}
    for invitation_id, sealed in rows:
        if invitation_id not in tokens:
            token = unseal(sealed)
            if token:
                tokens[invitation_id] = token
    return tokens


def _invitations_update(invitations: list[Invitation]) -> None:
    """Write status, link and next action of many invitations in one statement."""
    if not invitations:
        return
    fields = [*_INVITATION_FIELDS, "next_action_at"]
    if connection.vendor != "postgresql":
        Invitation.objects.bulk_update(invitations, fields, batch_size=500)
        return
    # PostgreSQL: one UPDATE ... FROM unnest(arrays), whose cost is linear in the rows; Django's
    # bulk_update builds CASE WHEN chains whose cost grows with the square of the rows.
    opts = Invitation._meta
    types = {
        "status": "varchar",
        "sent_at": "timestamptz",
        "token_hash": "varchar",
        "dob_attempts": "integer",
        "locked_at": "timestamptz",
        "next_action_at": "timestamptz",
    }
    columns = [opts.get_field(name).column for name in fields]
    assignments = ", ".join(f'"{column}" = v."{column}"' for column in columns)
    arrays = ", ".join(f"%s::{types[name]}[]" for name in fields)
    names = ", ".join(f'"{column}"' for column in columns)
    sql = (
        f'UPDATE "{opts.db_table}" AS i SET {assignments} '  # noqa: S608 - names from the model
        f'FROM unnest(%s::bigint[], {arrays}) AS v("id", {names}) WHERE i."id" = v."id"'
    )
    params = [[i.pk for i in invitations]] + [
        [getattr(i, name) for i in invitations] for name in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert(objects: list, *, conflict: str | None = None) -> None:
    """INSERT many new rows of one model in one statement.

    PostgreSQL: ``INSERT ... SELECT FROM unnest(arrays)``, which skips bulk_create's per-field
    preparation of every row (the bulk of a 5,000-row tick's time); elsewhere bulk_create.
    """
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, ignore_conflicts=conflict is not None)
        return
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    columns, arrays, params = [], [], []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values = [getattr(obj, f.attname) or timezone.now() for obj in objects]
        elif f.get_internal_type() == "JSONField":
            values = [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objects]
        else:
            values = [getattr(obj, f.attname) for obj in objects]
        columns.append(f'"{f.column}"')
        arrays.append(f"%s::{f.db_type(connection)}[]")
        params.append(values)
    sql = (
        f'INSERT INTO "{opts.db_table}" ({", ".join(columns)}) '  # noqa: S608 - model names
        f"SELECT * FROM unnest({', '.join(arrays)})"
    )
    if conflict:
        sql += f' ON CONFLICT ("{opts.get_field(conflict).column}") DO NOTHING'
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _cancel_waiting(condition: Q) -> int:
    return Notification.objects.filter(condition, status__in=Notification.WAITING).update(
        status=Notification.Status.CANCELLED, link_token="", updated_at=timezone.now()
    )


# Enrolments in a burst (a bulk upload) share one tick queued this long after the first.
DISPATCH_SOON_SECONDS = 10


def dispatch_soon() -> None:
    """Queue a dispatch tick shortly after an enrolment or event commits, so its first message
    goes out within a minute rather than at the next beat (with a broker; in-process, the
    embedded scheduler ticks every NOTIFICATIONS_SCHEDULER_SECONDS instead)."""
    from django.core.cache import cache

    from notifications.tasks import dispatch
    from proms.celery import app

    if app.conf.task_always_eager:  # no broker: never run a tick inside the web request
        return
    if not cache.add("notifications:dispatch-soon", True, timeout=DISPATCH_SOON_SECONDS):
        return  # a tick is already queued for the burst (or Redis is down: beat catches up)
    try:
        dispatch.apply_async(countdown=DISPATCH_SOON_SECONDS)
    except Exception:  # the broker is down: the next beat tick finds the due invitations
        cache.delete("notifications:dispatch-soon")
        logger.warning("Could not queue a dispatch tick; the next scheduled tick will run it")


def _relay_soon() -> None:
    from notifications.tasks import relay

    try:
        relay.delay()
    except Exception:  # the broker is down: the outbox rows wait for the next relay run
        logger.warning("Could not queue the outbox relay; waiting messages stay in the outbox")


# --- Staff actions and events -------------------------------------------------------------


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by) -> Notification:
    """Give the invitation a new link and queue a message carrying it, in one transaction.

    Pressing the button twice within two minutes sends one message. Raises
    :class:`JourneyError` when the patient cannot or may not be messaged.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("episode__patient")
        .get(pk=invitation.pk)
    )
    patient, episode = invitation.episode.patient, invitation.episode
    if not may_contact(patient, episode):
        raise JourneyError(
            _("This patient has asked not to be contacted, or is not on an active pathway.")
        )
    if channel_for(patient) is None:
        raise JourneyError(
            _("We have no mobile number, e-mail or postal address for this patient.")
        )
    if not placeholder_wording_allowed():
        gaps = wording_gaps(invitation.instruments, instruments_without_patient_wording())
        if gaps:
            raise JourneyError(
                _(
                    "This questionnaire cannot be sent yet: the licensed patient wording of "
                    "%(instruments)s has not been loaded."
                )
                % {"instruments": ", ".join(gaps)}
            )
    now = timezone.now()
    recent = (
        Notification.objects.filter(
            invitation=invitation,
            kind=Notification.Kind.RESEND,
            created_at__gte=now - RESEND_DEBOUNCE,
        )
        .exclude(status=Notification.Status.CANCELLED)
        .first()
    )
    if recent is not None:
        return recent
    token = invitation_link_issue(invitation=invitation, by=by)  # raises if no longer open
    # Messages still waiting carry the old link, which no longer works: this one replaces them.
    _cancel_waiting(Q(invitation=invitation))
    sequence = Notification.objects.filter(
        invitation=invitation, kind=Notification.Kind.RESEND
    ).count()
    notification = _new_notification(
        invitation=invitation,
        patient=patient,
        kind=Notification.Kind.RESEND,
        sequence=sequence + 1,
        token=token,
        now=now,
    )
    notification.save()
    audit_record(
        actor=by,
        action="notification.resend_queued",
        obj=notification,
        details={"invitation": invitation.pk, "channel": notification.channel},
    )
    transaction.on_commit(_relay_soon)
    return notification


def episode_notifications_cancel(*, episode: Episode) -> int:
    """Cancel every message still waiting for ``episode`` (a discharge or withdrawal)."""
    return _cancel_waiting(Q(invitation__episode=episode))


def patient_notifications_cancel(*, patient_id: int) -> int:
    """Cancel every message still waiting for the patient, on any episode (a death)."""
    return _cancel_waiting(Q(patient_id=patient_id))


@transaction.atomic
def patient_opt_out(*, patient: Patient, by=None, source: str = "staff") -> int:
    """Stop all messages to ``patient`` at once: cancel every message still waiting. Returns how
    many were cancelled. Safe to call again.

    Their questionnaires stay open: opting out of messages is not leaving the pathway, and
    staff can still take answers by phone or on paper. The tick never messages them again.
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.opted_out_at is None:
        patient.opted_out_at = timezone.now()
        patient.save(update_fields=["opted_out_at"])
    messages = _cancel_waiting(Q(patient=patient))
    audit_record(
        actor=by,
        action="patient.opted_out",
        obj=patient,
        details={"source": source, "messages": messages},
    )
    logger.info("Patient %s opted out (%s)", patient.pk, source)
    return messages


# What decides whether and how a patient can be messaged (channel_for, may_contact).
CONTACT_FIELDS = frozenset(
    {
        "mobile",
        "email",
        "address_line_1",
        "postcode",
        "preferred_channel",
        "contact_consent",
        "opted_out_at",
    }
)


def patient_contact_changed(*, patient: Patient, now: dt.datetime | None = None) -> int:
    """Staff added consent or a way to reach ``patient``: questionnaires whose window is open but
    that were parked (nobody to message when they opened) are due again at the next tick.
    Returns how many; called from the patient's save, in its transaction."""
    now = now or timezone.now()
    if not (may_contact_patient(patient) and channel_for(patient)):
        return 0
    woken = Invitation.objects.filter(
        episode__patient=patient,
        episode__status=Episode.Status.ACTIVE,
        status=Invitation.Status.SCHEDULED,
        opens_on__lte=now.astimezone(uk_zone()).date(),
        next_action_at__gt=now,
    ).update(next_action_at=now)
    if woken:
        transaction.on_commit(dispatch_soon)
    return woken


def mobile_normalise(number: str) -> str:
    """Notify reports UK numbers as 447700900123; patients' numbers are stored as E.164."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits.startswith("0"):
        digits = "44" + digits[1:]
    return f"+{digits}"


def inbound_sms_record(*, source_number: str, message: str) -> int:
    """A text message from a patient: STOP (and its synonyms) opts them out. Returns how many
    patients opted out."""
    if message.strip().upper().rstrip(".!") not in STOP_WORDS:
        return 0
    patients = Patient.objects.filter(mobile=mobile_normalise(source_number))
    for patient in patients:
        patient_opt_out(patient=patient, source="sms-stop")
    return len(patients)


NOTIFY_RECEIPT_STATUSES = {
    "delivered": Notification.Status.DELIVERED,
    "permanent-failure": Notification.Status.PERMANENT_FAILURE,
    "temporary-failure": Notification.Status.FAILED,
    "technical-failure": Notification.Status.FAILED,
}


def delivery_receipt_record(
    *, provider_id: str, reference: str, status: str, completed_at=None
) -> bool:
    """A delivery receipt from Notify; returns False when no notification matches."""
    new_status = NOTIFY_RECEIPT_STATUSES.get(status)
    if new_status is None:
        return False
    query = Q(provider_message_id=provider_id) if provider_id else Q()
    if reference.isdigit():
        query |= Q(pk=int(reference))
    if not query:
        return False
    now = timezone.now()
    delivered = new_status == Notification.Status.DELIVERED
    changes = {
        "status": new_status,
        "delivered_at": (completed_at or now) if delivered else None,
        "error_code": "" if delivered else f"notify-{status}",
        "updated_at": now,
    }
    if provider_id:
        changes["provider_message_id"] = provider_id
    updated = Notification.objects.filter(
        query,
        status__in=[
            Notification.Status.SENDING,
            Notification.Status.SENT,
            Notification.Status.DELIVERED,
            Notification.Status.FAILED,
        ],
    ).update(**changes)
    return bool(updated)
