from django.apps import AppConfig


class ValueConfig(AppConfig):
    """Value: outcomes gained for the resources used, and where money would do more good.

    It sits on top of analytics (``value → analytics → surveys → outcomes``): unit costs,
    activity and budgets beside the EQ-5D-5L results surveys collects, turned into QALYs, cost
    per QALY and the STAR value-for-money chart by the pure ``value.economics``.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "value"
    verbose_name = "Value for money"
