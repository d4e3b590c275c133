"""Thin Celery tasks of the patient journey."""

from __future__ import annotations

from celery import shared_task

from surveys.cohorts import cohorts_rebuild
from surveys.pairs import paired_results_order, paired_results_rebuild, paired_results_tidy


@shared_task(name="surveys.rebuild_paired_results")
def rebuild_paired_results() -> int:
    """Rebuild the read models the figures read (nightly): the paired results and the episode
    and invitation cohorts. Picks up a changed area's deprivation (a reloaded IMD file), which
    no write to a patient or episode announces."""
    cohorts_rebuild()
    written = paired_results_rebuild()
    paired_results_order()  # the pairs stored since last night, into the summary's order
    paired_results_tidy()
    return written
