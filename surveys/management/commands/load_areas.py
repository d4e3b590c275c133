from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.reference import IMD_FILE, ReferenceDataError, areas_load


class Command(BaseCommand):
    help = (
        "Load 2021 LSOAs with their IMD 2025 decile from a CSV (columns lsoa21_code, "
        "lsoa21_name, imd_decile). Idempotent. Default: the Nottinghamshire file in surveys/data/."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", nargs="?", type=Path, default=IMD_FILE)

    def handle(self, *args, **options):
        try:
            report = areas_load(options["csv"])
        except ReferenceDataError as error:
            raise CommandError(str(error)) from error
        for example in report.examples:
            self.stdout.write(f"  skipped {example}")
        self.stdout.write(self.style.SUCCESS(f"Areas: {report.summary()}."))
