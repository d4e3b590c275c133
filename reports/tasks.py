"""Thin Celery tasks: each calls one service (reports/services.py)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reports import services
from reports.models import BoardPack


@shared_task(name="reports.build_board_pack", acks_late=True)
def build_board_pack(pack_id: int) -> str:
    """Build one pending pack; a monthly one is then announced to subscribers."""
    pack = services.board_pack_build(pack_id=pack_id)
    if pack.kind == BoardPack.Kind.MONTHLY and pack.status == BoardPack.Status.READY:
        services.board_pack_announce(pack_id=pack.pk)
    return pack.status


@shared_task(name="reports.monthly_board_packs", acks_late=True)
def monthly_board_packs() -> int:
    """Daily: on the first working day of a month, queue that month's packs (once)."""
    return len(services.monthly_board_packs_due(today=timezone.localdate()))
