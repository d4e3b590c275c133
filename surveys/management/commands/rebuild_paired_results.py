import time

from django.core.management.base import BaseCommand

from surveys.rebuild import read_models_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the paired baseline/follow-up results that the outcome figures read "
        "(surveys.PairedResult) from the stored responses, and the episode and invitation cohort "
        "rows (surveys.EpisodeCohort, surveys.InvitationCohort). Safe to run at any time: "
        "readers see the old rows until it commits, and a response stored meanwhile keeps its "
        "rows. Run after loading responses in bulk; Celery beat runs it nightly."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        rebuilt = read_models_rebuild()
        self.stdout.write(
            f"{rebuilt.episodes:,} episodes' cohort rows and {rebuilt.pairs:,} paired results"
            f" ({rebuilt.refreshed_again:,} episodes written meanwhile refreshed again,"
            f" {rebuilt.moved:,} pairs moved into the summaries' order)"
            f" in {time.perf_counter() - started:,.1f} s."
        )
