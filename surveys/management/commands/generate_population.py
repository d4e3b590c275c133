import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from outcomes.loading import catalogue
from outcomes.services import definitions_load
from surveys import reference, synthetic
from surveys.models import Area, Patient, Practice

# Above this many patients the responses are bulk-created (same scoring, no per-row service).
SERVICE_LIMIT = 2000


class Command(BaseCommand):
    help = (
        "Generate a SYNTHETIC Mid-Notts-like MSK population (patients, episodes, invitations, "
        "scored responses), the same for the same --seed and --today. Loads the reference data "
        "from surveys/data/ if it is missing. Example for the benchmarks: "
        "generate_population --responses 1000000 --seed 1"
    )

    def add_arguments(self, parser):
        size = parser.add_mutually_exclusive_group(required=True)
        size.add_argument("--patients", type=int, help="How many patients")
        size.add_argument(
            "--responses", type=int, help="Generate patients until this many responses"
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, help="Reference date (default: today)"
        )
        parser.add_argument(
            "--fast",
            "--responses-only-fast",
            dest="fast",
            action="store_true",
            help=f"Bulk-create responses (default above {SERVICE_LIMIT} patients); otherwise "
            "each response goes through surveys.services.response_submit.",
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Patients per batch")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the generated population first"
        )

    def handle(self, *args, **options):
        existing = Patient.objects.filter(nhs_number__gte=synthetic.SYNTHETIC_NHS_FROM)
        if options["reset"]:
            self.stdout.write(f"Deleted {synthetic.population_delete()} generated patients.")
        elif existing.exists():
            raise CommandError(
                "A generated population is already loaded; add --reset to replace it."
            )
        limit = synthetic.capacity()
        if options["patients"] is not None and not 0 < options["patients"] <= limit:
            raise CommandError(f"--patients must be between 1 and {limit}.")
        definitions_load(definitions=catalogue())
        if not Area.objects.exists():
            self.stdout.write(f"Areas: {reference.areas_load().summary()}.")
        if not Practice.objects.exists():
            report = reference.practices_load(mid_notts_only=True)
            self.stdout.write(f"Practices: {report.summary()}.")
        today = options["today"] or timezone.localdate()
        fast = options["fast"] or (options["patients"] or limit) > SERVICE_LIMIT
        context = synthetic.context_from_database(options["seed"])
        plans = synthetic.population_plan(context, patients=options["patients"], today=today)
        self.stdout.write(
            f"Generating with seed {options['seed']} as of {today} "
            f"({'bulk' if fast else 'response_submit'} path)..."
        )

        def progress(stats):
            rate = stats.responses / stats.seconds if stats.seconds else 0
            self.stdout.write(
                f"  {stats.patients:,} patients, {stats.episodes:,} episodes, "
                f"{stats.invitations:,} invitations, {stats.responses:,} responses, "
                f"{stats.results:,} results in {stats.seconds:,.1f} s ({rate:,.0f} responses/s)"
            )

        stats = synthetic.population_write(
            plans,
            via_services=not fast,
            batch_size=options["batch_size"],
            stop_after_responses=options["responses"],
            progress=progress,
            context=context,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {stats.patients:,} patients and {stats.responses:,} responses "
                f"in {stats.seconds:,.1f} s."
            )
        )
