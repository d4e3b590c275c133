"""Evaluate every stored response with the current alert rules (after a new rule-set version, or
to measure alert volume). Alerts already raised are kept as they are: one per response and rule."""

from django.core.management.base import BaseCommand

from care.alerts import alerts_raise_all
from outcomes.alert_rules import current_rule_set


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        found = alerts_raise_all()
        self.stdout.write(f"Alert rules {current_rule_set().version}: {found} alerts found.")
