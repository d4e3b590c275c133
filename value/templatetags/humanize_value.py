"""Formatting for value figures: pounds, numbers and shares, with a dash for none."""

from __future__ import annotations

from django import template

register = template.Library()
NONE = "–"


@register.filter
def pounds(value) -> str:
    return NONE if value is None else f"£{value:,.0f}"


@register.filter
def num(value, digits=1) -> str:
    return NONE if value is None else f"{value:,.{int(digits)}f}"


@register.filter
def percent(value) -> str:
    return NONE if value is None else f"{value:.0%}"
