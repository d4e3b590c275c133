"""Outcome analytics: the questions an analyst asks of the paired results.

- ``comparison``: how do providers, practices or groups compare (``outcome_summary``)?
- ``equity``: are outcomes and response fair across deprivation, age and sex (``outcome_equity``)?
- ``practices``: how do GP practices vary (``practice_variation``)?
- ``query``: what a request asks for (``OutcomeQuery``, ``Measure``, ``Period``);
- ``cells``: the per-cell sums every figure is computed from, and the case-mix model;
- ``sql``: all the SQL.

Disclosure control is ``analytics.disclosure`` (one rule for every published count); funnel
limits widened for over-dispersion are ``analytics.funnels``; the response model behind the
weighted equity estimate is ``analytics.weighting`` (both pure).

Each entry point returns ``{"meta": {...}, "results": [flat rows]}``. One query per figure set:
the database returns per-cell counts and sums, never patient-level rows or identifiers, and
every figure is an exact function of those sums (``outcomes/statistics.py``).
"""

from analytics.summaries.comparison import outcome_summary
from analytics.summaries.equity import outcome_equity
from analytics.summaries.practices import practice_variation
from analytics.summaries.query import (
    DEFAULT_INSTRUMENT,
    DEFAULT_OUTCOME,
    GROUPINGS,
    Measure,
    OutcomeQuery,
    Period,
    QueryError,
    measure_resolve,
    period_parse,
)

__all__ = [
    "DEFAULT_INSTRUMENT",
    "DEFAULT_OUTCOME",
    "GROUPINGS",
    "Measure",
    "OutcomeQuery",
    "Period",
    "QueryError",
    "measure_resolve",
    "outcome_equity",
    "outcome_summary",
    "period_parse",
    "practice_variation",
]
