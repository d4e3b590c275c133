"""Demo content for the value pages: ILLUSTRATIVE unit costs, a budget, and a SYNTHETIC back-pain
population with a known value-for-money truth (value/synthetic.py). Idempotent."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from surveys import synthetic
from value.models import ActivityRecord, Budget, UnitCostSchedule
from value.services import budget_set, unit_costs_load
from value.synthetic import DEMO_TRUTH, value_population_write

ILLUSTRATIVE_COSTS = Path(__file__).resolve().parents[2] / "data" / "illustrative_unit_costs.csv"
DEMO_SEED = 1212
DEMO_PATIENTS = 800
DEMO_BUDGET = Decimal("150000")  # ILLUSTRATIVE: a made-up allocation for the demo's curve


class Command(BaseCommand):
    help = (
        "Illustrative unit costs, a budget and a synthetic back-pain population for /staff/value/."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG and os.environ.get("PROMS_DEMO") != "1":
            raise CommandError(
                "value_demo_setup is for local demos: set DEBUG=true or PROMS_DEMO=1."
            )
        if not UnitCostSchedule.objects.exists():
            schedule = unit_costs_load(
                data=ILLUSTRATIVE_COSTS.read_bytes(),
                name="ILLUSTRATIVE demo unit costs (made up)",
                file_name=ILLUSTRATIVE_COSTS.name,
                illustrative=True,
            )
            self.stdout.write(f"ILLUSTRATIVE unit costs loaded as version {schedule.version}.")
        today = timezone.localdate()
        year = today.year if today.month >= 4 else today.year - 1
        if not Budget.objects.filter(condition=DEMO_TRUTH.condition).exists():
            budget_set(
                year=year, condition=DEMO_TRUTH.condition, service="", amount=DEMO_BUDGET, by=None
            )
        if ActivityRecord.objects.filter(
            condition=DEMO_TRUTH.condition, episode__isnull=False
        ).exists():
            self.stdout.write("Value demo population already there.")
            return
        synthetic.providers_ensure()
        made = value_population_write(patients=DEMO_PATIENTS, seed=DEMO_SEED, today=today)
        self.stdout.write(
            f"SYNTHETIC value population: {made} back-pain patients with a known truth "
            f"(see value/synthetic.py). Budget year for the chart: {year}."
        )
