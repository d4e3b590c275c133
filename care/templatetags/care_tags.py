from django import template

from care import worklists
from care.models import Alert, ContactRequest

register = template.Library()


@register.simple_tag
def worklist_counts(user) -> dict:
    """The worklist numbers for the staff home (care/worklists.py, one query each)."""
    return {**worklists.counts(user), "no_contact_weeks": worklists.no_contact_weeks_default()}


@register.simple_tag
def episode_care_items(episode) -> dict:
    """An episode's alerts (newest first) and open contact request, for its timeline page."""
    return {
        "alerts": list(Alert.objects.filter(episode=episode).order_by("-raised_at", "-pk")[:50]),
        "contact_request": ContactRequest.objects.filter(
            episode=episode, status=ContactRequest.Status.OPEN
        ).first(),
    }
