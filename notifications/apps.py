from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Follow-up messages along the pathway: the outbox and its channels."""

    name = "notifications"
    verbose_name = "Notifications"
