"""Revised Fibromyalgia Impact Questionnaire (FIQR): function, overall, symptoms and total.

Source: fiqr.info "Scoring the FIQR and SIQR" and Bennett RM et al. Arthritis Res Ther
2009;11:R120 (doi:10.1186/ar2783). Items are 0-10. function = sum(items 1-9) / 3 (0-30);
overall = sum(items 10-11) (0-20); symptoms = sum(items 12-21) / 2 (0-50); total = the three
added (0-100), higher is worse.

Missing items: a domain sum is weighted by (items in the domain) / (items answered), but the
questionnaire is invalid with two or more function items missing or any overall or symptom item
missing. Net effect, encoded as each domain's ``max_missing``: one missing function item is
prorated (× 9/8); otherwise a domain with missing items has no score, and the total needs all
three domains. (The page's other invalidity rule, multiple answers to three or more items, cannot
arise in an electronic form that takes one value per item.)

Precision: project choice of one decimal place for every score, rounded half up by the registry.
Domains are kept exact (fractions) and the total is their exact sum, rounded once. Function is a
multiple of 1/3 (or 1/8 when prorated), overall a whole number and symptoms a multiple of 0.5, so
the rounded total always equals the sum of the rounded domains as a hand scorer would add them.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from outcomes.specs import InstrumentSpec


def score(
    spec: InstrumentSpec, values: Mapping[str, int | None], params: Mapping, options: Mapping
) -> dict[str, Any]:
    domains: dict[str, Fraction | None] = {}
    for name, domain in params["domains"].items():
        answers = [values[item_id] for item_id in domain["items"]]
        answered = [answer for answer in answers if answer is not None]
        missing = len(answers) - len(answered)
        if not answered or missing > domain["max_missing"]:
            domains[name] = None
            continue
        prorated = Fraction(sum(answered) * len(answers), len(answered))
        domains[name] = prorated / domain["divisor"]
    total = None if None in domains.values() else sum(domains.values())
    scores: dict[str, Any] = {
        name: None if value is None else float(value) for name, value in domains.items()
    }
    scores["total"] = None if total is None else float(total)
    return scores
