from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.reference import ReferenceDataError, practice_populations_load


class Command(BaseCommand):
    help = (
        "Load registered patients by sex and age band per GP practice from NHS Digital's "
        "'Patients Registered at a GP Practice' quinary-age file (gp-reg-pat-prac-quin-age.csv). "
        "Run load_practices first. Idempotent; one transaction; a bad row loads nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", type=Path)

    def handle(self, *args, **options):
        try:
            report = practice_populations_load(options["csv"])
        except ReferenceDataError as error:
            raise CommandError(str(error)) from error
        for example in report.examples:
            self.stdout.write(f"  skipped {example}")
        self.stdout.write(self.style.SUCCESS(f"Practice populations: {report.summary()}."))
