from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcomes and instruments"

    def ready(self) -> None:
        from outcomes import checks  # noqa: F401  (registers the system checks)
