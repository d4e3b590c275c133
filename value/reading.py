"""Plain-English readings of the value figures, and a scenario beside the data (no ORM writes).

Presenters: the sentences above each chart and table say what the numbers mean and what they
do not, with the value set, the counterfactual and the uncertainty in the same breath.
"""

from __future__ import annotations

from typing import Any

from value import economics as econ
from value.analysis import value_report
from value.models import Scenario, ScenarioVersion
from value.selectors import ValueQuery


def _pounds(value: float | None) -> str:
    return "not defined" if value is None else f"£{value:,.0f}"


def _interval(row: dict, key: str, digits: int = 1) -> str:
    low, high = row.get(f"{key}_lower"), row.get(f"{key}_upper")
    if low is None or high is None:
        return ""
    return f" (95% interval {low:,.{digits}f} to {high:,.{digits}f})"


def report_reading(report: dict[str, Any]) -> list[str]:
    meta = report["meta"]
    published = [r for r in report["results"] if not r["suppressed"] and not r["comparator"]]
    withheld = [r for r in report["results"] if r["suppressed"]]
    sentences = []
    if not published:
        sentences.append(
            f"No option has enough patients with EQ-5D-5L at baseline and at "
            f"{meta['timepoint']} (at least {meta['disclosure']['min_patients_for_value']}) to "
            "show its value."
        )
    elif not (valued := [r for r in published if r.get("qalys_per_million") is not None]):
        sentences.append(
            f"For {meta['condition']}, no option has costs recorded yet (unit costs and "
            "activity), so value for money (QALYs per £1m) cannot be worked out: the table "
            "shows the QALYs gained."
        )
    else:
        best = valued[0]
        holds = best.get("rank_holds")
        sentences.append(
            f"For {meta['condition']}, {best['option_label']} gives the most health for the "
            f"money: {best['qalys_per_million']:,.1f} QALYs per £1m"
            f"{_interval(best, 'qalys_per_million')}, about "
            f"{_pounds(best['cost_per_qaly'])} per QALY."
            + (
                f" It keeps first place in {holds:.0%} of bootstrap resamples."
                if holds is not None
                else ""
            )
        )
        if len(valued) > 1:
            last = valued[-1]
            sentences.append(
                f"{last['option_label']} gives the least: {last['qalys_per_million']:,.1f} QALYs "
                f"per £1m{_interval(last, 'qalys_per_million')}."
            )
        if meta["budget"] is not None and meta["benefit_within_budget"] is not None:
            sentences.append(
                f"Spent along this curve, the £{meta['budget']:,.0f} budget for "
                f"{meta['budget_year']}/{(meta['budget_year'] + 1) % 100:02d} would buy about "
                f"{meta['benefit_within_budget']:,.1f} QALYs a year."
            )
    if withheld:
        sentences.append(
            f"{len(withheld)} option(s) have too few patients with QALYs to show figures "
            "(disclosure control)."
        )
    sentences.append(
        f"Benefit is QALYs over {meta['horizon_years']:.2f} years from the EQ-5D-5L "
        f"{meta['value_set_title']} value set, beyond the counterfactual "
        f"({meta['counterfactual']['label']})."
    )
    return sentences


def chart_alt(report: dict[str, Any]) -> str:
    curve = report["star"]
    labels = {r["option"]: r["option_label"] for r in report["results"]}
    if not curve.triangles:
        return "STAR chart: no option has figures to show."
    parts = [
        f"{n}. {labels[t.option]}: £{t.cost:,.0f} a year buys {t.benefit:,.1f} QALYs"
        for n, t in enumerate(curve.triangles, start=1)
    ]
    return "STAR chart, options in order of value for money: " + "; ".join(parts) + "."


def move_reading(move: dict[str, Any], report: dict[str, Any]) -> str:
    labels = {r["option"]: r["option_label"] for r in report["results"]}
    change = move["qalys_change"]
    direction = "gain" if change >= 0 else "lose"
    bounds = ""
    if move["qalys_change_lower"] is not None:
        bounds = (
            f" (95% interval {move['qalys_change_lower']:,.2f} to "
            f"{move['qalys_change_upper']:,.2f})"
        )
    return (
        f"Moving £{move['amount']:,.0f} a year from {labels[move['from']]} to "
        f"{labels[move['to']]} would {direction} about {abs(change):,.2f} QALYs a year{bounds}; "
        f"the move gains in {move['probability_gain']:.0%} of bootstrap resamples. "
        + move["assumption"]
    )


def scenario_comparison(scenario: Scenario, version: ScenarioVersion) -> dict[str, Any]:
    """The data-driven options (with the scenario's counterfactual) beside the workshop's own,
    on one STAR curve; workshop rows are labelled as estimates."""
    content = version.content
    cf = content["counterfactual"]
    counterfactual = (
        econ.Counterfactual(kind="assumption", change=cf["change"], low=cf["low"], high=cf["high"])
        if cf["kind"] == "assumption"
        else econ.Counterfactual()
    )
    data = value_report(
        ValueQuery(condition=scenario.condition, counterfactual=counterfactual, replicates=200)
    )
    meta = data["meta"]
    rows = []
    for row in data["results"]:
        if row["suppressed"]:
            continue
        rows.append(
            {
                "source": "data",
                "option": row["option_label"],
                "patients_per_year": row["patients_per_year"],
                "cost_per_patient": row["cost_per_patient"],
                "benefit_per_patient": row["benefit_per_patient"],
                "total_cost": row["total_cost"],
                "total_benefit": row["total_benefit"],
                "qalys_per_million": row["qalys_per_million"],
                "cost_per_qaly": row["cost_per_qaly"],
                "basis": "proms data",
            }
        )
    for option in content["options"]:
        per_year = option["patients_per_year"]
        rows.append(
            {
                "source": "workshop estimate",
                "option": option["label"],
                "patients_per_year": per_year,
                "cost_per_patient": option["cost_per_patient"],
                "benefit_per_patient": option["benefit_per_patient"],
                "total_cost": per_year * option["cost_per_patient"],
                "total_benefit": per_year * option["benefit_per_patient"],
                "qalys_per_million": econ.qalys_per_million(
                    option["cost_per_patient"], option["benefit_per_patient"]
                ),
                "cost_per_qaly": econ.cost_per_qaly(
                    option["cost_per_patient"], option["benefit_per_patient"]
                ),
                "basis": option["basis"],
            }
        )
    for row in rows:
        row["value_set"] = meta["value_set"]
        row["counterfactual"] = meta["counterfactual"]["label"]
    curve = econ.star_curve(
        {f"{r['source']}: {r['option']}": (r["total_cost"], r["total_benefit"]) for r in rows},
        budget=meta["budget"],
    )
    rows.sort(key=lambda r: -(r["qalys_per_million"] or float("-inf")))
    return {"rows": rows, "curve": curve, "meta": meta}
