"""The dashboard's figures: one function per chart/table, one code path for every output.

Public interface (for the pages, the CSV and JSON downloads, the API and the board pack):

    from dashboard.figures import FIGURES, figure_compute
    from dashboard.filters import Filters

    answer = figure_compute("outcome_spc", filters=Filters(condition="knee-pain"))
    # -> {"meta": {...}, "results": [flat rows]}

Every figure function is ``name(*, filters: Filters) -> {"meta": ..., "results": [...]}``;
``results`` are flat dicts (one CSV line each) that have been through disclosure control
(dashboard/disclosure.py for counts computed here; analytics.summaries for the outcome
figures it publishes). ``meta`` always has ``figure``, ``title``, ``filters``, ``method``,
``disclosure`` and ``as_of`` (``computed_at``, ``latest_response_at``).

``figure_compute`` adds a short-lived cache keyed by the filters and the data version, so a
page, its chart images and its CSV compute a figure once and a new response shows at once.

Figures (name: what it is; the page it belongs to):

- ``condition_activity``: enrolled, answered, response rate per condition (overview)
- ``outcome_spc``: each agreed outcome's mean change by month, with XmR columns (overview,
  self-care); ``meta["charts"][outcome]`` has the variation and assurance icons
- ``equity_gap``: gain in IMD quintile 1 vs 5 per condition (overview)
- ``baseline_by_deprivation``: age and baseline score at referral by IMD quintile (condition)
- ``referral_to_assessment``: days from referral to first assessment by quarter and quintile
- ``procedure_rates``: procedures per 1,000 referred, standardised, by practice and quintile
- ``gain_by_procedure``: mean change with and without a procedure
- ``equity``: analytics.summaries.outcome_equity as is (condition)
- ``provider_funnel``: analytics.summaries.outcome_summary by provider (providers)
- ``practice_deciles``: deciles of practice measures per quarter, a practice's own value
- ``practice_flags``: latest decile, persistent worst decile, CUSUM change, opportunity
- ``event_intervals``: days between referral, assessment, procedure and discharge
- ``no_contact``: open episodes without contact for N weeks, by provider and quintile
- ``loss_to_follow_up``: not answering the follow-up, by IMD quintile
- ``data_completeness``: completeness of the fields the figures depend on (methods)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

from proms.side_by_side import figure_threads, sharing_possible, side_by_side

from ..cache import cached, computing_once
from ..filters import Filters
from . import comparison, condition, overview, services


@dataclass(frozen=True)
class FigureSpec:
    name: str
    function: Callable[..., dict[str, Any]]
    # GET filters that change this figure (the page's form shows these)
    filters: tuple[str, ...]


_F = ("condition", "provider", "practice", "period")
_T = (*_F, "timepoint")
_M = (*_T, "outcome", "instrument")
_SPECS = (
    ("condition_activity", overview.condition_activity, ("provider", "practice", "period")),
    ("outcome_spc", overview.outcome_spc, _T),
    ("equity_gap", overview.equity_gap, tuple(f for f in _M if f != "condition")),
    ("baseline_by_deprivation", condition.baseline_by_deprivation, (*_F, "outcome")),
    ("referral_to_assessment", condition.referral_to_assessment, _F),
    ("procedure_rates", condition.procedure_rates, _F),
    ("gain_by_procedure", condition.gain_by_procedure, _M),
    ("equity", condition.equity, _M),
    ("provider_funnel", comparison.provider_funnel, _M),
    ("practice_deciles", comparison.practice_deciles, _M),
    ("practice_flags", comparison.practice_flags, _M),
    ("event_intervals", services.event_intervals, _F),
    ("no_contact", services.no_contact, (*_F, "weeks")),
    ("loss_to_follow_up", services.loss_to_follow_up, _T),
    ("data_completeness", services.data_completeness, _F),
)
FIGURES: dict[str, FigureSpec] = {name: FigureSpec(name, fn, names) for name, fn, names in _SPECS}


def figure_compute(name: str, *, filters: Filters) -> dict[str, Any]:
    """The figure ``name`` for ``filters`` (KeyError for an unknown name; QueryError from
    analytics.summaries for a request it cannot answer)."""
    spec = FIGURES[name]
    relevant = {k: v for k, v in filters.describe().items() if k in spec.filters}
    return cached(f"figure:{name}", relevant, lambda: spec.function(filters=Filters(**relevant)))


def figures_side_by_side(names: Sequence[str], *, filters: Filters) -> int:
    """Compute a page's figures at the same time into the request's ``computed_once`` scope,
    where the page then reads them in its own order (proms/side_by_side.py, docs/adr/0012);
    returns the other threads that helped (0: the page computes them itself, one by one). A
    figure that fails here fails again, with its message, where the page asks for it."""
    unique = list(dict.fromkeys(names))
    if len(unique) < 2 or not sharing_possible() or not computing_once():
        return 0
    side_by_side([partial(_figure_quietly, name, filters) for name in unique])
    return min(figure_threads() - 1, len(unique) - 1)


def _figure_quietly(name: str, filters: Filters) -> None:
    with suppress(Exception):  # the page asks again and shows the error
        figure_compute(name, filters=filters)
