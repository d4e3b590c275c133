from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from outcomes.loading import catalogue
from outcomes.services import WordingError, licensed_wording_import


class Command(BaseCommand):
    help = (
        "Overlay licensed instrument wording from the licensee's JSON file (never commit it). "
        "The patient pages use it once imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help="Wording file(s), one per version")

    def handle(self, *args, **options):
        for path in options["files"]:
            try:
                content = path.read_bytes()
            except OSError as error:
                raise CommandError(f"{path}: cannot be read ({error.strerror}).") from error
            try:
                wording = licensed_wording_import(definitions=catalogue(), content=content)
            except WordingError as error:
                problems = "\n  ".join(error.errors)
                raise CommandError(f"{path}: nothing was imported.\n  {problems}") from error
            self.stdout.write(self.style.SUCCESS(f"Imported wording for {wording}."))
