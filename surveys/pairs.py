"""Paired results: each follow-up result beside the same episode's baseline result.

The outcome figures (outcomes/summaries.py) compare a follow-up with the baseline of the same
episode and instrument. Joining invitations, responses and results twice for every request
took seconds at a million responses (docs/benchmarks.md), so the pairs are written once, as
rows of ``PairedResult``, by one SQL statement that both the live path (a response is stored)
and a full rebuild (after a bulk load, and nightly) use: the two can never pair differently.

A pair is a result of a pathway's *baseline* timepoint (the first timepoint of a pathway) and
a result of another timepoint of the same episode with the same instrument code (any version).
Comparisons against another starting point (``baseline_timepoint=3-months``) are answered from
the source tables directly, more slowly.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from outcomes.summaries import age_band_at_sql, paired_baselines

COLUMNS = (
    "episode_id",
    "baseline_result_id",
    "follow_up_result_id",
    "pathway_id",
    "instrument_id",
    "baseline_timepoint",
    "timepoint",
    "provider_id",
    "practice_id",
    "age_band",
    "sex",
    "imd_quintile",
    "followed_up_at",
    "baseline_scores",
    "baseline_outcomes",
    "scores",
    "outcomes",
)


def _baselines() -> list[str]:
    return sorted(paired_baselines())


def _pairs_select(where: str) -> str:
    """SELECT of every pair within episodes matching ``where`` (fixed SQL, no values)."""
    baselines = ", ".join(["%s"] * len(_baselines()))
    return f"""
        SELECT e.id, br.id, fr.id, e.pathway_id, fr.instrument_id, bi.timepoint, fi.timepoint,
               e.provider_id, p.practice_id,
               {age_band_at_sql("e.referred_on", "p.date_of_birth")},
               p.sex, (a.imd_decile + 1) / 2, frs.submitted_at,
               br.scores, br.outcomes, fr.scores, fr.outcomes
        FROM surveys_episode e
        JOIN surveys_patient p ON p.id = e.patient_id
        LEFT JOIN surveys_area a ON a.id = p.area_id
        JOIN surveys_invitation bi ON bi.episode_id = e.id AND bi.timepoint IN ({baselines})
        JOIN surveys_response brs ON brs.invitation_id = bi.id
        JOIN surveys_instrumentresult br ON br.response_id = brs.id
        JOIN outcomes_instrument bins ON bins.id = br.instrument_id
        JOIN surveys_invitation fi ON fi.episode_id = e.id AND fi.timepoint <> bi.timepoint
        JOIN surveys_response frs ON frs.invitation_id = fi.id
        JOIN surveys_instrumentresult fr ON fr.response_id = frs.id
        JOIN outcomes_instrument fins ON fins.id = fr.instrument_id AND fins.code = bins.code
        WHERE {where}
    """  # noqa: S608


def _insert(where: str, params: list, order: str = "") -> int:
    columns = ", ".join(COLUMNS)
    sql = f"INSERT INTO surveys_pairedresult ({columns}) {_pairs_select(where)} {order}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_baselines(), *params])
        return cursor.rowcount


@transaction.atomic
def paired_results_refresh(*, episode_ids: Iterable[int]) -> int:
    """Rewrite the pairs of these episodes from their stored results; returns rows written.

    Called when a response is stored (the follow-up may pair with the baseline, or a late
    baseline with follow-ups) and after each batch of a bulk load. Two statements whatever
    the number of episodes.
    """
    ids = sorted(set(episode_ids))
    if not ids:
        return 0
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM surveys_pairedresult WHERE episode_id IN ({placeholders})",  # noqa: S608
            ids,
        )
    return _insert(f"e.id IN ({placeholders})", ids)


@transaction.atomic
def paired_results_rebuild() -> int:
    """Rebuild every pair from the responses (after a bulk load; nightly, to pick up a
    patient's changed practice or area). Readers keep seeing the old rows until it commits."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM surveys_pairedresult")
    # In the order of the summary index, so that one summary's rows lie on adjacent pages.
    written = _insert(
        "1 = 1", [], "ORDER BY fr.instrument_id, fi.timepoint, e.pathway_id, frs.submitted_at"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE surveys_pairedresult")
    return written
