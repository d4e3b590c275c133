"""The filter set of a board pack made on demand."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outcomes.loading import catalogue
from reports.calendar import previous_month
from reports.packs import PackFilters
from surveys.forms import StaffForm
from surveys.models import Practice, Provider

MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
SPANS = [("12", _("12 months")), ("3", _("3 months")), ("1", _("1 month"))]


def _conditions():
    return [
        (c.code, c.title)
        for c in sorted(catalogue().conditions.values(), key=lambda c: c.order)
        if c.active
    ]


def _timepoints():
    seen = {}
    for pathway in catalogue().current_pathways():
        for timepoint in pathway.timepoints:
            if timepoint.follow_up:
                # Staff wording: "6 months after referral", not the patient's "your referral".
                seen.setdefault(timepoint.code, timepoint.label.replace("your ", ""))
    return list(seen.items())


class PackRequestForm(StaffForm):
    condition = forms.ChoiceField(label=_("Condition"), choices=_conditions)
    provider = forms.ChoiceField(label=_("Provider"), required=False)
    practice = forms.ChoiceField(label=_("GP practice"), required=False)
    timepoint = forms.ChoiceField(
        label=_("Follow-up questionnaire"), choices=_timepoints, initial="6-months"
    )
    month = forms.CharField(
        label=_("Last month"),
        help_text=_("The last month the pack covers, year then month, like 2026-11"),
        max_length=7,
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "inputmode": "numeric"}),
        error_messages={"required": _("Enter the last month, like 2026-11.")},
    )
    months = forms.ChoiceField(label=_("Period"), choices=SPANS, initial="12")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        providers = Provider.objects.order_by("name").values_list("ods_code", "name")
        practices = Practice.objects.order_by("name").values_list("ods_code", "name")
        self.fields["provider"].choices = [("", _("Every provider")), *providers]
        self.fields["practice"].choices = [("", _("Every practice")), *practices]
        if not self.is_bound:
            last = previous_month(timezone.localdate())[1]
            self.initial.setdefault("month", f"{last:%Y-%m}")

    def clean_month(self) -> dt.date:
        match = MONTH.match(self.cleaned_data["month"])
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
            raise forms.ValidationError(_("Enter the last month as year then month, like 2026-11."))
        first = dt.date(int(match[1]), int(match[2]), 1)
        if first > timezone.localdate().replace(day=1):
            raise forms.ValidationError(_("The last month cannot be in the future."))
        return first

    def filters(self) -> PackFilters:
        data = self.cleaned_data
        first = data["month"]
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = following - dt.timedelta(days=1)
        start = first.year * 12 + first.month - 1 - (int(data["months"]) - 1)
        return PackFilters(
            condition=data["condition"],
            date_from=dt.date(start // 12, start % 12 + 1, 1),
            date_to=last,
            timepoint=data["timepoint"],
            provider=data["provider"] or None,
            practice=data["practice"] or None,
        )

    def clean(self):
        data = super().clean()
        condition, timepoint = data.get("condition"), data.get("timepoint")
        if condition and timepoint:
            pathway = next(
                (p for p in catalogue().current_pathways() if p.condition == condition), None
            )
            codes = [t.code for t in pathway.timepoints] if pathway else []
            if timepoint not in codes:
                self.add_error(
                    "timepoint",
                    _("This condition's pathway has no %(timepoint)s questionnaire.")
                    % {"timepoint": dict(_timepoints()).get(timepoint, timepoint).lower()},
                )
        return data
