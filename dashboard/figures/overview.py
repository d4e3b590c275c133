"""Overview figures: activity per condition, each agreed outcome over time (XmR), equity gap."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import connection
from django.utils import timezone

from analytics import summaries
from outcomes.loading import catalogue
from surveys.sql import in_sql

from .. import disclosure, spc
from ..filters import DEFAULT_INSTRUMENT, Filters, conditions, outcomes, period_of
from .base import envelope, rate_columns, rounded
from .sql import (
    date_range,
    fetch,
    instrument_versions,
    moment_range,
    month_start_sql,
    pathway_conditions,
    pathway_ids,
    period_label,
    scope,
    slot_sql,
    subquery_fence,
)


def condition_activity(*, filters: Filters) -> dict[str, Any]:
    """Per condition: people enrolled (referred in the period), questionnaires answered
    (submitted in the period) and the response rate (invitations due in the period whose
    window has closed or that were answered; cancelled ones left out)."""
    # From the cohort read models (surveys/cohorts.py): each episode and invitation with its
    # provider and its patient's practice copied in, so no join.
    where, params = scope(filters, episode="c", patient="c", condition=False)
    by_pathway = pathway_conditions()
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    dates, date_params = date_range("c.referred_on", filters)
    sql = f"""
        SELECT c.pathway_id, COUNT(*) FROM surveys_episodecohort c
        WHERE {" AND ".join(["1 = 1", *where, *dates])} GROUP BY c.pathway_id
    """  # noqa: S608
    for pathway, count in fetch(sql, [*params, *date_params]):
        totals[by_pathway.get(pathway)]["enrolled"] += int(count)

    if connection.vendor == "postgresql":
        invitations = _invitation_counts_from_tally(filters, where, params)
    else:
        invitations = _invitation_counts(filters, where, params)
    for pathway, invited, responded, answered in invitations:
        totals[by_pathway.get(pathway)]["invited"] += int(invited or 0)
        totals[by_pathway.get(pathway)]["responded"] += int(responded or 0)
        totals[by_pathway.get(pathway)]["answered"] += int(answered or 0)

    rows = []
    for code, title in conditions():
        counts = totals.get(code, {})
        invited, responded = counts.get("invited", 0), counts.get("responded", 0)
        rows.append(
            {
                "condition": code,
                "condition_title": title,
                "enrolled": counts.get("enrolled", 0),
                "answered": counts.get("answered", 0),
                "invited": invited,
                "responded": responded,
                "not_responded": invited - responded,
            }
        )
    protected = disclosure.protect(
        rows,
        count_keys=["enrolled", "answered", "responded", "not_responded"],
        rounded_keys=["enrolled", "answered", "invited", "responded", "not_responded"],
        keep_keys=["condition", "condition_title"],
    )
    results = [
        row | rate_columns("response_rate", row["responded"], row["invited"])
        if not row["suppressed"]
        else row | rate_columns("response_rate", None, None)
        for row in protected
    ]
    return envelope(
        "condition_activity",
        filters,
        results,
        title="People enrolled, questionnaires answered and response rate, by condition",
        method=(
            "Enrolled: episodes referred in the period. Answered: questionnaires submitted in "
            "the period. Response rate: invitations due in the period that were answered, out "
            "of those answered or whose window has closed (cancelled ones left out), with a "
            "Wilson 95% interval from the published counts."
        ),
    )


def _invitation_counts(filters: Filters, where: list, params: list) -> list[tuple]:
    """(pathway, invited, responded, answered) from the invitation cohort rows, in one pass:
    those due in the period (response rate) and those answered in the period (an answered
    invitation's completed_at is its response's submitted_at)."""
    due, due_params = date_range("c.due_on", filters)
    done, done_params = moment_range("c.completed_at", filters)
    due_sql = " AND ".join(["1 = 1", *due])
    done_sql = " AND ".join(["1 = 1", *done])
    sql = f"""
        SELECT c.pathway_id,
               SUM(CASE WHEN c.status <> 'cancelled'
                         AND (c.status = 'completed' OR c.closes_on < %s) AND {due_sql}
                        THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.status = 'completed' AND {due_sql} THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.status = 'completed' AND {done_sql} THEN 1 ELSE 0 END)
        FROM surveys_invitationcohort c
        WHERE {" AND ".join(["1 = 1", *where])}
        GROUP BY c.pathway_id
    """  # noqa: S608
    params_in_order = [timezone.localdate(), *due_params, *due_params, *done_params, *params]
    return fetch(sql, params_in_order)


UNANSWERED = ("scheduled", "sent", "opened", "partial", "expired")  # neither answered nor cancelled


def _invitation_counts_from_tally(filters: Filters, where: list, params: list) -> list[tuple]:
    """The same counts as ``_invitation_counts``, from the invitation tally (surveys/cohorts.py:
    counts by status and due, closing and local completion month; a period is whole months):
    about 135,000 rows instead of 2.5 million at a million responses. An unanswered invitation
    counts as invited once its window has closed: those closing before this month are told by
    the tally's closing month; those closing this month, before today, are counted from the
    cohort rows (a partial index holds them)."""
    period = period_of(filters.period)
    today = timezone.localdate()
    this_month = today.replace(day=1)
    due, due_params = _month_range("c.due_month", period)
    done, done_params = _month_range("c.completed_month", period)
    unanswered = ", ".join(f"'{status}'" for status in UNANSWERED)
    sql = f"""
        SELECT c.pathway_id,
               SUM(CASE WHEN c.status = 'completed' AND {due} THEN c.n ELSE 0 END),
               SUM(CASE WHEN c.status IN ({unanswered}) AND c.closes_month < %s AND {due}
                        THEN c.n ELSE 0 END),
               SUM(CASE WHEN c.status = 'completed' AND {done} THEN c.n ELSE 0 END)
        FROM surveys_invitationtally c
        WHERE {" AND ".join(["1 = 1", *where])}
        GROUP BY c.pathway_id
    """  # noqa: S608
    counts = {
        pathway: [int(completed or 0), int(closed or 0), int(answered or 0)]
        for pathway, completed, closed, answered in fetch(
            sql, [*due_params, this_month, *due_params, *done_params, *params]
        )
    }
    dates, date_params = date_range("c.due_on", filters)
    sql = f"""
        SELECT c.pathway_id, COUNT(*) FROM surveys_invitationcohort c
        WHERE c.status IN ({unanswered}) AND c.closes_on >= %s AND c.closes_on < %s
          AND {" AND ".join(["1 = 1", *where, *dates])}
        GROUP BY c.pathway_id
    """  # noqa: S608
    for pathway, closed in fetch(sql, [this_month, today, *params, *date_params]):
        counts.setdefault(pathway, [0, 0, 0])[1] += int(closed)
    return [
        (pathway, completed + closed, completed, answered)
        for pathway, (completed, closed, answered) in counts.items()
    ]


def _month_range(column: str, period) -> tuple[str, list]:
    """A period (whole months) on a first-of-the-month column, as SQL and parameters."""
    where, params = ["1 = 1"], []
    if period.start:
        where.append(f"{column} >= %s")
        params.append(period.start)
    if period.end:
        where.append(f"{column} < %s")
        params.append(period.end)
    return " AND ".join(where), params


def outcome_spc(*, filters: Filters) -> dict[str, Any]:
    """Each agreed personal outcome over time: the mean change from baseline to the follow-up
    timepoint of the common questionnaire, by month of follow-up, as an XmR chart."""
    definitions = catalogue()
    codes = [code for code, _ in outcomes()]
    titles = dict(outcomes())
    versions = instrument_versions(DEFAULT_INSTRUMENT)
    pathways = pathway_ids(filters.condition)
    rows: list[dict[str, Any]] = []
    if versions and pathways:
        where, params = scope(filters, episode="pr", patient="pr")
        moments, moment_params = moment_range("pr.followed_up_at", filters, until_only=True)
        month, month_params = month_start_sql("pr.followed_up_at")
        columns = []
        for i, code in enumerate(codes):
            b = slot_sql("baseline_values", versions, DEFAULT_INSTRUMENT, "outcome", code)
            f = slot_sql("follow_up_values", versions, DEFAULT_INSTRUMENT, "outcome", code)
            columns.append(f"({f}) - ({b}) AS d{i}")  # null unless both are answered
        sums = ", ".join(f"COUNT(d{i}), SUM(d{i})" for i in range(len(codes)))
        # OFFSET 0 keeps PostgreSQL from folding the inner query into the outer one, which
        # would work out each change twice (for its count and its sum): 70 ms against 45 ms
        # at a million responses.
        fence = subquery_fence()
        sql = f"""
            SELECT month, {sums} FROM (
                SELECT {month} AS month, {", ".join(columns)}
                FROM surveys_pairedresult pr
                WHERE pr.instrument_id {in_sql(sorted(versions))} AND pr.timepoint = %s
                  AND pr.baseline_timepoint = %s AND {" AND ".join(where + moments)}
                {fence}
            ) AS pairs GROUP BY month ORDER BY month
        """  # noqa: S608
        result = fetch(
            sql,
            [
                *month_params,
                *sorted(versions),
                filters.timepoint,
                "baseline",
                *params,
                *moment_params,
            ],
        )
        for record in result:
            period = period_label(record[0], quarter=False)
            for i, code in enumerate(codes):
                n, total = record[1 + 2 * i], record[2 + 2 * i]
                rows.append(
                    {
                        "outcome": code,
                        "outcome_title": titles[code],
                        "period": period,
                        "n": int(n or 0),
                        "_n": int(n or 0),
                        "_sum": total,
                    }
                )
    protected = disclosure.protect(
        rows,
        partitions=[lambda row: row["outcome"]],
        keep_keys=["outcome", "outcome_title", "period"],
    )
    results: list[dict[str, Any]] = []
    charts: dict[str, Any] = {}
    for code in codes:
        series = [r for r in protected if r["outcome"] == code]
        for row in series:
            total, exact = row.pop("_sum"), row.pop("_n")
            row["mean_change"] = (
                None if row["suppressed"] or not exact else rounded(total / exact, 1)
            )
        published = [r for r in series if r["mean_change"] is not None]
        measure = summaries.measure_resolve(DEFAULT_INSTRUMENT, None, code)
        target = measure.mic
        chart = spc.xmr([r["mean_change"] for r in published], higher_is_better=True, target=target)
        for row in series:
            row |= {
                "process_mean": None,
                "lower_process_limit": None,
                "upper_process_limit": None,
                "special_cause": None,
                "signal": None,
            }
        for row, rule, signal in zip(published, chart.rules, chart.signals, strict=True):
            row |= {
                "process_mean": rounded(chart.mean, 2),
                "lower_process_limit": rounded(chart.lower, 2),
                "upper_process_limit": rounded(chart.upper, 2),
                "special_cause": rule,
                "signal": signal,
            }
        charts[code] = {
            "title": titles[code],
            "points": len(published),
            "mean": rounded(chart.mean, 2),
            "lower": rounded(chart.lower, 2),
            "upper": rounded(chart.upper, 2),
            "target": target,
            "variation": chart.variation,
            "variation_text": spc.VARIATION_TEXT.get(chart.variation or ""),
            "assurance": chart.assurance,
            "assurance_text": spc.ASSURANCE_TEXT.get(chart.assurance or ""),
        }
        results += series
    return envelope(
        "outcome_spc",
        filters,
        results,
        title="Each agreed outcome over time (mean change from baseline, by month)",
        method=(
            f"Mean change from baseline to {filters.timepoint} on the common questionnaire "
            "(harmonised 0-100, higher is better) of the patients followed up each month, "
            "plotted as an XmR chart (Making Data Count): centre line the mean, process limits "
            "mean ± 2.66 × the mean moving range (moving ranges above 3.267 × their mean "
            f"screened out), drawn once there are {spc.MINIMUM_POINTS} or more published "
            "months. Special cause: "
            + "; ".join(spc.RULE_TEXT.values())
            + ". The reference line is the minimal important change of the questionnaire "
            "(the programme has not set targets): assurance says whether the process will "
            "consistently meet it."
        ),
        rules=spc.RULE_TEXT,
        charts=charts,
        measure_source=definitions.instrument(DEFAULT_INSTRUMENT).short_title,
    )


def equity_gap(*, filters: Filters) -> dict[str, Any]:
    """Per condition: mean change in the most deprived fifth (IMD quintile 1) and the least
    deprived fifth (5), and the gap between them, from the published quintile figures of the
    outcome summary (the same numbers the API gives for group_by=imd_quintile)."""
    rows = []
    for code, title in conditions():
        query = filters.replace(condition=code).outcome_query(group_by="imd_quintile")
        answer = summaries.outcome_summary(query)
        by_quintile = {r.get("imd_quintile"): r for r in answer["results"]}
        most, least = by_quintile.get("1") or {}, by_quintile.get("5") or {}
        most_change, least_change = most.get("mean_change"), least.get("mean_change")
        gap = None
        if most_change is not None and least_change is not None:
            gap = rounded(least_change - most_change, 1)
        rows.append(
            {
                "condition": code,
                "condition_title": title,
                "most_deprived_n": most.get("n"),
                "most_deprived_change": most_change,
                "most_deprived_change_lower": most.get("mean_change_lower"),
                "most_deprived_change_upper": most.get("mean_change_upper"),
                "least_deprived_n": least.get("n"),
                "least_deprived_change": least_change,
                "least_deprived_change_lower": least.get("mean_change_lower"),
                "least_deprived_change_upper": least.get("mean_change_upper"),
                "gap": gap,
            }
        )
    return envelope(
        "equity_gap",
        filters,
        rows,
        title="The equity gap: gain in the most and least deprived fifths",
        method=(
            "Mean change from baseline in IMD quintile 1 (most deprived fifth of areas in "
            "England) and quintile 5 (least deprived), from the outcome summary grouped by "
            "IMD quintile; gap = quintile 5 − quintile 1 (positive: people in the least "
            "deprived areas gain more). Blank where a quintile is withheld."
        ),
    )
