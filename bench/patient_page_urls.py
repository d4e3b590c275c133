"""The project's URLs plus the baseline of ``bench/patient_page.py``: the same 14 MSK-HQ
questions as a bare Django form, radios written in a plain template loop, one indexed read of the
invitation and (on POST) one UPDATE of its draft answers. What plain Django would do."""

from __future__ import annotations

import functools

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import RequestContext, Template
from django.urls import path
from django.views.decorators.csrf import csrf_protect

from proms.urls import handler404  # noqa: F401
from proms.urls import urlpatterns as project_urlpatterns
from surveys import questionnaire
from surveys.models import Invitation
from surveys.tokens import token_hash

TEMPLATE = Template(
    """{% extends "patient/base_patient.html" %}
{% block page_title %}{{ title }}{% endblock %}
{% block content %}<h1>{{ title }}</h1>
<form method="post" novalidate>{% csrf_token %}
{% for field in form %}<div class="nhsuk-form-group"><fieldset class="nhsuk-fieldset">
<legend class="nhsuk-fieldset__legend">{{ field.label }}</legend>
{% for error in field.errors %}<span class="nhsuk-error-message">{{ error }}</span>{% endfor %}
<div class="nhsuk-radios">{% for radio in field %}<div class="nhsuk-radios__item">
<input class="nhsuk-radios__input" type="radio" id="{{ radio.id_for_label }}"
 name="{{ field.html_name }}" value="{{ radio.data.value }}"
 {% if radio.data.selected %} checked{% endif %}>
<label class="nhsuk-label nhsuk-radios__label" for="{{ radio.id_for_label }}">
{{ radio.choice_label }}</label></div>{% endfor %}</div>
</fieldset></div>{% endfor %}
<button class="nhsuk-button" type="submit">Continue</button></form>{% endblock %}"""
)


def radio_form(instrument, items, language: str = "en"):
    """Questions as a Django form with ``RadioSelect`` widgets (the road not taken)."""
    words = questionnaire.wording(instrument, language)
    fields = {
        item.id: forms.TypedChoiceField(
            label=words.items[item.id].text,
            choices=questionnaire.item_choices(item, words.items[item.id]),
            coerce=int,
            widget=forms.RadioSelect,
        )
        for item in items
    }
    return type("PageForm", (forms.Form,), fields)


@functools.cache
def msk_hq_form():
    """The MSK-HQ page's questions as a Django form class (built once, as a module-level class)."""
    from outcomes.loading import catalogue

    spec = catalogue().instrument("msk-hq")
    asked = [item for item in spec.items if item.asked_at == "all"]
    return questionnaire.wording(spec, "en").title, radio_form(spec, asked)


@csrf_protect
def baseline(request, token: str):
    invitation = Invitation.objects.only("draft_answers").get(token_hash=token_hash(token))
    title, form_class = msk_hq_form()
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            draft = {**invitation.draft_answers, "msk-hq": form.cleaned_data}
            Invitation.objects.filter(pk=invitation.pk).update(draft_answers=draft)
            return redirect("patient:check", token)
    else:
        form = form_class(initial=invitation.draft_answers.get("msk-hq") or {})
    return HttpResponse(TEMPLATE.render(RequestContext(request, {"form": form, "title": title})))


urlpatterns = [*project_urlpatterns, path("bench/baseline/<str:token>/", baseline)]
