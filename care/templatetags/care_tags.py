from django import template

from care import worklists
from care.models import Alert, ContactRequest
from surveys.views_staff import works_for_a_provider

register = template.Library()


@register.filter
def cares_for_patients(user) -> bool:
    """Whether the staff menu offers the worklists: not to programme analysts (no provider,
    so no patients on any list)."""
    return works_for_a_provider(user)


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
