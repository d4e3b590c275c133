"""Which figures each page shows, in order: read by the pages (views.py) and the board pack
(reports/figures.py), so the pack carries the charts of the pages it summarises."""

from __future__ import annotations

from dataclasses import dataclass

OVERVIEW = ("condition_activity", "equity_gap", "outcome_spc")


@dataclass(frozen=True)
class ValueArea:
    """One of the programme's five value areas: its own tab (``?area=<slug>``) of a
    condition's page, and its part of the board pack."""

    slug: str
    title: str
    figures: tuple[str, ...]
    intro: str


# The condition page: the programme's five value areas, each with its figures and question.
VALUE_AREAS = (
    ValueArea(
        "earlier",
        "Earlier effective services",
        ("baseline_by_deprivation", "referral_to_assessment"),
        "People from deprived areas reach hospital about 20 years earlier: are they referred "
        "younger and worse, and how long do they wait to be assessed?",
    ),
    ValueArea(
        "procedures",
        "Optimising key procedures",
        ("procedure_rates", "gain_by_procedure"),
        "How often each practice's and area's patients have a procedure, and what people gain "
        "with and without one.",
    ),
    ValueArea(
        "general-practice",
        "Optimising general practice MSK care",
        ("practice_deciles",),
        "Each practice measure over time against the spread of all practices.",
    ),
    ValueArea(
        "self-care",
        "Maximising self-care",
        ("outcome_spc",),
        "The outcomes 'understand my condition' and 'support to manage my condition'.",
    ),
    ValueArea(
        "equity",
        "Increasing equity",
        ("equity",),
        "Gain and access by deprivation, age and sex, with response rates beside them.",
    ),
)
AREAS = {area.slug: area for area in VALUE_AREAS}
# Parts of a figure a page shows when it shows only some (figure -> part keys).
SELF_CARE = {"outcome_spc": {"understanding", "self-management"}}
