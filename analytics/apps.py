from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Outcome analytics over what surveys collect: comparison, equity and practice figures.

    It sits on top of the collection apps (``analytics → surveys → outcomes``): it reads the
    paired-result read model and the survey tables and publishes disclosure-controlled figures
    to the API, the dashboard and the reports through one code path.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"
    verbose_name = "Outcome analytics"
