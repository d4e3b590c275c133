"""Between services (patients said they felt "abandoned"), and data quality."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import connection
from django.utils import timezone

from surveys.contact import no_contact_since
from surveys.models import Provider

from .. import disclosure
from ..filters import Filters
from .base import envelope, rate_columns
from .condition import QUINTILES, _by_dimension, _histogram_rows
from .sql import date_range, days_between, fetch, quintile, scope

INTERVALS = {
    "referral-to-assessment": "Referral to first assessment",
    "assessment-to-procedure": "First assessment to first procedure",
    "procedure-to-discharge": "First procedure to discharge",
    "referral-to-discharge": "Referral to discharge",
}


def event_intervals(*, filters: Filters) -> dict[str, Any]:
    """Days between the recorded events of an episode (referral, first assessment, first
    procedure, discharge): median, quartiles and 90th percentile."""
    where, params = scope(filters, episode="c", patient="c")
    dates, date_params = date_range("c.referred_on", filters)
    spans = {
        "referral-to-assessment": ("c.referred_on", "c.first_assessment_on"),
        "assessment-to-procedure": ("c.first_assessment_on", "c.first_procedure_on"),
        "procedure-to-discharge": ("c.first_procedure_on", "c.discharged_on"),
        "referral-to-discharge": ("c.referred_on", "c.discharged_on"),
    }
    columns = ", ".join(
        f"{days_between(start, end)} AS days_{number}"
        for number, (start, end) in enumerate(spans.values())
    )
    which = " UNION ALL ".join(f"SELECT {number} AS span" for number in range(len(spans)))
    days = " ".join(f"WHEN {number} THEN days_{number}" for number in range(len(spans)))
    # One pass over the episodes: counted by their four intervals together (~18,000 distinct
    # combinations at a million responses), then each interval's histogram summed by the
    # database too (a few hundred rows back instead of every combination).
    sql = f"""
        SELECT span, CASE span {days} END AS days, SUM(n)
        FROM (
            SELECT {columns}, COUNT(*) AS n
            FROM surveys_episodecohort c
            WHERE (c.first_assessment_on IS NOT NULL OR c.discharged_on IS NOT NULL)
              AND {" AND ".join(where + dates)}
            GROUP BY {", ".join(str(i + 1) for i in range(len(spans)))}
        ) AS combinations
        CROSS JOIN ({which}) AS spans
        GROUP BY span, CASE span {days} END
    """  # noqa: S608
    names = list(spans)
    counts: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for span, days_apart, n in fetch(sql, [*params, *date_params]):
        # An event dated before the one it follows is left out.
        if days_apart is not None and int(days_apart) >= 0:
            counts[("interval", names[int(span)])][int(days_apart)] += int(n)
    rows = _histogram_rows(counts, {"interval": names})
    for row in rows:
        row["label"] = INTERVALS[row["group"]]
    protected = disclosure.protect(
        rows, partitions=[lambda row: row["group"]], keep_keys=["dimension", "group", "label"]
    )
    return envelope(
        "event_intervals",
        filters,
        protected,
        title="Time between recorded events",
        method=(
            "Episodes referred in the period: days between the referral and the first "
            "assessment, the first assessment and the first procedure, the first procedure and "
            "discharge, and referral and discharge, where both events are recorded (an event "
            "dated before the one it follows is left out). Median, quartiles and 90th "
            "percentile."
        ),
    )


def _last_contact_sql() -> str:
    """The episode's last contact: one stored column, the definition in surveys/contact.py
    (referral, message sent, answered questionnaire, event, contact recorded by staff), the
    same the staff's "no contact" worklist reads."""
    return "e.last_contact_at"


def no_contact(*, filters: Filters) -> dict[str, Any]:
    """Open episodes with no contact (surveys/contact.py) for ``weeks`` weeks or more, by
    provider and by deprivation fifth."""
    # The episode's cohort row (surveys/cohorts.py) holds its condition, provider, practice and
    # deprivation; the episode itself its status and last contact: one join, not three
    # (182 ms against 126 ms at a million responses).
    where, params = scope(filters, episode="c", patient="c")
    sql = f"""
        SELECT c.provider_id, c.imd_quintile, COUNT(*),
               SUM(CASE WHEN {_last_contact_sql()} < %s THEN 1 ELSE 0 END)
        FROM surveys_episode e
        JOIN surveys_episodecohort c ON c.episode_id = e.id
        WHERE e.status = 'active' AND {" AND ".join(where)}
        GROUP BY c.provider_id, c.imd_quintile
    """  # noqa: S608
    cutoff = connection.ops.adapt_datetimefield_value(no_contact_since(filters.weeks))
    totals: dict[tuple[str, Any], list[int]] = defaultdict(lambda: [0, 0])
    for provider_id, imd, active, silent in fetch(sql, [cutoff, *params]):
        for key in (("provider", provider_id), ("imd_quintile", quintile(imd))):
            totals[key][0] += int(active)
            totals[key][1] += int(silent or 0)
    providers = dict(Provider.objects.values_list("pk", "ods_code"))
    names = dict(Provider.objects.values_list("ods_code", "name"))
    rows = []
    for pk in sorted(providers, key=lambda k: names[providers[k]]):
        active, silent = totals.get(("provider", pk), [0, 0])
        code = providers[pk]
        rows.append(_contact_row("provider", code, names[code], active, silent))
    for group in QUINTILES:
        active, silent = totals.get(("imd_quintile", group), [0, 0])
        rows.append(_contact_row("imd_quintile", group, f"IMD quintile {group}", active, silent))
    protected = disclosure.protect(
        rows,
        count_keys=["no_contact", "in_contact"],
        partitions=[_by_dimension],
        rounded_keys=["open_episodes", "no_contact", "in_contact"],
        keep_keys=["dimension", "group", "group_name"],
    )
    results = [
        row | rate_columns("no_contact", row["no_contact"], row["open_episodes"])
        for row in protected
    ]
    return envelope(
        "no_contact",
        filters,
        results,
        title=f"Open episodes with no contact for {filters.weeks} weeks or more",
        method=(
            "Open (active) episodes whose last contact is at least the given number of weeks "
            "ago, by provider and IMD quintile, with Wilson 95% intervals. Last contact is the "
            "latest of the referral, any message sent to the patient, any answered "
            "questionnaire, any recorded event and any contact recorded by staff: the same "
            "definition as the staff's no-contact worklist."
        ),
        weeks=filters.weeks,
    )


def _contact_row(dimension: str, group: str, name: str, active: int, silent: int) -> dict:
    return {
        "dimension": dimension,
        "group": group,
        "group_name": name,
        "open_episodes": active,
        "no_contact": silent,
        "in_contact": active - silent,
    }


def no_contact_episodes(*, filters: Filters, providers, practice: str | None = None, limit=100):
    """Patient-level: the open episodes behind ``no_contact`` at ``providers`` only (and, for a
    practice lead, their practice's patients only), longest without contact first, and how
    many there are. Never published: for the drill-down of staff who care for these patients.

    One range of the index ``episode_active_last_contact`` per provider, as the staff's
    no-contact worklist (care/worklists.py) reads it: the same episodes, the same count."""
    from surveys.models import Episode

    episodes = Episode.objects.filter(
        status=Episode.Status.ACTIVE,
        provider__in=providers,
        pathway__condition__code=filters.condition,
        last_contact_at__lt=no_contact_since(filters.weeks),
    )
    if filters.provider:
        episodes = episodes.filter(provider__ods_code=filters.provider)
    if practice or filters.practice:
        episodes = episodes.filter(patient__practice__ods_code=practice or filters.practice)
    shown = episodes.select_related("provider").order_by("last_contact_at", "pk")[:limit]
    today = timezone.localdate()
    found = []
    for episode in shown:
        last = timezone.localdate(episode.last_contact_at)
        found.append({"episode": episode, "last_contact": last, "weeks": (today - last).days // 7})
    return found, episodes.count()


def loss_to_follow_up(*, filters: Filters) -> dict[str, Any]:
    """Of the episodes that answered the baseline and whose follow-up window has closed (or
    that answered it), the share that did not answer the follow-up, by deprivation fifth."""
    # From the invitation cohort rows (surveys/cohorts.py): the episode's deprivation and
    # whether its baseline was answered are copied into each invitation's row, so no join.
    where, params = scope(filters, episode="fi", patient="fi")
    dates, date_params = date_range("fi.due_on", filters)
    sql = f"""
        SELECT fi.imd_quintile, COUNT(*),
               SUM(CASE WHEN fi.status = 'completed' THEN 1 ELSE 0 END)
        FROM surveys_invitationcohort fi
        WHERE fi.timepoint = %s AND fi.status <> 'cancelled'
          AND (fi.status = 'completed' OR fi.closes_on < %s)
          AND fi.baseline_answered_at IS NOT NULL
          AND {" AND ".join(where + dates)}
        GROUP BY fi.imd_quintile
    """  # noqa: S608
    found = {
        quintile(imd): (int(due), int(answered or 0))
        for imd, due, answered in fetch(
            sql, [filters.timepoint, timezone.localdate(), *params, *date_params]
        )
    }
    rows = []
    for group in QUINTILES:
        due, answered = found.get(group, (0, 0))
        rows.append(
            {
                "imd_quintile": group,
                "followed_up_due": due,
                "lost": due - answered,
                "answered": answered,
            }
        )
    protected = disclosure.protect(
        rows,
        count_keys=["lost", "answered"],
        rounded_keys=["followed_up_due", "lost", "answered"],
        keep_keys=["imd_quintile"],
    )
    results = [row | rate_columns("lost", row["lost"], row["followed_up_due"]) for row in protected]
    return envelope(
        "loss_to_follow_up",
        filters,
        results,
        title=f"Loss to follow-up at {filters.timepoint}, by deprivation fifth",
        method=(
            "Episodes that answered the baseline questionnaire and whose follow-up invitation "
            "was due in the period and has closed (or was answered); lost = not answered. "
            "Cancelled invitations (discharge, withdrawal, death, opt-out) are left out. Wilson "
            "95% intervals from the published counts."
        ),
    )


def data_completeness(*, filters: Filters) -> dict[str, Any]:
    """How complete the recorded data are for the condition's episodes referred in the
    period: the fields the figures depend on."""
    where, params = scope(filters, episode="c", patient="c")
    dates, date_params = date_range("c.referred_on", filters)
    # A baseline is due once answered or once the window of a baseline invitation that was
    # not cancelled has closed (the episode row holds the earliest such closing date).
    sql = f"""
        SELECT COUNT(*),
               SUM(CASE WHEN c.imd_quintile IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.practice_id IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.sex IN ('female', 'male', 'other') THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.first_assessment_on IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.baseline_answered_at IS NOT NULL OR c.baseline_closes_on < %s
                        THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.baseline_answered_at IS NOT NULL THEN 1 ELSE 0 END)
        FROM surveys_episodecohort c
        WHERE {" AND ".join(where + dates)}
    """  # noqa: S608
    (total, area, practice, sex, assessed, baseline_due, baseline_done) = fetch(
        sql, [timezone.localdate(), *params, *date_params]
    )[0]
    total = int(total or 0)
    items = [
        ("area", "Patient's area known (for deprivation)", area, total),
        ("practice", "GP practice recorded", practice, total),
        ("sex", "Sex recorded", sex, total),
        ("assessment", "An assessment recorded", assessed, total),
        ("baseline", "Baseline questionnaire answered (of those due)", baseline_done, baseline_due),
    ]
    rows = []
    for code, label, complete, of in items:
        complete, of = int(complete or 0), int(of or 0)
        rows.append(
            {
                "item": code,
                "label": label,
                "total": of,
                "complete": complete,
                "incomplete": of - complete,
            }
        )
    protected = disclosure.protect(
        rows,
        count_keys=["complete", "incomplete"],
        partitions=[lambda row: row["item"]],
        rounded_keys=["total", "complete", "incomplete"],
        keep_keys=["item", "label"],
    )
    results = [row | rate_columns("complete", row["complete"], row["total"]) for row in protected]
    return envelope(
        "data_completeness",
        filters,
        results,
        title="Completeness of the recorded data",
        method=(
            "Episodes referred in the period: the share with each field the figures depend on. "
            "Baseline answered: of the baseline invitations answered or whose window has "
            "closed. Wilson 95% intervals."
        ),
    )
