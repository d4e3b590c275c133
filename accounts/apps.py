from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Staff log-in: throttle, second factor, idle expiry, and their audit records."""

    name = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401 - audit records of log-ins and lock-outs
