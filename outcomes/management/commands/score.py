import json

from django.core.management.base import BaseCommand, CommandError

from outcomes.loading import catalogue
from outcomes.scoring import score


class Command(BaseCommand):
    help = (
        "Score coded answers with an instrument's published rules and print the JSON the API "
        "returns. Example: manage.py score nrs-pain '[7]'"
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="Instrument code, e.g. oks")
        parser.add_argument(
            "answers", help="JSON list in item order (null for missing) or object by item id"
        )
        parser.add_argument(
            "--instrument-version", dest="instrument_version", help="Defaults to the current one"
        )
        parser.add_argument("--value-set", help="EQ-5D-5L value set, e.g. uk-2026")

    def handle(self, *args, **options):
        try:
            spec = catalogue().instrument(options["code"], options["instrument_version"])
        except KeyError:
            raise CommandError(f"No instrument '{options['code']}' is defined.") from None
        try:
            answers = json.loads(options["answers"])
        except json.JSONDecodeError as error:
            raise CommandError(f"The answers are not valid JSON: {error}.") from error
        scoring_options = {"value_set": options["value_set"]} if options["value_set"] else {}
        try:
            result = score(spec, answers, scoring_options)
        except ValueError as error:  # AnswerError included: it names each offending item
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(result))
