from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.reference import PRACTICES_FILE, ReferenceDataError, practices_load


class Command(BaseCommand):
    help = (
        "Load GP practices (ODS code, name, postcode, list size) from an epraccur-derived CSV "
        "(columns practice_code, practice_name, postcode, optional list_size). Idempotent. "
        "Default: the Nottinghamshire file in surveys/data/."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", nargs="?", type=Path, default=PRACTICES_FILE)
        parser.add_argument(
            "--list-sizes",
            type=Path,
            help="CSV with practice_code, number_of_patients (NHS Digital registered patients).",
        )
        parser.add_argument("--mid-notts-only", action="store_true")
        parser.add_argument("--active-only", action="store_true")

    def handle(self, *args, **options):
        try:
            report = practices_load(
                options["csv"],
                list_sizes=options["list_sizes"],
                mid_notts_only=options["mid_notts_only"],
                active_only=options["active_only"],
            )
        except ReferenceDataError as error:
            raise CommandError(str(error)) from error
        for example in report.examples:
            self.stdout.write(f"  skipped {example}")
        self.stdout.write(self.style.SUCCESS(f"Practices: {report.summary()}."))
