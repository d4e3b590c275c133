import time

from django.core.management.base import BaseCommand

from surveys.cohorts import cohorts_rebuild
from surveys.pairs import paired_results_order, paired_results_rebuild, paired_results_tidy


class Command(BaseCommand):
    help = (
        "Rebuild the paired baseline/follow-up results that the outcome figures read "
        "(surveys.PairedResult) from the stored responses, and the episode and invitation cohort "
        "rows (surveys.EpisodeCohort, surveys.InvitationCohort). Safe to run at any time: "
        "readers see the old rows until it commits. Run after loading responses in bulk; Celery "
        "beat runs it nightly."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        episodes = cohorts_rebuild()
        self.stdout.write(
            f"{episodes:,} episodes' cohort rows in {time.perf_counter() - started:,.1f} s."
        )
        started = time.perf_counter()
        written = paired_results_rebuild()
        moved = paired_results_order()
        paired_results_tidy()
        self.stdout.write(
            f"{written:,} paired results ({moved:,} moved into the summaries' order)"
            f" in {time.perf_counter() - started:,.1f} s."
        )
