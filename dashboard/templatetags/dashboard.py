"""Table cells of figure rows: withheld values say so, booleans read as words."""

from django import template

register = template.Library()


@register.simple_tag
def cell(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None:
        return "withheld" if row.get("suppressed") and key not in ("suppressed",) else "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return (
            f"{value:,.3f}".rstrip("0").rstrip(".")
            if abs(value) < 1
            else f"{value:,.2f}".rstrip("0").rstrip(".")
        )
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
