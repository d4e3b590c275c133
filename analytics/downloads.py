"""CSV downloads of the aggregate endpoints: a file name that says what the file holds, and
the description (measure, period, method, disclosure rule) inside it (docs/methods.md §9)."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone


def csv_filename(endpoint: str, data: dict[str, Any]) -> str:
    """proms-<endpoint>_<condition>_<measure>_<timepoint>[_<period>]_<today>: a download says
    what it holds and when it was made (only codes and dates: safe in a file name)."""
    measure = data.get("outcome") or data.get("score") or "quality-of-life"
    instrument = data.get("instrument") or "mskt-core"
    period = data.get("period") or "-".join(
        str(data[key]) for key in ("from", "to") if data.get(key)
    )
    parts = [
        f"proms-{endpoint}",
        data.get("condition", ""),
        f"{instrument}-{measure}",
        data.get("timepoint", ""),
        period,
        timezone.localdate().isoformat(),
    ]
    return "_".join(re.sub(r"[^A-Za-z0-9.-]", "", str(part)) for part in parts if part)


def _mic_label(measure: dict[str, Any]) -> str:
    status = "provisional, our own value" if measure.get("mic_provisional") else "published"
    return f"{measure['mic']} ({status})"


def csv_description(meta: dict[str, Any]) -> dict[str, Any]:
    """Columns describing a CSV download (measure, period, method, disclosure rule)."""
    filters = meta.get("filters", {})
    measure = meta.get("measure", {})
    method = meta.get("method", {})
    return {
        "about_measure": measure.get("label"),
        "about_mic": None if measure.get("mic") is None else _mic_label(measure),
        "about_condition": filters.get("condition"),
        "about_timepoints": f"{filters.get('baseline_timepoint')} to {filters.get('timepoint')}",
        "about_period": filters.get("period") or "all dates",
        "about_period_applies_to": filters.get("period_applies_to"),
        "about_method": " ".join(
            str(method[key]) for key in ("summary", "case_mix") if method.get(key)
        ),
        "about_disclosure": meta.get("disclosure", {}).get("rule"),
        "about_disclosure_source": meta.get("disclosure", {}).get("source"),
        "about_reference": "docs/methods.md",
        "about_generated_on": timezone.localdate().isoformat(),
    }
