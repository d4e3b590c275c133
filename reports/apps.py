from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The monthly board pack: outcome figures as a PDF, stored, listed and announced.

    On top of the analytics and the dashboard (``reports → dashboard → analytics → surveys →
    outcomes``): every figure in a pack comes from ``analytics.summaries`` (the functions the
    API answers with) or ``dashboard.figures.figure_compute`` (the dashboard's figures), and
    its charts are the dashboard's.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Reports"
