from django import template

from notifications.selectors import episode_notifications
from surveys.services import pathway_spec

register = template.Library()


@register.simple_tag
def episode_notifications_for(episode, notifications=None):
    """The episode's messages: those the view passed, else read here (one query plus attempts)."""
    if notifications is None or notifications == "":  # "" is an unset template variable
        notifications = list(episode_notifications(episode)) if episode is not None else []
    if episode is not None and notifications:
        # Staff read "3 months after your referral", not the pathway's code "3-months".
        labels = {t.code: t.label for t in pathway_spec(episode.pathway).timepoints}
        for notification in notifications:
            notification.timepoint_label = labels.get(
                notification.invitation.timepoint, notification.invitation.timepoint
            )
    return notifications
