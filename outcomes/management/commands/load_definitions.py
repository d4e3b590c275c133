from django.core.management.base import BaseCommand, CommandError

from outcomes.loading import DefinitionError, catalogue
from outcomes.services import DefinitionConflict, definitions_load


class Command(BaseCommand):
    help = "Load the outcome, condition, instrument and pathway definitions (idempotent)."

    def handle(self, *args, **options):
        try:
            report = definitions_load(definitions=catalogue())
        except (DefinitionError, DefinitionConflict) as error:
            raise CommandError(str(error)) from error
        for label in report.created:
            self.stdout.write(f"created {label}")
        for label in report.updated:
            self.stdout.write(f"updated {label}")
        self.stdout.write(self.style.SUCCESS(f"Definitions: {report.summary()}."))
