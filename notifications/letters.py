"""The daily printable batch of letters for patients without a phone or e-mail.

Digital exclusion is an equity issue: a patient with no mobile or e-mail gets the same
invitations and reminders on paper, with the link and a QR code to it. Staff print the batch
from the staff pages (one letter per A4 page, address placed for a window envelope).
"""

from __future__ import annotations

import datetime as dt
import logging

import segno
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import Notification, NotificationAttempt
from notifications.sealing import unseal
from notifications.sending import patient_link
from notifications.services import may_contact
from outcomes.services import audit_record
from surveys.models import Invitation

logger = logging.getLogger(__name__)


def letters_waiting(user):
    """Letters waiting to be printed for the patients of ``user``'s providers."""
    letters = Notification.objects.filter(
        channel=Notification.Channel.LETTER, status__in=Notification.WAITING
    )
    if not user.is_superuser:
        letters = letters.filter(invitation__episode__provider__staff=user)
    return letters


def letters_printed(user):
    letters = Notification.objects.filter(
        channel=Notification.Channel.LETTER, provider_message_id__startswith="letter-batch-"
    )
    if not user.is_superuser:
        letters = letters.filter(invitation__episode__provider__staff=user)
    return letters


def letters_pdf(letters: list[dict]) -> tuple[bytes, int]:
    """Render letters (dicts from :func:`letter_content`) to one PDF; returns (pdf, pages)."""
    from weasyprint import HTML

    html = render_to_string("notifications/letter_batch.html", {"letters": letters})
    document = HTML(string=html).render()
    return document.write_pdf(), len(document.pages)


def letter_content(notification: Notification, token: str, today: dt.date) -> dict:
    patient = notification.patient
    provider = notification.invitation.episode.provider
    link = patient_link(token)
    body = render_to_string(
        f"notifications/messages/{notification.language}/letter.txt",
        {"first_name": patient.given_name, "kind": notification.kind},
    ).strip()
    return {
        "reference": notification.pk,
        "date": today,
        "address": [
            line
            for line in (
                patient.full_name,
                patient.address_line_1,
                patient.address_line_2,
                patient.town,
                patient.postcode,
            )
            if line
        ],
        "provider": provider.name,
        "phone": provider.contact_phone,
        "body": body,
        "link": link,
        "qr": segno.make(link, error="m").svg_data_uri(scale=3, border=2),
        "closes_on": notification.invitation.closes_on,
    }


@transaction.atomic
def letters_print(*, by, now: dt.datetime | None = None) -> tuple[bytes, int] | None:
    """Print every letter waiting for ``by``'s providers and mark them sent; None if none.

    One PDF page per letter. Letters whose patient opted out or whose questionnaire closed since
    are cancelled instead. If rendering fails nothing is marked, so the batch can be printed again.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    waiting = list(
        letters_waiting(by)
        .filter(not_before__lte=now)
        .select_related("patient", "invitation__episode__provider")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("patient__postcode", "pk")
    )
    to_print, cancelled = [], []
    for letter in waiting:
        token = unseal(letter.link_token)
        if (
            token is None
            or not may_contact(letter.patient, letter.invitation.episode)
            or letter.invitation.status not in Invitation.OUTSTANDING
            or letter.invitation.closes_on < today
        ):
            cancelled.append(letter.pk)
            continue
        to_print.append((letter, letter_content(letter, token, today)))
    if cancelled:
        Notification.objects.filter(pk__in=cancelled).update(
            status=Notification.Status.CANCELLED, link_token="", updated_at=now
        )
    if not to_print:
        return None
    pdf, pages = letters_pdf([content for _letter, content in to_print])
    batch = f"letter-batch-{now:%Y%m%d-%H%M%S}"
    ids = [letter.pk for letter, _content in to_print]
    NotificationAttempt.objects.bulk_create(
        NotificationAttempt(
            notification=letter,
            number=letter.attempts + 1,
            started_at=now,
            finished_at=now,
            outcome=NotificationAttempt.Outcome.ACCEPTED,
        )
        for letter, _content in to_print
    )
    Notification.objects.filter(pk__in=ids).update(
        status=Notification.Status.SENT,
        provider_message_id=batch,
        sent_at=now,
        attempts=1,
        updated_at=now,
    )
    audit_record(
        actor=by,
        action="notification.letters_printed",
        obj=to_print[0][0],
        details={"batch": batch, "letters": len(ids), "pages": pages},
    )
    logger.info("Letter batch %s: %s letters", batch, len(ids))
    return pdf, pages
