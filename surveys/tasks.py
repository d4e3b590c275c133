"""Thin Celery tasks of the patient journey."""

from __future__ import annotations

from celery import shared_task

from surveys.rebuild import read_models_rebuild


@shared_task(name="surveys.rebuild_paired_results")
def rebuild_paired_results() -> int:
    """Rebuild the read models the figures read (nightly): the paired results and the episode
    and invitation cohorts. Picks up a changed area's deprivation (a reloaded IMD file), which
    no write to a patient or episode announces. Returns the pairs."""
    return read_models_rebuild().pairs
