"""The nightly rebuild of the read models, safe beside live writes.

The rebuild (``surveys.rebuild_paired_results``, 02:30) brings every pair and cohort row up to
date from the source tables: a reloaded deprivation file changes rows that no write to a
patient or episode announces. It works the fresh rows out first and writes the difference
afterwards (surveys/reconcile.py), which takes a minute and a half at a million responses.
A response stored in that minute writes its own rows at once (the live path), but the
rebuild's fresh rows were worked out before it and would overwrite them: the response would
drop out of the figures until the next night, and a pair deleted as "no longer made" would be
lost for a day.

So every live write also notes its episodes (``RefreshedEpisode``, noted by
``surveys.cohorts.cohorts_refresh``, which every live write calls). Before
it commits, the rebuild refreshes the noted episodes once more, from what is committed by
then, and forgets the notes it saw. A write that commits after that either waits for the
rebuild's row locks and lands after it, or touches rows the rebuild did not; its note stays
for the next night. Only then is the tally counted, from the corrected cohort rows, so the
counts and the rows cannot disagree. docs/adr/0011-rebuild-beside-live-writes.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from proms.transactions import rerun_when_deadlocked
from surveys.cohorts import cohort_rows_reconcile, cohorts_refresh, cohorts_tidy, tally_rebuild
from surveys.pairs import (
    paired_results_order,
    paired_results_reconcile,
    paired_results_refresh,
    paired_results_tidy,
)


@dataclass(frozen=True)
class Rebuilt:
    episodes: int  # cohort rows worked out
    pairs: int  # pairs worked out
    refreshed_again: int  # episodes written live meanwhile (or since the last night)
    moved: int  # pairs put into the summary index's order


def read_models_rebuild() -> Rebuilt:
    """Bring the pairs, cohort rows and tally up to date in one transaction (readers see the
    old rows until it commits), then put the day's pairs in order and vacuum. Run again whole
    if PostgreSQL failed it to break a deadlock with a live write to the same episode: its
    transaction was rolled back, and every step is safe to repeat."""
    return rerun_when_deadlocked(_read_models_rebuild_once)


def _read_models_rebuild_once() -> Rebuilt:
    with transaction.atomic():
        episodes = cohort_rows_reconcile()
        pairs = paired_results_reconcile()
        refreshed_again = refreshed_episodes_refresh()
        tally_rebuild()
    moved = paired_results_order()
    cohorts_tidy()
    paired_results_tidy()
    return Rebuilt(episodes, pairs, refreshed_again, moved)


def refreshed_episodes_refresh() -> int:
    """Refresh again every episode a live write noted, and forget exactly those notes (one
    DELETE ... RETURNING: a note committed after it is left for the next night); returns
    the episodes. Inside the rebuild's transaction, after its last write of the pairs and
    cohort rows."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM surveys_refreshedepisode RETURNING episode_id")
        episode_ids = sorted({episode_id for (episode_id,) in cursor.fetchall()})
    paired_results_refresh(episode_ids=episode_ids)
    cohorts_refresh(episode_ids=episode_ids, live=False)
    return len(episode_ids)
