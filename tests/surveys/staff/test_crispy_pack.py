"""The NHS.UK crispy template pack renders the design system's markup."""

import datetime as dt

import pytest
from django.template import Context, Template

from outcomes.loading import catalogue
from surveys.forms import AnswerModeForm, EventForm, PatientForm

pytestmark = pytest.mark.django_db


def render(source, **context):
    return Template("{% load crispy_forms_tags %}" + source).render(Context(context))


def test_crispy_tag_renders_form_with_error_summary_and_fieldsets():
    form = EventForm(
        data={"kind": "procedure", "occurred_on_0": "1", "occurred_on_1": "2"},
        pathway=catalogue().pathway("knee-pain"),
    )
    html = render("{% crispy form %}", form=form)
    assert 'method="post"' in html
    assert 'class="nhsuk-error-summary"' in html
    assert "There is a problem" in html
    assert '<legend class="nhsuk-fieldset__legend' in html
    assert 'class="nhsuk-radios__input"' in html
    assert 'class="nhsuk-date-input"' in html
    assert 'id="occurred_on-error"' in html
    assert 'href="#occurred_on_0"' in html
    assert 'value="1"' in html  # entered values are kept


def test_crispy_filter_and_single_field():
    form = PatientForm(initial={"date_of_birth": dt.date(1948, 3, 14)})
    html = render("{{ form|crispy }}", form=form)
    assert 'class="nhsuk-error-summary"' not in html
    assert 'class="nhsuk-checkboxes__input"' in html
    assert 'class="nhsuk-select"' in html
    assert 'value="14"' in html and 'value="1948"' in html
    field = render("{{ form.nhs_number|as_crispy_field }}", form=form)
    assert '<label class="nhsuk-label" for="nhs_number">' in field
    assert 'aria-describedby="nhs_number-hint"' in field


def test_radios_error_is_described():
    form = AnswerModeForm(data={})
    html = render("{{ form|crispy }}", form=form)
    assert "nhsuk-form-group--error" in html
    assert 'aria-describedby="mode-error"' in html
    assert "Select how the answers were given." in html
