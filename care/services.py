"""Writes for contact requests and staff contacts (alerts: care/alerts.py). One transaction
each, audited; ids in the audit details, never names."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care.models import ContactRequest, StaffContact
from outcomes.services import audit_record
from surveys.contact import episode_contacted
from surveys.models import Episode, Invitation
from surveys.services import JourneyError

NOTE_MAX = 2000


@transaction.atomic
def contact_request_create(*, invitation: Invitation) -> ContactRequest:
    """The patient asked to be contacted (from their done page). Asking again while a request
    is still waiting returns that request: one item on the worklist, however often they tap."""
    episode = invitation.episode
    existing = ContactRequest.objects.filter(
        episode=episode, status=ContactRequest.Status.OPEN
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            request = ContactRequest.objects.create(
                episode=episode,
                provider_id=episode.provider_id,
                invitation=invitation,
                requested_at=timezone.now(),
            )
    except IntegrityError:  # the same tap twice at once: the other one stored it
        return ContactRequest.objects.get(episode=episode, status=ContactRequest.Status.OPEN)
    audit_record(
        actor=None, action="contact_request.created", obj=request, details={"episode": episode.pk}
    )
    return request


def _note(note: str, message: str) -> str:
    note = note.strip()
    if not note:
        raise JourneyError(message)
    if len(note) > NOTE_MAX:
        raise JourneyError(_("Keep the note under %(n)s characters.") % {"n": NOTE_MAX})
    return note


@transaction.atomic
def contact_request_done(*, contact_request: ContactRequest, by, note: str) -> ContactRequest:
    """Staff got in touch: close the request with a note; it counts as contact."""
    note = _note(note, _("Say how you contacted the patient and what was agreed."))
    request = ContactRequest.objects.select_for_update().get(pk=contact_request.pk)
    if request.status != ContactRequest.Status.OPEN:
        raise JourneyError(_("Someone has already recorded contact for this request."))
    request.status, request.done_at, request.done_by, request.note = (
        ContactRequest.Status.DONE,
        timezone.now(),
        by,
        note,
    )
    request.save(update_fields=["status", "done_at", "done_by", "note"])
    StaffContact.objects.create(
        episode_id=request.episode_id,
        provider_id=request.provider_id,
        at=request.done_at,
        by=by,
        note=note,
    )
    episode_contacted(episode_ids=[request.episode_id], at=request.done_at)
    audit_record(
        actor=by,
        action="contact_request.done",
        obj=request,
        details={"episode": request.episode_id},
    )
    return request


@transaction.atomic
def staff_contact_record(*, episode: Episode, by, note: str) -> StaffContact:
    """Staff spoke to or wrote to the patient outside the questionnaires (no-contact worklist)."""
    note = _note(note, _("Say how you contacted the patient."))
    contact = StaffContact.objects.create(
        episode=episode, provider_id=episode.provider_id, at=timezone.now(), by=by, note=note
    )
    episode_contacted(episode_ids=[episode.pk], at=contact.at)
    audit_record(
        actor=by, action="staff_contact.recorded", obj=contact, details={"episode": episode.pk}
    )
    return contact
