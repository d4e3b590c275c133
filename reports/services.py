"""Board packs: request, build, store, announce; staff subscriptions. Every write is audited."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from outcomes.loading import catalogue
from outcomes.services import audit_record
from reports import calendar
from reports.models import BoardPack, ReportSubscription
from reports.packs import Pack, PackFilters, pack_build

logger = logging.getLogger(__name__)

MONTHLY_MONTHS = 12  # a monthly pack reads the 12 months to the end of the month it reports


def filters_of(pack: BoardPack) -> PackFilters:
    return PackFilters(
        condition=pack.condition,
        date_from=pack.date_from,
        date_to=pack.date_to,
        timepoint=pack.timepoint,
        provider=pack.provider or None,
        practice=pack.practice or None,
    )


def _title(filters: PackFilters) -> str:
    condition = catalogue().conditions[filters.condition].title
    scope = "".join(f", {code}" for code in (filters.provider, filters.practice) if code)
    period = f"{filters.date_to:%B %Y}"
    if filters.months > 1:
        period = f"{filters.months} months to {period}"
    return f"{condition}: {period}{scope}"


@transaction.atomic
def board_pack_request(*, filters: PackFilters, by, kind: str = BoardPack.Kind.ON_DEMAND):
    """Record a pack to build and queue its build once committed (eager in the demo)."""
    from reports import tasks

    pack = BoardPack.objects.create(
        kind=kind,
        condition=filters.condition,
        provider=filters.provider or "",
        practice=filters.practice or "",
        timepoint=filters.timepoint,
        date_from=filters.date_from,
        date_to=filters.date_to,
        title=_title(filters),
        requested_by=by if getattr(by, "pk", None) else None,
    )
    audit_record(actor=by, action="board_pack.request", obj=pack, details=pack.api_query())
    transaction.on_commit(lambda: tasks.build_board_pack.delay(pack.pk))
    return pack


def board_pack_pdf(pack: Pack) -> tuple[bytes, int]:
    """Lay a pack out on A4 pages with WeasyPrint; returns (pdf, pages)."""
    from weasyprint import HTML

    html = render_to_string("reports/board_pack.html", {"pack": pack})
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    return document.write_pdf(), len(document.pages)


def board_pack_build(*, pack_id: int) -> BoardPack:
    """Compute the figures and write the PDF of a pending pack (a second call does nothing)."""
    with transaction.atomic():
        pack = BoardPack.objects.select_for_update().get(pk=pack_id)
        if pack.status != BoardPack.Status.PENDING:
            return pack
        started = time.perf_counter()
        try:
            content = pack_build(filters_of(pack))
            content.made_at = timezone.now()
            pdf, pages = board_pack_pdf(content)
        except Exception as error:  # a bad filter set or a rendering fault: say so, keep going
            logger.exception("Board pack %s failed", pack.pk)
            pack.status = BoardPack.Status.FAILED
            pack.error = _failure_reason(error)
            pack.save(update_fields=["status", "error"])
            audit_record(
                actor=pack.requested_by,
                action="board_pack.fail",
                obj=pack,
                details={"error": type(error).__name__},
            )
            return pack
        pack.pdf, pack.pages, pack.size = pdf, pages, len(pdf)
        pack.status = BoardPack.Status.READY
        pack.built_at = timezone.now()
        pack.build_seconds = round(time.perf_counter() - started, 2)
        pack.save(update_fields=["pdf", "pages", "size", "status", "built_at", "build_seconds"])
        audit_record(
            actor=pack.requested_by,
            action="board_pack.generate",
            obj=pack,
            details={**pack.api_query(), "pages": pages, "seconds": pack.build_seconds},
        )
    logger.info("Board pack %s built: %s pages in %.1f s", pack.pk, pages, pack.build_seconds)
    return pack


def _failure_reason(error: Exception) -> str:
    from analytics.summaries import QueryError

    if isinstance(error, QueryError):
        return str(error)[:300]
    return "The pack could not be built. Try again; if it fails again, tell the MSK Together team."


def monthly_board_packs_due(*, today: dt.date) -> list[BoardPack]:
    """On the first working day of a month: one pack per active condition for the month just
    ended (the 12 months to its end). Idempotent: a month's pack is made once."""
    if today != calendar.first_working_day(today.year, today.month):
        return []
    _, last = calendar.previous_month(today)
    first_month = (last.year * 12 + last.month - 1) - (MONTHLY_MONTHS - 1)
    date_from = dt.date(first_month // 12, first_month % 12 + 1, 1)
    made = []
    for condition in sorted(catalogue().conditions.values(), key=lambda c: c.order):
        if not condition.active:
            continue
        if BoardPack.objects.filter(
            kind=BoardPack.Kind.MONTHLY, condition=condition.code, date_to=last
        ).exists():
            continue
        filters = PackFilters(condition=condition.code, date_from=date_from, date_to=last)
        made.append(board_pack_request(filters=filters, by=None, kind=BoardPack.Kind.MONTHLY))
    return made


def subscribers() -> QuerySet:
    """Active staff who asked for board pack e-mails and have an address."""
    return (
        get_user_model()
        .objects.filter(report_subscription__isnull=False, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def board_pack_announce(*, pack_id: int) -> int:
    """E-mail subscribers that a monthly pack is ready: a link to the reports page only, never a
    figure or a patient detail. Returns how many were sent; a pack is announced once."""
    with transaction.atomic():
        pack = BoardPack.objects.select_for_update().get(pk=pack_id)
        if pack.status != BoardPack.Status.READY or pack.announced_at is not None:
            return 0
        pack.announced_at = timezone.now()
        pack.save(update_fields=["announced_at"])
    link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("reports:list")
    subject = f"MSK Together board pack ready: {pack.title}"
    body = render_to_string("reports/announcement.txt", {"pack": pack, "link": link})
    sent = 0
    for user in subscribers():
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        sent += 1
    audit_record(actor=None, action="board_pack.announce", obj=pack, details={"sent": sent})
    return sent


@transaction.atomic
def board_pack_download_record(*, pack: BoardPack, by) -> None:
    audit_record(actor=by, action="board_pack.download", obj=pack, details=pack.api_query())


@transaction.atomic
def subscription_set(*, user, subscribed: bool) -> bool:
    """Turn board pack e-mails on or off for ``user``; returns whether anything changed."""
    if subscribed:
        subscription, created = ReportSubscription.objects.get_or_create(user=user)
        if created:
            audit_record(actor=user, action="board_pack.subscribe", obj=subscription)
        return created
    subscription = ReportSubscription.objects.filter(user=user).first()
    if subscription is None:
        return False
    audit_record(actor=user, action="board_pack.unsubscribe", obj=subscription)
    subscription.delete()
    return True
