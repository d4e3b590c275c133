"""Table cells of figure rows: withheld values say so, booleans read as words."""

from django import template

from dashboard.presentation import cell_text

register = template.Library()


@register.simple_tag
def cell(row: dict, key: str) -> str:
    """One cell as the dashboard's tables show it (``presentation.cell_text``)."""
    return cell_text(row, key)
