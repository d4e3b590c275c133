"""Thin Celery tasks of the patient journey."""

from __future__ import annotations

from celery import shared_task

from surveys.pairs import paired_results_rebuild


@shared_task(name="surveys.rebuild_paired_results")
def rebuild_paired_results() -> int:
    """Rebuild the paired results the outcome figures read (nightly): picks up a patient's
    changed practice or area, which the pairs written at submission do not follow."""
    return paired_results_rebuild()
