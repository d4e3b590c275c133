"""Remove a staff member's authenticator and backup codes (a lost phone): they set up again."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import second_factor_reset


class Command(BaseCommand):
    help = "Remove a user's second-factor devices, so they set up a new authenticator at log-in."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--by", required=True, help="the administrator doing it (audited)")

    def handle(self, *args, username: str, by: str, **options):
        users = get_user_model().objects
        try:
            user, admin = users.get(username=username), users.get(username=by, is_superuser=True)
        except get_user_model().DoesNotExist as error:
            raise CommandError("No such user, or --by is not a superuser.") from error
        second_factor_reset(user=user, by=admin)
        self.stdout.write(f"Second factor removed for user {user.pk}; they set it up at log-in.")
