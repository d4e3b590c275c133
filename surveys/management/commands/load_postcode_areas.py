from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.reference import ReferenceDataError, postcode_areas_load, postcode_areas_load_synthetic


class Command(BaseCommand):
    help = (
        "Load a postcode to LSOA 2021 lookup from a CSV with columns postcode, lsoa21_code (ONS "
        "NSPL's pcds, lsoa21cd also accepted). Run load_areas first. Idempotent. "
        "--synthetic loads the made-up demo postcodes instead (never in a deployment)."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", nargs="?", type=Path)
        parser.add_argument(
            "--synthetic",
            action="store_true",
            help="Load SYNTHETIC demo postcodes for the Mid-Notts LSOAs (not real postcodes).",
        )

    def handle(self, *args, **options):
        if options["synthetic"] == bool(options["csv"]):
            raise CommandError("Give either a CSV file or --synthetic.")
        try:
            if options["synthetic"]:
                report = postcode_areas_load_synthetic()
            else:
                report = postcode_areas_load(options["csv"])
        except ReferenceDataError as error:
            raise CommandError(str(error)) from error
        for example in report.examples:
            self.stdout.write(f"  skipped {example}")
        label = "Synthetic postcodes" if options["synthetic"] else "Postcodes"
        self.stdout.write(self.style.SUCCESS(f"{label}: {report.summary()}."))
