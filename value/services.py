"""Writes for value: unit-cost files, monthly activity files, budgets and workshop scenarios.

Keyword-only services, each in one transaction with its audit record beside the change
(``outcomes.services.audit_record``). A file is checked whole first and every problem is
reported with its row number; nothing of a bad file is saved.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from outcomes.loading import catalogue
from outcomes.services import audit_record
from surveys.models import Episode, Provider
from value.activity import activity_types
from value.models import (
    ActivityImport,
    ActivityRecord,
    Budget,
    Scenario,
    ScenarioVersion,
    UnitCost,
    UnitCostSchedule,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
UNIT_COST_COLUMNS = ("activity_type", "unit", "cost", "price_year", "source")
ACTIVITY_COLUMNS = ("activity_type", "count")
ACTIVITY_OPTIONAL = ("episode", "condition")
PRICE_YEAR = re.compile(r"^(19|20)\d{2}/\d{2}$")


class ValueInputError(ValueError):
    """Input that cannot be saved; ``errors`` lists every reason, for people to read."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


# --- CSV reading ------------------------------------------------------------------------------


def _rows(data: bytes, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[dict]:
    if len(data) > MAX_FILE_BYTES:
        raise ValueInputError(["The file must be smaller than 2 MB."])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ValueInputError(["The file could not be read: save it as CSV UTF-8."]) from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [re.sub(r"[\s-]+", "_", cell.strip().lower()) for cell in next(reader)]
    except (StopIteration, csv.Error):
        raise ValueInputError(["The file is empty: it needs a header row."]) from None
    missing = [column for column in required if column not in header]
    if missing:
        raise ValueInputError(
            [f"The file has no {', '.join(missing)} column (row 1 must name the columns)."]
        )
    known = set(required) | set(optional)
    unknown = [column for column in header if column and column not in known]
    if unknown:
        raise ValueInputError([f"Unknown column {', '.join(unknown)}."])
    rows = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            rows.append(
                {"_row": number}
                | {
                    name: (cells[i].strip() if i < len(cells) else "")
                    for i, name in enumerate(header)
                }
            )
    except csv.Error as error:
        raise ValueInputError([f"The file is not valid CSV: {error}."]) from None
    if not rows:
        raise ValueInputError(["The file has a header but no rows."])
    if len(rows) > MAX_ROWS:
        raise ValueInputError([f"The file has {len(rows)} rows; at most {MAX_ROWS}."])
    return rows


def _money(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace("£", "").replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        return None
    return value


# --- unit costs ---------------------------------------------------------------------------------


@transaction.atomic
def unit_costs_load(
    *, data: bytes, name: str, file_name: str = "", illustrative: bool = False, by=None
) -> UnitCostSchedule:
    """Load a unit-cost CSV as the next version. Every row needs a source and a price year."""
    rows = _rows(data, UNIT_COST_COLUMNS)
    types = activity_types()
    errors, seen, costs = [], set(), []
    for row in rows:
        where = f"Row {row['_row']}"
        code = row["activity_type"].lower()
        if code not in types:
            errors.append(f"{where}: unknown activity type '{row['activity_type']}'.")
        elif code in seen:
            errors.append(f"{where}: '{code}' appears twice.")
        seen.add(code)
        if not row["unit"]:
            errors.append(f"{where}: say what the cost is for (unit), e.g. per session.")
        cost = _money(row["cost"])
        if cost is None:
            errors.append(f"{where}: the cost must be pounds and pence, 0 or more.")
        if not row["source"]:
            errors.append(f"{where}: every cost needs its source.")
        if not PRICE_YEAR.match(row["price_year"]):
            errors.append(f"{where}: give the price year as a financial year, e.g. 2023/24.")
        costs.append((code, row, cost))
    if errors:
        raise ValueInputError(errors)
    version = (UnitCostSchedule.objects.aggregate(last=Max("version"))["last"] or 0) + 1
    schedule = UnitCostSchedule.objects.create(
        version=version,
        name=name.strip() or f"Unit costs v{version}",
        illustrative=illustrative,
        file_name=file_name[:200],
        checksum=hashlib.sha256(data).hexdigest(),
        loaded_by=by,
    )
    UnitCost.objects.bulk_create(
        UnitCost(
            schedule=schedule,
            activity_type=code,
            unit=row["unit"][:100],
            cost=cost,
            price_year=row["price_year"],
            source=row["source"][:500],
        )
        for code, row, cost in costs
    )
    audit_record(
        actor=by,
        action="value.unit_costs_loaded",
        obj=schedule,
        details={"version": version, "rows": len(costs), "illustrative": illustrative},
    )
    return schedule


def unit_costs_current() -> UnitCostSchedule | None:
    return UnitCostSchedule.objects.order_by("-version").first()


# --- activity ---------------------------------------------------------------------------------


@transaction.atomic
def activity_import(
    *, provider: Provider, month: dt.date, data: bytes, file_name: str = "", by=None
) -> ActivityImport:
    """Load a provider's monthly activity CSV (activity_type, count, optional episode or
    condition). A second file for the same provider and month replaces the first."""
    if month.day != 1:
        raise ValueInputError(["The month is given by its first day."])
    if month > timezone.localdate():
        raise ValueInputError(["Activity cannot be for a month that has not started."])
    rows = _rows(data, ACTIVITY_COLUMNS, ACTIVITY_OPTIONAL)
    types = activity_types()
    conditions = set(catalogue().conditions)
    episode_ids = {row.get("episode", "") for row in rows if row.get("episode")}
    episodes = {
        str(pk): condition
        for pk, condition in Episode.objects.filter(
            provider=provider, pk__in=[e for e in episode_ids if e.isdigit()]
        ).values_list("pk", "pathway__condition__code")
    }
    errors, records = [], []
    for row in rows:
        where = f"Row {row['_row']}"
        code = row["activity_type"].lower()
        if code not in types:
            errors.append(f"{where}: unknown activity type '{row['activity_type']}'.")
        count = row["count"]
        if not count.isdigit() or int(count) == 0:
            errors.append(f"{where}: the count must be a whole number above 0.")
        episode = row.get("episode", "")
        condition = row.get("condition", "").lower()
        if episode:
            if episode not in episodes:
                errors.append(f"{where}: episode {episode} is not one of this provider's.")
            else:
                condition = episodes[episode]
        elif condition not in conditions:
            errors.append(f"{where}: without an episode, give the condition, e.g. back-pain.")
        records.append((code, count, episode, condition))
    if errors:
        raise ValueInputError(errors)
    previous = ActivityImport.objects.filter(provider=provider, month=month, replaced=False)
    replaced = list(previous.values_list("pk", flat=True))
    ActivityRecord.objects.filter(activity_import__in=replaced).delete()
    previous.update(replaced=True)
    batch = ActivityImport.objects.create(
        provider=provider,
        month=month,
        file_name=file_name[:200],
        checksum=hashlib.sha256(data).hexdigest(),
        rows=len(records),
        uploaded_by=by,
    )
    ActivityRecord.objects.bulk_create(
        ActivityRecord(
            activity_import=batch,
            provider=provider,
            month=month,
            activity_type=code,
            count=int(count),
            episode_id=int(episode) if episode else None,
            condition=condition,
        )
        for code, count, episode, condition in records
    )
    audit_record(
        actor=by,
        action="value.activity_imported",
        obj=batch,
        details={
            "provider": provider.pk,
            "month": f"{month:%Y-%m}",
            "rows": len(records),
            "replaced": replaced,
        },
    )
    return batch


# --- budgets ----------------------------------------------------------------------------------


@transaction.atomic
def budget_set(*, year: int, condition: str, service: str, amount: Decimal, by) -> Budget:
    """Enter or change one budget line (audited with the previous amount)."""
    errors = []
    if condition not in catalogue().conditions:
        errors.append("Choose a condition.")
    if not 2000 <= year <= 2100:
        errors.append("Give the financial year it starts in, e.g. 2026.")
    if amount is None or amount < 0:
        errors.append("The amount must be 0 or more.")
    if errors:
        raise ValueInputError(errors)
    service = service.strip()[:200]
    existing = Budget.objects.filter(year=year, condition=condition, service=service).first()
    before = str(existing.amount) if existing else None
    budget, _ = Budget.objects.update_or_create(
        year=year,
        condition=condition,
        service=service,
        defaults={"amount": amount, "entered_by": by},
    )
    audit_record(
        actor=by,
        action="value.budget_set",
        obj=budget,
        details={
            "year": year,
            "condition": condition,
            "service": service,
            "amount": str(amount),
            "previous": before,
        },
    )
    return budget


def budget_for(*, year: int, condition: str) -> Decimal | None:
    """The condition's allocation for the year: its whole-condition line, else the sum of its
    service lines; None when nothing is entered."""
    lines = list(Budget.objects.filter(year=year, condition=condition))
    whole = [b.amount for b in lines if not b.service]
    if whole:
        return whole[0]
    return sum((b.amount for b in lines), Decimal(0)) if lines else None


# --- workshop scenarios -------------------------------------------------------------------------


def scenario_content_clean(content: Mapping[str, Any]) -> dict[str, Any]:
    """Check a scenario's content: a counterfactual and the stakeholders' own options."""
    errors = []
    raw = content.get("counterfactual") or {}
    kind = raw.get("kind", "assumption")
    counterfactual: dict[str, Any] = {"kind": kind}
    if kind not in ("assumption", "zero", "cohort"):
        errors.append("The counterfactual is an assumption, a cohort or zero.")
    if kind == "assumption":
        for key in ("change", "low", "high"):
            value = _number(raw.get(key))
            if value is None or not -1 <= value <= 1:
                errors.append(f"Counterfactual {key}: a utility change between -1 and 1.")
            counterfactual[key] = value
        if not errors and not (
            counterfactual["low"] <= counterfactual["change"] <= counterfactual["high"]
        ):
            errors.append("The counterfactual change must lie within its low-high range.")
    if kind == "cohort":
        if not raw.get("cohort"):
            errors.append("Name the comparison cohort (an option in the data).")
        counterfactual["cohort"] = str(raw.get("cohort", ""))[:200]
    options = []
    labels = set()
    for index, option in enumerate(content.get("options") or [], start=1):
        label = str(option.get("label", "")).strip()[:200]
        where = f"Option {index}"
        if not label:
            errors.append(f"{where}: give it a name.")
        elif label.lower() in labels:
            errors.append(f"{where}: '{label}' is named twice.")
        labels.add(label.lower())
        figures = {}
        for key, low, high in (
            ("patients_per_year", 1, 1_000_000),
            ("cost_per_patient", 0.01, 10_000_000),
            ("benefit_per_patient", -5, 5),
        ):
            value = _number(option.get(key))
            if value is None or not low <= value <= high:
                errors.append(f"{where}: {key.replace('_', ' ')} must be from {low} to {high}.")
            figures[key] = value
        options.append(
            {"label": label, **figures, "basis": str(option.get("basis", "")).strip()[:500]}
        )
    if errors:
        raise ValueInputError(errors)
    return {"counterfactual": counterfactual, "options": options}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@transaction.atomic
def scenario_save(
    *,
    content: Mapping[str, Any],
    by,
    scenario: Scenario | None = None,
    name: str = "",
    condition: str = "",
    note: str = "",
) -> ScenarioVersion:
    """Save a new version of a scenario (creating the scenario first if needed), audited."""
    clean = scenario_content_clean(content)
    if scenario is None:
        errors = []
        if not name.strip():
            errors.append("Give the scenario a name.")
        if condition not in catalogue().conditions:
            errors.append("Choose a condition.")
        if errors:
            raise ValueInputError(errors)
        scenario = Scenario.objects.create(
            name=name.strip()[:200], condition=condition, created_by=by
        )
    else:
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    number = (scenario.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = ScenarioVersion.objects.create(
        scenario=scenario, number=number, content=clean, note=note.strip()[:500], created_by=by
    )
    audit_record(
        actor=by,
        action="value.scenario_saved",
        obj=scenario,
        details={
            "version": number,
            "options": len(clean["options"]),
            "counterfactual": clean["counterfactual"]["kind"],
        },
    )
    return version
