"""Prefill a scenario form's option row from saved (or posted) values."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def field_value(values, index, key) -> str:
    if not values:
        return ""
    value = values.get(f"option-{index}-{key}", "")
    return "" if value is None else str(value)
