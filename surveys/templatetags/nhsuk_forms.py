"""Filters for the NHS.UK crispy template pack (templates/nhsuk/)."""

from __future__ import annotations

from django import template

register = template.Library()


def described_by(field) -> str:
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


@register.filter
def nhsuk_described_by(field) -> str:
    return described_by(field)


@register.filter
def nhsuk_widget(field, css_class: str = "nhsuk-input"):
    """The field's widget with NHS.UK classes, error state and aria-describedby."""
    classes = [css_class, field.field.widget.attrs.get("class", "")]
    if field.errors:
        classes.append(f"{css_class}--error")
    attrs = {"class": " ".join(c for c in classes if c)}
    if described := described_by(field):
        attrs["aria-describedby"] = described
    return field.as_widget(attrs=attrs)


@register.filter
def nhsuk_kind(field) -> str:
    """Which NHS.UK pattern renders this field."""
    widget = field.field.widget
    kind = getattr(widget, "nhsuk_kind", None)
    if kind:
        return kind
    if widget.is_hidden:
        return "hidden"
    name = type(widget).__name__
    return {
        "CheckboxInput": "checkbox",
        "RadioSelect": "radios",
        "CheckboxSelectMultiple": "checkboxes",
        "Select": "select",
        "Textarea": "textarea",
    }.get(name, "select" if name.endswith("Select") else "input")
