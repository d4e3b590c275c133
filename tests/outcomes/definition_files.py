"""Build small, valid definition trees in a temporary folder, for tests that break one thing."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from outcomes.loading import DEFINITIONS_DIR

GOVERNANCE = {
    "source": "Test source",
    "authored_by": "tests",
    "checked_by": "tests",
    "published_on": "2026-11-22",
    "review_by": "2027-11-22",
}

INSTRUMENT = {
    "code": "mskt-core",
    "version": "1.0.0",
    "status": "published",
    "title": "Test common questionnaire",
    "short_title": "Test",
    "description": "Two items about pain.",
    "licence": {"holder": "Test", "notice": "Test notice", "wording_licensed": False},
    "governance": GOVERNANCE,
    "items": [
        {
            "id": f"pain{n}",
            "label": f"Pain {n}",
            "kind": "choice",
            "text": {"en": f"How is your pain ({n})?"},
            "options": [{"code": code, "label": str(code)} for code in range(5)],
            "outcome": "pain",
        }
        for n in (1, 2)
    ],
    "scoring": {"method": "summed", "params": {"score": "total"}},
    "scores": [
        {
            "name": "total",
            "label": "Total",
            "minimum": 0,
            "maximum": 8,
            "higher_is_better": True,
            "mic": 2,
            "mic_source": "Test",
            "outcome": "pain",
        }
    ],
    "harmonisation": [{"outcome": "pain", "score": "total"}],
}

PATHWAY = {
    "code": "back-pain",
    "version": "1.0.0",
    "status": "published",
    "condition": "back-pain",
    "title": "Back pain",
    "description": "Test pathway",
    "governance": GOVERNANCE,
    "timepoints": [
        {
            "code": "baseline",
            "label": "Baseline",
            "anchor": "referral",
            "offset_days": 0,
            "opens_before_days": 0,
            "closes_after_days": 28,
            "instruments": ["mskt-core"],
            "follow_up": False,
        }
    ],
}


def write_tree(root: Path, *, instrument: dict | None = None, pathway: dict | None = None) -> Path:
    """A definitions folder with the real outcomes, one condition, one instrument, one pathway."""
    instrument = copy.deepcopy(instrument or INSTRUMENT)
    pathway = copy.deepcopy(pathway or PATHWAY)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEFINITIONS_DIR / "outcomes.json", root / "outcomes.json")
    conditions = {"conditions": [{"code": "back-pain", "title": "Back pain", "description": ""}]}
    (root / "conditions.json").write_text(json.dumps(conditions))
    folder = root / "instruments" / instrument["code"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{instrument['version']}.json").write_text(json.dumps(instrument))
    folder = root / "pathways" / pathway["code"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{pathway['version']}.json").write_text(json.dumps(pathway))
    return root


def changed(document: dict, path: str, value) -> dict:
    """A deep copy of ``document`` with the value at a dotted path (list indexes allowed) set."""
    document = copy.deepcopy(document)
    *parents, last = path.split(".")
    target = document
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is _DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return document


_DELETE = object()
DELETE = _DELETE
