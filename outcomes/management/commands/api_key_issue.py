"""Issue an API key and print it once: ``manage.py api_key_issue --name NAME --provider ODS``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from outcomes.access import api_key_issue
from surveys.models import Provider


class Command(BaseCommand):
    help = (
        "Issue an API key. It is printed once and only its hash is kept. Repeat --provider for "
        "each provider whose pseudonymised patient-level rows the key may export; with none, "
        "the key reads aggregate figures only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Who holds the key.")
        parser.add_argument(
            "--provider",
            action="append",
            default=[],
            metavar="ODS",
            help="Provider ODS code (repeatable).",
        )

    def handle(self, *args, name: str, provider: list[str], **options):
        codes = sorted({code.strip().upper() for code in provider if code.strip()})
        providers = list(Provider.objects.filter(ods_code__in=codes))
        missing = sorted(set(codes) - {p.ods_code for p in providers})
        if missing:
            raise CommandError(f"No provider with ODS code {', '.join(missing)}.")
        client, raw_key = api_key_issue(name=name.strip(), providers=providers)
        scope = ", ".join(codes) if codes else "aggregate figures only"
        self.stdout.write(f"API key for {client.name} ({scope}):")
        self.stdout.write(f"  {raw_key}")
        self.stdout.write("It is shown once: store it safely. Revoke it in the admin if it leaks.")
