"""Prepare the local demo that ``scripts/serve`` runs: reference data, providers, staff log-ins,
about 200 SYNTHETIC patients at every stage, and one patient link that works today.

Idempotent: a second run keeps the patients and only resets the printed passwords and link.
``--reset`` deletes the generated patients and builds them again.
"""

import datetime as dt
import io
import itertools
import os
import secrets
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.services import backup_codes_issue
from outcomes.models import Pathway
from surveys import reference, services, synthetic
from surveys.models import Area, Invitation, Patient, Practice
from surveys.signals import population_written

DEMO_SEED = 2026
DEMO_PATIENTS = 200
DEMO_BACKUP_CODES = 5
# Behind the ~200 detailed patients, a bulk history of two years (bulk rows, the same scoring)
# so the outcome figures, charts and board packs have enough paired questionnaires to show
# their built-in differences unsuppressed (surveys/synthetic.py, BETTER_PROVIDER...). Setting
# DEMO_HISTORY_PATIENTS (or --history) to 0 leaves it out.
DEMO_HISTORY_PATIENTS = 9000
# Demo staff: user name -> (provider ODS code, what they are)
DEMO_STAFF = {
    "hub.admin": ("DEMOHUB", "MSK Together Hub administrator"),
    "sfh.clinician": ("RK5", "Sherwood Forest Hospitals clinician"),
}
# The patient a newcomer plays when trying the patient side.
TRY_PATIENT = {
    "given_name": "Margaret",
    "family_name": "Demo",
    "date_of_birth": dt.date(1948, 3, 14),
    "sex": Patient.Sex.FEMALE,
    "address_line_1": "1 Station Road",
    "town": "Mansfield",
    "mobile": "+447700900000",
    "email": "margaret.demo@example.com",
    "preferred_channel": Patient.Channel.SMS,
    "contact_consent": True,
}


class Command(BaseCommand):
    help = (
        "Prepare the local demo: definitions, reference data, providers, staff log-ins, "
        "~200 synthetic patients and one working patient link (idempotent; --reset rebuilds)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo patients and build them again"
        )
        parser.add_argument("--patients", type=int, default=DEMO_PATIENTS)
        parser.add_argument(
            "--history",
            type=int,
            default=None,
            help="Patients in the bulk two-year history behind the detailed ones "
            f"(default DEMO_HISTORY_PATIENTS, else {DEMO_HISTORY_PATIENTS}; 0 for none)",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and os.environ.get("PROMS_DEMO") != "1":
            raise CommandError("demo_setup is for local demos: set DEBUG=true or PROMS_DEMO=1.")
        started = time.perf_counter()
        call_command("load_definitions", stdout=self.stdout)
        self.stdout.write(f"Areas: {reference.areas_load().summary()}.")
        self.stdout.write(f"Practices: {reference.practices_load(mid_notts_only=True).summary()}.")
        synthetic_postcodes = reference.postcode_areas_load_synthetic()
        self.stdout.write(f"SYNTHETIC postcodes: {synthetic_postcodes.summary()}.")
        providers = synthetic.providers_ensure()
        self.stdout.write(f"Providers: {', '.join(p.name for p in providers.values())}.")

        try_patients = Patient.objects.filter(nhs_number=synthetic.demo_patient_nhs_number())
        if options["reset"]:
            deleted = synthetic.population_delete() + synthetic.patients_delete(try_patients)
            self.stdout.write(f"Deleted {deleted} demo patients.")
        generated = Patient.objects.filter(nhs_number__gte=synthetic.SYNTHETIC_NHS_FROM)
        if generated.exists():
            self.stdout.write(f"Keeping the {generated.count()} demo patients already loaded.")
        else:
            context = synthetic.context_from_database(DEMO_SEED)
            history = options["history"]
            if history is None:
                history = int(getattr(settings, "DEMO_HISTORY_PATIENTS", DEMO_HISTORY_PATIENTS))
            # One plan stream: the detailed patients are its first ``--patients``, the history
            # the rest (a smaller population is a prefix of a larger one).
            plans = synthetic.population_plan(
                context, patients=options["patients"] + history, today=timezone.localdate()
            )
            detailed = itertools.islice(plans, options["patients"])
            stats = synthetic.population_write(detailed, via_services=True)
            # Messages, alerts and requests of the detailed patients' history (notifications, care).
            population_written.send(sender=self.__class__, episode_ids=None)
            self.stdout.write(
                f"Demo patients: {stats.patients} with {stats.episodes} episodes and "
                f"{stats.responses} scored responses."
            )
            if history:
                bulk = synthetic.population_write(plans, context=context, batch_size=2000)
                self.stdout.write(
                    f"Two-year history: {bulk.patients:,} patients with "
                    f"{bulk.responses:,} scored responses ({bulk.seconds:.1f} s)."
                )

        admin_password = self._admin(options["username"])
        staff_passwords = self._staff(providers)
        token, patient = self._try_link(providers["DEMOHUB"])
        link = self._patient_url(token)
        base = settings.PUBLIC_BASE_URL.rstrip("/")
        lines = [
            "",
            f"Demo administrator (Django admin at {base}/admin/):",
            f"  username: {options['username']}  password: {admin_password}",
            f"Staff log-ins (SYNTHETIC data only) at {base}/accounts/login/:",
        ]
        for username, password in staff_passwords.items():
            lines.append(
                f"  username: {username}  password: {password}  ({DEMO_STAFF[username][1]})"
            )
        lines.append(
            "  then a security code: any one of these backup codes (each works once; set up an "
            "authenticator app from 'Security codes' once in):"
        )
        for username, codes in self._backup_codes([options["username"], *staff_passwords]):
            lines.append(f"  {username}: {' '.join(codes)}")
        lines += self._dashboard_users(base)
        lines += [
            f"Try the patient side: {link}  (date of birth {patient.date_of_birth:%d/%m/%Y})",
            f"Demo ready in {time.perf_counter() - started:.1f} s.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    def _backup_codes(self, usernames: list[str]) -> list[tuple[str, list[str]]]:
        """Fresh one-time backup codes for each demo log-in, so the demo needs no phone."""
        users = get_user_model().objects.in_bulk(usernames, field_name="username")
        return [
            (name, backup_codes_issue(user=users[name], count=DEMO_BACKUP_CODES))
            for name in usernames
        ]

    def _dashboard_users(self, base: str) -> list[str]:
        """The dashboard's demo log-ins, one per role, when the dashboard app is installed
        (by command name: surveys does not import the apps built on it)."""
        if "dashboard_demo_users" not in get_commands():
            return []
        out = io.StringIO()
        call_command("dashboard_demo_users", stdout=out)
        return [f"Dashboard log-ins at {base}/staff/dashboard/:", *out.getvalue().splitlines()]

    def _admin(self, username: str) -> str:
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return password

    def _staff(self, providers) -> dict[str, str]:
        """Staff who see only their own provider's patients (no Django admin)."""
        passwords = {}
        for username, (ods_code, _) in DEMO_STAFF.items():
            password = os.environ.get("DEMO_STAFF_PASSWORD") or secrets.token_urlsafe(12)
            user, _ = get_user_model().objects.get_or_create(username=username)
            user.is_staff = user.is_superuser = False
            user.set_password(password)
            user.save()
            providers[ods_code].staff.add(user)
            passwords[username] = password
        return passwords

    @transaction.atomic
    def _try_link(self, provider) -> tuple[str, Patient]:
        """A fresh link to an invitation that is open today, for the demo's own patient."""
        today = timezone.localdate()
        patient = Patient.objects.filter(nhs_number=synthetic.demo_patient_nhs_number()).first()
        if patient is None:
            postcode, _lsoa = reference.synthetic_postcode_areas(
                Area.objects.values_list("lsoa_code", "name")
            )[0]
            patient = services.patient_create(
                by=None,
                nhs_number=synthetic.demo_patient_nhs_number(),
                postcode=postcode,
                practice=Practice.objects.order_by("ods_code").first(),
                **TRY_PATIENT,
            )
        candidates = Invitation.objects.filter(
            episode__patient=patient, status__in=Invitation.OUTSTANDING
        ).select_related("episode")
        invitation = next(
            (i for i in candidates if services.invitation_is_answerable(i, today)), None
        )
        if invitation is None:
            # Start a new knee-pain referral: its baseline is open from the referral date.
            pathway = Pathway.objects.filter(code="knee-pain").order_by("-pk").first()
            for days_ago in range(0, 20):
                referred_on = today - dt.timedelta(days=days_ago)
                if patient.episodes.filter(referred_on=referred_on).exists():
                    continue
                episode = services.episode_enrol(
                    patient=patient,
                    pathway=pathway,
                    provider=provider,
                    referred_on=referred_on,
                    by=None,
                )
                invitation = episode.invitations.get(timepoint="baseline")
                break
            else:
                raise CommandError("Run demo_setup --reset: the demo patient has no open link.")
        return services.invitation_link_issue(invitation=invitation, by=None), patient

    @staticmethod
    def _patient_url(token: str) -> str:
        try:
            path = reverse("patient:start", args=[token])
        except NoReverseMatch:  # the patient pages are not routed yet
            path = f"/q/{token}/"
        return settings.PUBLIC_BASE_URL.rstrip("/") + path
