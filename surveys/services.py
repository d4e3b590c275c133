"""Writes for the patient journey: enrolment, events, links, saving and submitting answers.

Keyword-only functions, one transaction each, an audit record beside every change that staff
make (CONVENTIONS.md, habit 1). Views, forms, commands and tasks call these and never repeat them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from outcomes.loading import catalogue
from outcomes.models import Instrument, Pathway
from outcomes.scoring import AnswerError, parse_answers, score_answers
from outcomes.selectors import pathways_awaiting_wording
from outcomes.services import audit_record
from proms.transactions import rerun_when_deadlocked
from surveys import scheduling
from surveys.cohorts import cohorts_refresh, cohorts_refresh_for_patients
from surveys.contact import day_start, episode_contacted
from surveys.links import invitation_for_token  # noqa: F401 - patient pages read it here
from surveys.models import (
    Episode,
    EpisodeEvent,
    InstrumentResult,
    Invitation,
    Patient,
    PostcodeArea,
    Provider,
    Response,
)
from surveys.pairs import paired_results_refresh
from surveys.signals import response_stored
from surveys.tokens import token_new
from surveys.validators import name_normalise

logger = logging.getLogger(__name__)

MAX_DOB_ATTEMPTS = 5


class JourneyError(ValueError):
    """A request that breaks a rule of the journey; the message is for the person who made it."""


def pathway_spec(pathway: Pathway):
    return catalogue().pathway(pathway.code, pathway.version)


def pathways_current():
    """The pathway versions new enrolments use: the current published version of each pathway.

    Episodes keep the version they were enrolled on, so older versions stay in the database.
    In production a pathway whose instruments lack licensed patient wording is left out
    (:func:`outcomes.selectors.pathways_awaiting_wording` says why, for the staff pages).
    """
    held = {(p.code, p.version) for p in pathways_awaiting_wording()}
    current = [
        spec
        for spec in catalogue().current_pathways()
        if spec.status == "published" and (spec.code, spec.version) not in held
    ]
    keys = Q(pk__in=[])
    for spec in current:
        keys |= Q(code=spec.code, version=spec.version)
    return Pathway.objects.filter(keys)


@transaction.atomic
def patient_create(*, by, **fields) -> Patient:
    """Create a patient after the caller found no one with this NHS number (no duplicates).

    ``fields`` are already validated and normalised (NHS number, postcode, phone, e-mail); the
    postcode's LSOA and deprivation come from the lookup table when the postcode is in it (the
    caller can tell from ``patient.area_id``). Two people adding the same patient at once: the
    unique NHS number lets one in and the other gets :class:`JourneyError`.
    """
    # The one rule for names, whoever calls (ValidationError for a name no form would pass).
    fields["given_name"] = name_normalise(fields["given_name"], what=_("first name"))
    fields["family_name"] = name_normalise(fields["family_name"], what=_("last name"))
    area = PostcodeArea.objects.filter(postcode=fields["postcode"]).values_list("area", flat=True)
    try:
        with transaction.atomic():
            patient = Patient.objects.create(area_id=area.first(), created_by=by, **fields)
    except IntegrityError:
        if Patient.objects.filter(nhs_number=fields["nhs_number"]).exists():
            raise JourneyError(_("A patient with this NHS number already exists.")) from None
        raise
    audit_record(actor=by, action="patient.created", obj=patient)
    return patient


@transaction.atomic
def episode_enrol(
    *, patient: Patient, pathway: Pathway, provider: Provider, referred_on: dt.date, by
) -> Episode:
    """Put a patient on a pathway with a provider and schedule every referral-anchored timepoint.

    Enrolling the same referral twice (a double click, a re-uploaded file) raises
    :class:`JourneyError` and changes nothing.
    """
    if referred_on > timezone.localdate():
        raise JourneyError(_("The referral date cannot be in the future."))
    if referred_on < patient.date_of_birth:
        raise JourneyError(_("The referral date cannot be before the date of birth."))
    if patient.episodes.filter(status=Episode.Status.DIED).exists():
        # A death closes every episode of the patient (event_record); never invite them again.
        raise JourneyError(_("This patient is recorded as having died, so cannot be enrolled."))
    try:
        with transaction.atomic():
            episode = Episode.objects.create(
                patient=patient,
                pathway=pathway,
                provider=provider,
                referred_on=referred_on,
                created_by=by,
            )
    except IntegrityError:
        raise JourneyError(
            _("This patient is already enrolled on this pathway for this referral date.")
        ) from None
    _schedule(episode, "referral", referred_on, anchor_event=None)
    cohorts_refresh(episode_ids=[episode.pk])
    audit_record(
        actor=by,
        action="episode.enrolled",
        obj=episode,
        details={"pathway": pathway.code, "provider": provider.ods_code},
    )
    return episode


def _schedule(
    episode: Episode,
    anchor: str,
    anchor_date: dt.date,
    anchor_event,
    procedure: str | None = None,
    served: dict | None = None,
) -> int:
    """Write the anchor's windows as invitations; ``served`` collects, by timepoint, the
    questionnaire that already covers a coinciding window (scheduling.coinciding)."""
    spec = pathway_spec(episode.pathway)
    definitions = catalogue()
    now = timezone.now()
    windows = [
        window
        for window in scheduling.windows(spec, anchor, anchor_date, procedure)
        if window.closes_on >= timezone.localdate()  # a window already closed is not owed
    ]
    if anchor != "referral" and spec.coinciding_within_days and windows:
        existing = [
            scheduling.Scheduled(timepoint, due_on, frozenset(code for code, _v in instruments))
            for timepoint, due_on, instruments in episode.invitations.exclude(
                status__in=[Invitation.Status.CANCELLED, Invitation.Status.EXPIRED]
            ).values_list("timepoint", "due_on", "instruments")
        ]
        kept = []
        for window in windows:
            other = scheduling.coinciding(window, existing, spec.coinciding_within_days)
            if other is None:
                kept.append(window)
            elif served is not None:
                served[window.timepoint] = other.timepoint
        windows = kept
    rows = [
        Invitation(
            episode=episode,
            timepoint=window.timepoint,
            anchor_event=anchor_event,
            due_on=window.due_on,
            opens_on=window.opens_on,
            closes_on=window.closes_on,
            follow_up=window.follow_up,
            instruments=[
                [code, definitions.instrument(code).version] for code in window.instruments
            ],
            next_action_at=max(now, _start_of(window.opens_on)),
        )
        for window in windows
    ]
    Invitation.objects.bulk_create(rows)
    return len(rows)


def _start_of(day: dt.date) -> dt.datetime:
    """A window opens at the start of its first day; quiet hours (notifications) then hold any
    message to the morning, so an enrolment in the day is messaged within a minute."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)))


@transaction.atomic
def event_record(
    *, episode: Episode, kind: str, occurred_on: dt.date, procedure: str = "", by
) -> EpisodeEvent:
    """Record an event; a procedure or assessment starts its timepoints, a closing event cancels
    everything still outstanding and closes the episode.

    Where the pathway names procedure types, ``procedure`` is one of their codes and only the
    types a timepoint names start it (an injection does not start the post-operative ones).
    """
    if episode.status != Episode.Status.ACTIVE:
        raise JourneyError(_("This episode is closed: no more events can be recorded."))
    if occurred_on > timezone.localdate():
        raise JourneyError(_("The date cannot be in the future: record an event once it happens."))
    if occurred_on < episode.referred_on:
        raise JourneyError(_("The event cannot be before the referral date."))
    procedure = procedure.strip() if kind == EpisodeEvent.Kind.PROCEDURE else ""
    types = {p.code for p in pathway_spec(episode.pathway).procedure_types}
    if kind == EpisodeEvent.Kind.PROCEDURE and not procedure:
        raise JourneyError(_("Say which procedure, for example knee replacement."))
    if procedure and types and procedure not in types:
        raise JourneyError(_("Select the type of procedure from the list."))
    event = EpisodeEvent.objects.create(
        episode=episode, kind=kind, occurred_on=occurred_on, procedure=procedure, recorded_by=by
    )
    episode_contacted(episode_ids=[episode.pk], at=day_start(occurred_on))
    details: dict = {"kind": kind}
    if kind in EpisodeEvent.CLOSING:
        closing = [episode]
        if kind == EpisodeEvent.Kind.DEATH:  # a death ends every pathway the patient is on
            closing += list(
                Episode.objects.select_for_update()
                .filter(patient_id=episode.patient_id, status=Episode.Status.ACTIVE)
                .exclude(pk=episode.pk)
            )
        cancelled = Invitation.objects.filter(
            episode__in=closing, status__in=Invitation.OUTSTANDING
        ).update(status=Invitation.Status.CANCELLED, next_action_at=None, token_hash=None)
        status = {
            EpisodeEvent.Kind.DISCHARGE: Episode.Status.DISCHARGED,
            EpisodeEvent.Kind.WITHDRAWAL: Episode.Status.WITHDRAWN,
            EpisodeEvent.Kind.DEATH: Episode.Status.DIED,
        }[kind]
        for closed in closing:
            closed.status, closed.closed_on = status, occurred_on
            closed.save(update_fields=["status", "closed_on"])
        for other in closing[1:]:
            audit_record(
                actor=by, action="episode.closed", obj=other, details={"death_event": event.pk}
            )
        details["cancelled"] = cancelled
    else:
        served: dict[str, str] = {}
        details["scheduled"] = _schedule(
            episode,
            kind,
            occurred_on,
            anchor_event=event,
            procedure=procedure or None,
            served=served,
        )
        if served:  # timepoint -> the questionnaire that covers it (coinciding timepoints)
            details["served_by"] = served
        closing = [episode]
    cohorts_refresh(episode_ids=[closed.pk for closed in closing])
    audit_record(actor=by, action="episode.event_recorded", obj=episode, details=details)
    return event


@transaction.atomic
def invitation_link_issue(*, invitation: Invitation, by=None) -> str:
    """Give the invitation a new link (the old one stops working) and return its token.

    The token exists only in the returned value and in the message that carries it.
    """
    if invitation.status not in Invitation.OUTSTANDING:
        raise JourneyError(_("This questionnaire is no longer open, so it has no link."))
    token, hashed = token_new()
    invitation.token_hash = hashed
    invitation.dob_attempts = 0
    invitation.locked_at = None
    fields = ["token_hash", "dob_attempts", "locked_at"]
    if invitation.status == Invitation.Status.SCHEDULED:
        invitation.status = Invitation.Status.SENT
        invitation.sent_at = timezone.now()
        fields += ["status", "sent_at"]
    invitation.save(update_fields=fields)
    if "status" in fields:
        cohorts_refresh(episode_ids=[invitation.episode_id])
    audit_record(actor=by, action="invitation.link_issued", obj=invitation)
    return token


@transaction.atomic
def invitation_unlock(*, invitation: Invitation, by) -> Invitation:
    """Let a link locked after wrong dates of birth work again, once staff have spoken to the
    patient (the same link: no new message is sent). Raises :class:`JourneyError` when there is
    nothing to unlock."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.locked_at is None:
        raise JourneyError(_("This link is not locked."))
    if invitation.status not in Invitation.OUTSTANDING:
        raise JourneyError(_("This questionnaire is no longer open, so its link stays closed."))
    invitation.locked_at = None
    invitation.dob_attempts = 0
    invitation.save(update_fields=["locked_at", "dob_attempts"])
    audit_record(actor=by, action="invitation.unlocked", obj=invitation)
    return invitation


# The patient's details staff may change on the details page (never the NHS number: a wrong
# number means a wrong patient record, which is a matter for the records team).
PATIENT_EDITABLE = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "practice",
    "mobile",
    "email",
    "preferred_channel",
    "preferred_language",
    "contact_consent",
)


# The patient's details the cohort rows and paired results copy (surveys/cohorts.py).
COHORT_FIELDS = frozenset({"date_of_birth", "sex", "practice", "area"})


@transaction.atomic
def patient_update(*, patient: Patient, by, **fields) -> list[str]:
    """Save changed details (already validated by the form) and return the names changed.

    The audit record names the fields, never their values. Saving with ``update_fields`` lets
    the notifications app see consent or a way of contact arrive: questionnaires that were
    waiting for them go out at the next tick (notifications.services.patient_contact_changed).
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = []
    for name in PATIENT_EDITABLE:
        if name in fields and getattr(patient, name) != fields[name]:
            setattr(patient, name, fields[name])
            changed.append(name)
    if not changed:
        return []
    if "postcode" in changed:
        patient.area_id = (
            PostcodeArea.objects.filter(postcode=patient.postcode)
            .values_list("area", flat=True)
            .first()
        )
        changed.append("area")
    patient.save(update_fields=changed)
    if COHORT_FIELDS.intersection(changed):  # what the read models copy from the patient
        cohorts_refresh_for_patients(patient_ids=[patient.pk])
    audit_record(actor=by, action="patient.updated", obj=patient, details={"fields": changed})
    return changed


def invitation_is_answerable(invitation: Invitation, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        invitation.status in Invitation.OUTSTANDING
        and invitation.locked_at is None
        and invitation.opens_on <= today <= invitation.closes_on
        and invitation.episode.status == Episode.Status.ACTIVE
    )


@transaction.atomic
def invitation_confirm_birth_date(*, invitation: Invitation, date_of_birth: dt.date) -> bool:
    """Check the patient's date of birth; after 5 wrong tries the link locks."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.locked_at is not None:
        return False
    patient_dob = Patient.objects.values_list("date_of_birth", flat=True).get(
        episodes__invitations=invitation
    )
    if date_of_birth == patient_dob:
        opening = invitation.status in (Invitation.Status.SCHEDULED, Invitation.Status.SENT)
        if opening:
            invitation.status = Invitation.Status.OPENED
            invitation.opened_at = timezone.now()
        invitation.dob_attempts = 0
        invitation.save(update_fields=["status", "opened_at", "dob_attempts"])
        if opening:
            cohorts_refresh(episode_ids=[invitation.episode_id])
        return True
    invitation.dob_attempts += 1
    if invitation.dob_attempts >= MAX_DOB_ATTEMPTS:
        invitation.locked_at = timezone.now()
        logger.warning("Invitation %s locked after wrong dates of birth", invitation.pk)
    invitation.save(update_fields=["dob_attempts", "locked_at"])
    return False


def invitation_save_answers(
    *, invitation: Invitation, instrument_code: str, answers: Mapping[str, int | None]
) -> None:
    """Keep a page's answers so the patient can leave and come back (one UPDATE, no reads;
    the first page answered also refreshes the episode's cohort rows: partly answered)."""
    changes: dict = {"draft_answers": {**invitation.draft_answers, instrument_code: dict(answers)}}
    first_page = invitation.status in (Invitation.Status.SENT, Invitation.Status.OPENED)
    if first_page:
        changes["status"] = Invitation.Status.PARTIAL
    outstanding = Invitation.objects.filter(pk=invitation.pk, status__in=Invitation.OUTSTANDING)

    def partly_answered() -> None:  # the first page answered: partly answered from now on
        with transaction.atomic():
            outstanding.update(**changes)
            cohorts_refresh(episode_ids=[invitation.episode_id])

    if first_page:
        rerun_when_deadlocked(partly_answered)  # the cohort rows meet the nightly rebuild's
    else:
        outstanding.update(**changes)
    for field, value in changes.items():
        setattr(invitation, field, value)


def _check_answerable(invitation: Invitation) -> None:
    """Refuse answers for a questionnaire not open yet, or no longer outstanding.

    ``response_submit`` calls this on the row it has locked, so the status is current: a
    discharge that cancelled the invitation a moment ago is seen here. The window's end and the
    link's lock are the patient pages' business; staff may enter a late paper form.
    """
    if invitation.status not in Invitation.OUTSTANDING:
        raise JourneyError(_("This questionnaire is no longer open for answers."))
    if invitation.opens_on > timezone.localdate():
        raise JourneyError(
            _("This questionnaire opens on %(date)s: answers can be entered from then.")
            % {"date": date_format(invitation.opens_on, "j F Y")}
        )


@dataclass(frozen=True)
class Submission:
    response: Response
    created: bool


def response_submit(
    *,
    invitation: Invitation,
    answers: Mapping[str, Mapping[str, int | None]],
    mode: str,
    by=None,
    locked: bool = False,
) -> Submission:
    """Score and store the response for an invitation, once.

    A second submission (double tap, back button, retry after a dropped connection) returns the
    stored response and changes nothing: the row lock makes the second wait for the first and
    then find the invitation completed, and the one-to-one constraint backs that up. The
    invitation row is locked and checked again here, so a discharge or cancellation that lands
    between the page's check and this submit is refused rather than overwritten.

    ``locked=True``: the caller read ``invitation`` with its row locked inside the transaction
    this runs in (the patient's submit, ``invitation_for_token(lock=True)``), so it is not read
    again; an ``IntegrityError`` then reaches the caller, which ends its transaction.
    """
    if locked:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("locked=True needs the caller's transaction")
        with transaction.atomic(savepoint=False):
            return _response_store(invitation=invitation, answers=answers, mode=mode, by=by)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
            return _response_store(invitation=invitation, answers=answers, mode=mode, by=by)
    except IntegrityError:
        return Submission(Response.objects.get(invitation_id=invitation.pk), created=False)


def _response_store(*, invitation: Invitation, answers, mode: str, by) -> Submission:
    """``response_submit`` on an invitation whose row this transaction has locked."""
    if invitation.status == Invitation.Status.COMPLETED:
        existing = Response.objects.filter(invitation=invitation).first()
        if existing is not None:
            return Submission(existing, created=False)
    _check_answerable(invitation)
    parsed: dict[str, dict[str, int | None]] = {}
    results = []
    for code, version in invitation.instruments:
        spec = catalogue().instrument(code, version)
        raw = {
            item_id: value
            for item_id, value in (answers.get(code) or {}).items()
            if item_id in spec.item_ids
        }
        try:
            values = parse_answers(spec, raw)
        except AnswerError as error:
            raise JourneyError(str(error)) from error
        if not invitation.follow_up:
            for item in spec.items:
                if item.asked_at == "follow-up":
                    values[item.id] = None
        asked = [item.id for item in spec.items if invitation.follow_up or item.asked_at == "all"]
        if mode != Response.Mode.SELF_PHONE and asked and all(values.get(i) is None for i in asked):
            # A blank paper form is not a response: it would complete the questionnaire with
            # every score missing and the patient would never be asked again.
            raise JourneyError(
                _("Enter at least one answer for %(title)s.") % {"title": spec.title}
            )
        parsed[code] = values
        scored = score_answers(spec, values)
        # The instrument's id read inside the INSERT: no query of its own.
        instrument = Instrument.objects.filter(code=code, version=version).values("pk")
        results.append((Subquery(instrument), scored))
    response = Response.objects.create(
        invitation=invitation,
        mode=mode,
        answers=parsed,
        submitted_at=timezone.now(),
        entered_by=by if getattr(by, "pk", None) else None,
    )
    InstrumentResult.objects.bulk_create(
        InstrumentResult(
            response=response,
            instrument_id=instrument,
            scores=scored["scores"],
            outcomes=scored["outcomes"],
        )
        for instrument, scored in results
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.COMPLETED,
        completed_at=response.submitted_at,
        draft_answers={},
        next_action_at=None,
        token_hash=None if mode != Response.Mode.SELF_PHONE else invitation.token_hash,
    )
    # An answer is contact (surveys/contact.py): the hot path's one statement for it.
    episode_contacted(episode_ids=[invitation.episode_id], at=response.submitted_at)
    # A first response in its episode has nothing to pair with, and no pairs to replace.
    if getattr(invitation, "episode_responded", True):
        paired_results_refresh(episode_ids=[invitation.episode_id])
    cohorts_refresh(episode_ids=[invitation.episode_id])
    # Apps above this one act on new answers in the same transaction (score alerts: care).
    response_stored.send(sender=Response, response=response)
    if by is not None:
        audit_record(actor=by, action="response.entered", obj=response, details={"mode": mode})
    logger.info("Response %s stored for invitation %s", response.pk, invitation.pk)
    return Submission(response, created=True)
