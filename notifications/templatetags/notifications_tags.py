from django import template

from notifications.selectors import episode_notifications

register = template.Library()


@register.simple_tag
def episode_notifications_for(episode, notifications=None):
    """The episode's messages: those the view passed, else read here (one query plus attempts)."""
    if notifications is not None and notifications != "":  # "" is an unset template variable
        return notifications
    return list(episode_notifications(episode)) if episode is not None else []
