from django import template

register = template.Library()


@register.filter
def nhs_number(value) -> str:
    """An NHS number as people read it: ``9991000003`` -> ``999 100 0003`` (3-3-4 digits)."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    if len(digits) != 10:
        return str(value or "")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
