"""The daily printable batch of letters for patients without a phone or e-mail.

Digital exclusion is an equity issue: a patient with no mobile or e-mail gets the same
invitations and reminders on paper, with the link and a QR code to it. Staff print the batch
from the staff pages (one letter per A4 page, address placed for a window envelope).
"""

from __future__ import annotations

import datetime as dt
import logging

import segno
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from notifications import letter_codes
from notifications.models import LetterBatch, Notification, NotificationAttempt
from notifications.sealing import seal, unseal
from notifications.sending import patient_link
from notifications.services import may_contact
from notifications.wording import wording_files
from outcomes.services import audit_record
from surveys.cohorts import cohorts_refresh
from surveys.contact import episode_contacted
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
        channel=Notification.Channel.LETTER, letter_batch__isnull=False
    )
    if not user.is_superuser:
        letters = letters.filter(invitation__episode__provider__staff=user)
    return letters


def letter_batches(user):
    """The batches that printed letters for ``user``'s providers, newest first."""
    return LetterBatch.objects.filter(pk__in=letters_printed(user).values("letter_batch")).order_by(
        "-printed_at", "-pk"
    )


def short_code_page() -> str:
    """Where a patient types the code from their letter."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/l/"


def letters_document(letters: list[dict]):
    """Lay letters (dicts from :func:`letter_content`) out on A4 pages (a WeasyPrint document)."""
    from weasyprint import HTML

    html = render_to_string("notifications/letter_batch.html", {"letters": letters})
    return HTML(string=html).render()


def letters_pdf(letters: list[dict]) -> tuple[bytes, int]:
    """Render letters to one PDF; returns (pdf, pages)."""
    document = letters_document(letters)
    return document.write_pdf(), len(document.pages)


def letter_content(notification: Notification, token: str, today: dt.date, code: str) -> dict:
    """What one letter says: address block, wording, the short link to type and a QR code of
    the full link."""
    patient = notification.patient
    provider = notification.invitation.episode.provider
    link, page = patient_link(token), short_code_page()
    body = render_to_string(
        wording_files(notification.language, "letter"),
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
        "code": code,
        "code_page": page,
        "short_link": f"{page}{code}",
        "qr": segno.make(link, error="m").svg_data_uri(scale=3, border=2),
        "closes_on": notification.invitation.closes_on,
    }


def _short_codes(count: int) -> list[tuple[str, str]]:
    """``count`` new (code, hash) pairs, none already on a letter (40 bits: a repeat is rare
    but possible over years of letters; the unique constraint stays the last word)."""
    codes: dict[str, str] = {}
    while len(codes) < count:
        fresh = dict(letter_codes.code_new() for _ in range(count - len(codes)))
        taken = set(
            Notification.objects.filter(short_code_hash__in=fresh.values()).values_list(
                "short_code_hash", flat=True
            )
        )
        codes.update({code: hashed for code, hashed in fresh.items() if hashed not in taken})
    return list(codes.items())


def _printable_link(letter: Notification, today: dt.date) -> str | None:
    """The letter's link token while it may still go out: the patient may be contacted and the
    questionnaire is open; None otherwise."""
    token = unseal(letter.link_token)
    if (
        token is None
        or not may_contact(letter.patient, letter.invitation.episode)
        or letter.invitation.status not in Invitation.OUTSTANDING
        or letter.invitation.closes_on < today
    ):
        return None
    return token


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
        token = _printable_link(letter, today)
        if token is None:
            cancelled.append(letter.pk)
            continue
        to_print.append((letter, token))
    if cancelled:
        Notification.objects.filter(pk__in=cancelled).update(
            status=Notification.Status.CANCELLED, link_token="", updated_at=now
        )
    if not to_print:
        return None
    letters, contents = [], []
    for (letter, token), (code, hashed) in zip(to_print, _short_codes(len(to_print)), strict=True):
        letter.short_code, letter.short_code_hash = seal(code), hashed
        letter.status = Notification.Status.SENT
        letter.sent_at, letter.attempts, letter.updated_at = now, letter.attempts + 1, now
        letters.append(letter)
        contents.append(letter_content(letter, token, today, code))
    pdf, pages = letters_pdf(contents)
    batch = LetterBatch.objects.create(
        printed_at=now, printed_by=by, letters=len(letters), pages=pages
    )
    for letter in letters:
        letter.letter_batch, letter.provider_message_id = batch, f"letter-batch-{batch.pk}"
    NotificationAttempt.objects.bulk_create(
        NotificationAttempt(
            notification=letter,
            number=letter.attempts,
            started_at=now,
            finished_at=now,
            outcome=NotificationAttempt.Outcome.ACCEPTED,
        )
        for letter in letters
    )
    Notification.objects.bulk_update(
        letters,
        [
            "short_code",
            "short_code_hash",
            "status",
            "letter_batch",
            "provider_message_id",
            "sent_at",
            "attempts",
            "updated_at",
        ],
    )
    # Each letter printed is a message sent (surveys/contact.py): one UPDATE for the batch.
    episode_contacted(episode_ids={letter.invitation.episode_id for letter in letters}, at=now)
    # Invitation letters printed: their questionnaires count as invited by letter.
    cohorts_refresh(
        episode_ids=[
            letter.invitation.episode_id
            for letter in letters
            if letter.kind == Notification.Kind.INVITE
        ]
    )
    audit_record(
        actor=by,
        action="notification.letters_printed",
        obj=batch,
        details={"letters": len(letters), "pages": pages},
    )
    logger.info("Letter batch %s: %s letters", batch.pk, len(letters))
    return pdf, pages


def letters_reprint(*, batch: LetterBatch, by) -> tuple[bytes, int] | None:
    """The batch's letters again, for a print run that went wrong: the same links and codes.

    Only letters for ``by``'s providers, and only those still answerable (a patient who opted
    out or answered since gets no second copy). None when no letter remains.
    """
    today = timezone.localdate()
    letters = (
        letters_printed(by)
        .filter(letter_batch=batch)
        .select_related("patient", "invitation__episode__provider")
        .order_by("patient__postcode", "pk")
    )
    contents = []
    for letter in letters:
        token, code = _printable_link(letter, today), unseal(letter.short_code)
        if token is None or code is None:
            continue
        contents.append(letter_content(letter, token, timezone.localdate(batch.printed_at), code))
    if not contents:
        return None
    pdf, pages = letters_pdf(contents)
    audit_record(
        actor=by,
        action="notification.letters_reprinted",
        obj=batch,
        details={"letters": len(contents), "pages": pages},
    )
    return pdf, pages
