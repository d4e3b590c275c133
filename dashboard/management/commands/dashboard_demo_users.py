"""Demo log-ins for each dashboard role (called by ``manage.py demo_setup``)."""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.services import backup_codes_issue
from dashboard.models import DashboardRole
from surveys.models import Practice, Provider

DEMO_BACKUP_CODES = 5

# user name -> (role, provider ODS code or None, what they are)
DEMO_USERS = {
    "programme.analyst": (
        DashboardRole.Role.ANALYST,
        None,
        "programme analyst: every provider's figures, no patient-level detail",
    ),
    "sfh.lead": (
        DashboardRole.Role.PROVIDER,
        "RK5",
        "provider staff: every provider's figures, drills into Sherwood Forest's patients",
    ),
    "practice.lead": (
        DashboardRole.Role.PRACTICE_LEAD,
        "DEMOHUB",
        "GP practice lead: their practice against the rest",
    ),
}


class Command(BaseCommand):
    help = "Create or reset the dashboard's demo log-ins (one per role) and print them."

    def handle(self, *args, **options):
        practice = Practice.objects.order_by("ods_code").first()
        for username, (role, ods_code, what) in DEMO_USERS.items():
            password = os.environ.get("DEMO_STAFF_PASSWORD") or secrets.token_urlsafe(12)
            user, _ = get_user_model().objects.get_or_create(username=username)
            # A programme analyst works for MSK Together, not for a provider: the staff flag
            # is what makes them MSK Together staff for the aggregate API, board packs and
            # value pages (outcomes.permissions); the admin stays for superusers only.
            user.is_staff = role == DashboardRole.Role.ANALYST
            user.is_superuser = False
            user.set_password(password)
            user.save()
            if ods_code:
                provider = Provider.objects.filter(ods_code=ods_code).first()
                if provider is not None:
                    provider.staff.add(user)
            lead_practice = practice if role == DashboardRole.Role.PRACTICE_LEAD else None
            if role == DashboardRole.Role.PRACTICE_LEAD and lead_practice is None:
                continue
            DashboardRole.objects.update_or_create(
                user=user, defaults={"role": role, "practice": lead_practice}
            )
            where = f", {lead_practice.ods_code}" if lead_practice else ""
            # Staff pages need a second factor: one-time backup codes stand in for a phone.
            codes = " ".join(backup_codes_issue(user=user, count=DEMO_BACKUP_CODES))
            self.stdout.write(f"  username: {username}  password: {password}  ({what}{where})")
            self.stdout.write(f"    security codes (each works once): {codes}")
