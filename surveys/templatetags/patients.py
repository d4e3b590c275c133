from django import template

register = template.Library()


@register.filter
def nhs_number(value) -> str:
    """An NHS number as people read it: ``9991000003`` -> ``999 100 0003`` (3-3-4 digits)."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    if len(digits) != 10:
        return str(value or "")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


@register.filter
def language_name(code) -> str:
    """``en`` -> ``English``: the settings' languages by primary subtag, else the code itself."""
    from django.conf import settings

    wanted = str(code or "").lower().split("-")[0]
    for language, name in settings.LANGUAGES:
        if language.lower().split("-")[0] == wanted:
            return str(name)
    return str(code or "")


@register.simple_tag
def find_by_name_form(form=None):
    """The "find by name and date of birth" form: the one the view bound, else an empty one (the
    staff home and the find page include it without a view of their own)."""
    from surveys.forms import FindByNameForm

    return form if form else FindByNameForm()
