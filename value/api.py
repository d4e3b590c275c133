"""Value endpoints under ``/api/v1/value/``: options, equity by deprivation fifth, reallocation.

As ``analytics.api``: any API key or signed-in staff (``AggregateAccess``), the aggregate
throttle, ``{"meta", "results"}`` answers with flat rows (``?format=csv`` writes the rows), a
400 naming the parameter. Every row states its EQ-5D-5L value set and counterfactual, so a
figure copied out of the CSV still says what it is.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from analytics.api import AGGREGATE_ERRORS, AggregateView
from outcomes.loading import catalogue
from value.analysis import cached_value_report, reallocation
from value.economics import Counterfactual
from value.selectors import OPTION_GROUPINGS, ValueQuery, ValueQueryError, value_sets

MAX_REPLICATES = 2000


class ValueQuerySerializer(serializers.Serializer):
    condition = serializers.ChoiceField(
        choices=sorted(catalogue().conditions), help_text="Condition code, e.g. back-pain."
    )
    option_by = serializers.ChoiceField(
        choices=OPTION_GROUPINGS,
        default="provider",
        help_text="Options are services (provider) or the procedure recorded (procedure).",
    )
    timepoint = serializers.CharField(
        default="6-months", max_length=50, help_text="Follow-up timepoint that ends the horizon."
    )
    value_set = serializers.ChoiceField(
        choices=sorted(value_sets()),
        default="england-2018",
        help_text="EQ-5D-5L value set (England 2018, Devlin et al., is the default).",
    )
    counterfactual = serializers.ChoiceField(
        choices=["assumption", "cohort", "zero"],
        default="zero",
        help_text="Expected change without the intervention: an assumption, a cohort, or zero "
        "(allowed only with a warning).",
    )
    counterfactual_change = serializers.FloatField(
        required=False, min_value=-1, max_value=1, help_text="Assumed utility change by horizon."
    )
    counterfactual_low = serializers.FloatField(required=False, min_value=-1, max_value=1)
    counterfactual_high = serializers.FloatField(required=False, min_value=-1, max_value=1)
    cohort = serializers.CharField(
        required=False, max_length=100, help_text="The comparison option (cohort counterfactual)."
    )
    adjust = serializers.BooleanField(
        default=True, help_text="Adjust QALYs for baseline utility (Manca et al. 2005)."
    )
    referred_from = serializers.DateField(required=False)
    referred_to = serializers.DateField(required=False)
    budget_year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, help_text="Financial year, e.g. 2026."
    )
    replicates = serializers.IntegerField(
        default=1000, min_value=100, max_value=MAX_REPLICATES, help_text="Bootstrap replicates."
    )
    seed = serializers.IntegerField(default=20260401, min_value=0, max_value=2**31 - 1)

    def validate(self, data):
        kind = data["counterfactual"]
        if kind == "assumption":
            if "counterfactual_change" not in data:
                raise serializers.ValidationError(
                    {"counterfactual_change": "An assumed counterfactual needs its change."}
                )
            low = data.get("counterfactual_low", data["counterfactual_change"])
            high = data.get("counterfactual_high", data["counterfactual_change"])
            if not low <= data["counterfactual_change"] <= high:
                raise serializers.ValidationError(
                    {"counterfactual_low": "The change must lie within its low-high range."}
                )
        if kind == "cohort" and not data.get("cohort"):
            raise serializers.ValidationError({"cohort": "Name the comparison option."})
        return data

    def query(self) -> ValueQuery:
        data = self.validated_data
        kind = data["counterfactual"]
        if kind == "assumption":
            change = data["counterfactual_change"]
            counterfactual = Counterfactual(
                kind=kind,
                change=change,
                low=data.get("counterfactual_low", change),
                high=data.get("counterfactual_high", change),
            )
        elif kind == "cohort":
            counterfactual = Counterfactual(kind=kind, cohort=data["cohort"])
        else:
            counterfactual = Counterfactual()
        return ValueQuery(
            condition=data["condition"],
            option_by=data["option_by"],
            timepoint=data["timepoint"],
            value_set=data["value_set"],
            counterfactual=counterfactual,
            adjust=data["adjust"],
            referred_from=data.get("referred_from"),
            referred_to=data.get("referred_to"),
            budget_year=data.get("budget_year"),
            replicates=data["replicates"],
            seed=data["seed"],
        )


class ReallocationQuerySerializer(ValueQuerySerializer):
    source = serializers.CharField(max_length=100, help_text="Option money moves from.")
    target = serializers.CharField(max_length=100, help_text="Option money moves to.")
    amount = serializers.FloatField(min_value=1, max_value=1e10, help_text="Pounds a year.")


def labelled(rows: list[dict[str, Any]], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row names its value set, counterfactual and whether the costs are illustrative."""
    costs = meta["unit_costs"] or {}
    return [
        row
        | {
            "value_set": meta["value_set"],
            "counterfactual": meta["counterfactual"]["label"],
            "illustrative_costs": costs.get("illustrative"),
        }
        for row in rows
    ]


def public_meta(report: dict[str, Any]) -> dict[str, Any]:
    meta = dict(report["meta"])
    curve = report["star"]
    meta["star"] = [
        {"option": t.option, "x0": t.x0, "x1": t.x1, "y0": t.y0, "y1": t.y1}
        for t in curve.triangles
    ]
    return meta


_row = serializers.DictField(help_text="One flat row; fields listed in docs/value.md.")
VALUE_RESPONSE = inline_serializer(
    name="ValueAnswer",
    fields={
        "meta": serializers.DictField(help_text="Method, value set, counterfactual, disclosure."),
        "results": serializers.ListField(child=_row),
    },
)


class ValueView(AggregateView):
    """As analytics' aggregate views (access, throttle, 400 naming the field); the answer is
    cached by ``cached_value_report`` instead, whose key also covers costs and activity."""

    query_serializer = ValueQuerySerializer

    def cached_answer(self, params) -> dict[str, Any]:
        try:
            return self.answer(params)
        except ValueError as error:  # e.g. a counterfactual the economics refuses
            if isinstance(error, ValueQueryError):
                raise
            raise ValueQueryError(str(error)) from error


class ValueOptionsView(ValueView):
    @extend_schema(
        summary="Value for money by option (STAR)",
        description=(
            "Per option: patients a year, cost per patient, QALY gain and benefit (gain minus "
            "the counterfactual) per patient, totals, QALYs per £1m and £ per QALY with "
            "bootstrap intervals, rank and the probability it holds. `meta.star` gives the "
            "triangles of the STAR chart. Options from fewer than DISCLOSURE_MIN_ADJUSTED "
            "patients with QALYs are withheld."
        ),
        parameters=[ValueQuerySerializer],
        responses={200: VALUE_RESPONSE, **AGGREGATE_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def answer(self, params) -> dict[str, Any]:
        report = cached_value_report(params.query())
        return {"meta": public_meta(report), "results": labelled(report["results"], report["meta"])}


class ValueEquityView(ValueView):
    @extend_schema(
        summary="Value by deprivation fifth",
        description="Per option and IMD 2025 fifth (1 = most deprived): who gains for the money.",
        parameters=[ValueQuerySerializer],
        responses={200: VALUE_RESPONSE, **AGGREGATE_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def answer(self, params) -> dict[str, Any]:
        report = cached_value_report(params.query())
        return {"meta": public_meta(report), "results": labelled(report["equity"], report["meta"])}


class ValueReallocationView(ValueView):
    query_serializer = ReallocationQuerySerializer

    @extend_schema(
        summary="Reallocation what-if",
        description=(
            "Move `amount` pounds a year from option `source` to option `target`: the expected "
            "change in QALYs at constant returns, with its bootstrap interval and the "
            "probability that the move gains."
        ),
        parameters=[ReallocationQuerySerializer],
        responses={200: VALUE_RESPONSE, **AGGREGATE_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def answer(self, params) -> dict[str, Any]:
        data = params.validated_data
        report = cached_value_report(params.query())
        move = reallocation(
            report, source=data["source"], target=data["target"], amount=data["amount"]
        )
        return {"meta": public_meta(report), "results": labelled([move], report["meta"])}
