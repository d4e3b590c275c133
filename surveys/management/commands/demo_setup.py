import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Prepare the local demo: load definitions and (re)set a demo administrator's log-in."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, **options):
        if not settings.DEBUG and os.environ.get("PROMS_DEMO") != "1":
            raise CommandError("demo_setup is for local demos: set DEBUG=true or PROMS_DEMO=1.")
        call_command("load_definitions", stdout=self.stdout)
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=options["username"])
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo administrator (Django admin at http://127.0.0.1:8000/admin/):\n"
                f"  username: {user.username}\n  password: {password}\n"
            )
        )
