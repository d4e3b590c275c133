"""Reference lookups: LSOAs with deprivation, postcode to LSOA, GP practices and their
registered populations by age and sex.

The management commands ``load_areas``, ``load_postcode_areas``, ``load_practices`` and
``load_practice_populations`` call these
loaders. Each reads a CSV, checks its columns first (a missing column is a polite
:class:`ReferenceDataError`, nothing is written), then upserts in batches, so running a loader
twice changes nothing the second time. Sources and licences: ``surveys/data/PROVENANCE.md``.

No real postcode to LSOA lookup for Nottinghamshire is available to this project, so
:func:`synthetic_postcode_areas` makes a clearly synthetic one for the demo: every inward code
uses only the letters C, I, K, M, O and V, which Royal Mail never uses in an inward code, so no
synthetic postcode can be mistaken for a real address. A deployment loads the ONS National
Statistics Postcode Lookup (NSPL) with ``load_postcode_areas`` instead.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from surveys.models import Area, PostcodeArea, Practice, PracticePopulation
from surveys.validators import postcode_normalise

DATA_DIR = Path(__file__).resolve().parent / "data"
IMD_FILE = DATA_DIR / "imd2025_lsoa21_nottinghamshire.csv"
PRACTICES_FILE = DATA_DIR / "gp_practices_nottinghamshire_feb2026.csv"
MSK_PROVIDERS_FILE = DATA_DIR / "msk_providers_nottinghamshire.csv"

BATCH_SIZE = 5000

# The Mid-Nottinghamshire districts (LAD 2024 names as they start LSOA 2021 names).
MID_NOTTS_DISTRICTS = ("Ashfield", "Mansfield", "Newark and Sherwood")

# Royal Mail never uses these letters in the inward code of a postcode, so a postcode whose
# inward letters come only from them cannot be a real one (see the module docstring).
SYNTHETIC_INWARD_LETTERS = "CIKMOV"

# Outcodes that lie mostly in each Mid-Notts district; only the outward half of a synthetic
# postcode is real, and it says roughly where a synthetic patient lives.
SYNTHETIC_OUTCODES = {
    "Ashfield": ("NG17",),
    "Mansfield": ("NG18", "NG19"),
    "Newark and Sherwood": ("NG22", "NG24"),
}
SYNTHETIC_POSTCODES_PER_AREA = 3


class ReferenceDataError(ValueError):
    """A reference file that cannot be loaded; the message says what to fix."""


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)  # a few skipped lines, for the person

    def skip(self, reason: str, line: int, *, example: bool = True) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if example and len(self.examples) < 5:
            self.examples.append(f"line {line}: {reason}")

    def summary(self) -> str:
        parts = [f"{self.created} created", f"{self.updated} updated"]
        parts.append(f"{self.unchanged} unchanged")
        parts += [f"{count} skipped ({reason})" for reason, count in sorted(self.skipped.items())]
        return ", ".join(parts)


def _rows(path: Path | str, columns: dict[str, Sequence[str]]) -> Iterator[tuple[int, dict]]:
    """Yield ``(line number, {column: value})`` with each wanted column found under any alias.

    ``columns`` maps our name to the header names accepted for it; names ending in ``?`` are
    optional. Header matching ignores case and surrounding spaces.
    """
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise ReferenceDataError(f"{path}: cannot be read ({error.strerror}).") from error
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ReferenceDataError(f"{path}: the file is empty.") from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise ReferenceDataError(f"{path}: not a readable CSV file ({error}).") from None
        positions = {name.strip().lower(): i for i, name in enumerate(header)}
        wanted: dict[str, int] = {}
        missing = []
        for name, aliases in columns.items():
            optional = name.endswith("?")
            key = name.rstrip("?")
            found = next((positions[a] for a in aliases if a in positions), None)
            if found is not None:
                wanted[key] = found
            elif not optional:
                missing.append(" or ".join(aliases))
        if missing:
            raise ReferenceDataError(
                f"{path}: the file has no column {'; no column '.join(missing)}. "
                f"Its columns are: {', '.join(header) or '(none)'}. Nothing was loaded."
            )
        try:
            for number, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                yield (
                    number,
                    {key: (row[i].strip() if i < len(row) else "") for key, i in wanted.items()},
                )
        except (csv.Error, UnicodeDecodeError) as error:
            raise ReferenceDataError(f"{path}: not a readable CSV file ({error}).") from None


def _batches(items: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@transaction.atomic
def areas_load(path: Path | str = IMD_FILE) -> LoadReport:
    """Load 2021 LSOAs with their IMD 2025 decile (1 = most deprived 10%)."""
    report = LoadReport()
    wanted: dict[str, tuple[str, int]] = {}
    columns = {
        "code": ("lsoa21_code", "lsoa21cd", "lsoa_code"),
        "name?": ("lsoa21_name", "lsoa21nm", "lsoa_name"),
        "decile": ("imd_decile", "imd25_decile", "imd_decile_2025"),
    }
    for line, row in _rows(path, columns):
        code = row["code"].upper()
        if len(code) != 9 or not code.startswith(("E01", "W01")):
            report.skip("not a 2021 LSOA code", line)
            continue
        try:
            decile = int(row["decile"])
        except ValueError:
            decile = 0
        if not 1 <= decile <= 10:
            report.skip("IMD decile not 1-10", line)
            continue
        wanted[code] = (row.get("name", "")[:100], decile)
    for batch in _batches(list(wanted.items())):
        codes = [code for code, _ in batch]
        existing = {a.lsoa_code: a for a in Area.objects.filter(lsoa_code__in=codes)}
        new, changed = [], []
        for code, (name, decile) in batch:
            area = existing.get(code)
            if area is None:
                new.append(Area(lsoa_code=code, name=name, imd_decile=decile))
            elif (area.name, area.imd_decile) != (name, decile):
                area.name, area.imd_decile = name, decile
                changed.append(area)
            else:
                report.unchanged += 1
        Area.objects.bulk_create(new)
        Area.objects.bulk_update(changed, ["name", "imd_decile"])
        report.created += len(new)
        report.updated += len(changed)
    return report


def postcode_areas_load(path: Path | str) -> LoadReport:
    """Load a postcode to LSOA 2021 lookup (ours, or ONS NSPL with its own column names).

    Postcodes are normalised (``ng181aa`` -> ``NG18 1AA``); a row whose LSOA is not loaded (run
    ``load_areas`` first) or whose postcode is not valid is skipped and counted. The full NSPL
    has about 2.7 million rows, so rows are streamed and written in batches, one transaction
    per batch.
    """
    report = LoadReport()
    areas = dict(Area.objects.values_list("lsoa_code", "pk"))
    columns = {
        "postcode": ("postcode", "pcds", "pcd", "pcd2"),
        "lsoa": ("lsoa21_code", "lsoa21cd", "lsoa21"),
    }
    pending: dict[str, int] = {}
    for line, row in _rows(path, columns):
        try:
            postcode = postcode_normalise(row["postcode"])
        except ValidationError:
            report.skip("not a valid postcode", line)
            continue
        area_id = areas.get(row["lsoa"].upper())
        if area_id is None:
            report.skip("LSOA not loaded", line)
            continue
        pending[postcode] = area_id
        if len(pending) >= BATCH_SIZE:
            _postcode_batch_write(pending, report)
            pending = {}
    if pending:
        _postcode_batch_write(pending, report)
    return report


@transaction.atomic
def _postcode_batch_write(pending: dict[str, int], report: LoadReport) -> None:
    existing = dict(
        PostcodeArea.objects.filter(postcode__in=list(pending)).values_list("postcode", "area")
    )
    new = [PostcodeArea(postcode=p, area_id=a) for p, a in pending.items() if p not in existing]
    changed = [
        PostcodeArea(postcode=p, area_id=a)
        for p, a in pending.items()
        if p in existing and existing[p] != a
    ]
    PostcodeArea.objects.bulk_create(new)
    PostcodeArea.objects.bulk_update(changed, ["area"])
    report.created += len(new)
    report.updated += len(changed)
    report.unchanged += len(pending) - len(new) - len(changed)


def synthetic_postcode_areas(areas: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """SYNTHETIC postcodes for Mid-Notts LSOAs: ``[(postcode, lsoa code)]``, the same every time.

    ``areas`` are ``(lsoa code, lsoa name)``; only Mid-Notts LSOAs (by the district that starts
    the name) get postcodes. The outward code is a real outcode of the district; the inward code
    uses only letters Royal Mail never uses there, so these postcodes do not exist.
    """
    letters = SYNTHETIC_INWARD_LETTERS
    counters: dict[str, int] = {}
    result = []
    for code, name in sorted(areas):
        district = area_district(name)
        if district is None:
            continue
        outcodes = SYNTHETIC_OUTCODES[district]
        for n in range(SYNTHETIC_POSTCODES_PER_AREA):
            outcode = outcodes[(sum(map(ord, code)) + n) % len(outcodes)]
            k = counters.get(outcode, 0)
            counters[outcode] = k + 1
            if k >= 10 * len(letters) ** 2:
                raise ReferenceDataError(f"Too many synthetic postcodes for {outcode}.")
            inward = f"{k // 36 % 10}{letters[k // 6 % 6]}{letters[k % 6]}"
            result.append((f"{outcode} {inward}", code))
    return result


def area_district(lsoa_name: str) -> str | None:
    """The Mid-Notts district an LSOA lies in, from its name (``Mansfield 012C``), else None."""
    for district in MID_NOTTS_DISTRICTS:
        if lsoa_name.startswith(district + " "):
            return district
    return None


def postcode_areas_load_synthetic() -> LoadReport:
    """Load the SYNTHETIC demo postcodes (see :func:`synthetic_postcode_areas`)."""
    rows = synthetic_postcode_areas(Area.objects.values_list("lsoa_code", "name"))
    report = LoadReport()
    areas = dict(Area.objects.values_list("lsoa_code", "pk"))
    for batch in _batches(rows):
        _postcode_batch_write({p: areas[c] for p, c in batch}, report)
    return report


@transaction.atomic
def practices_load(
    path: Path | str = PRACTICES_FILE,
    *,
    list_sizes: Path | str | None = None,
    mid_notts_only: bool = False,
    active_only: bool = False,
) -> LoadReport:
    """Load GP practices (ODS code, name, postcode, list size).

    Accepts the shared epraccur-derived files: ``gp_practices_nottinghamshire_feb2026.csv`` has
    a ``list_size`` column; ``gp_practices_mid_nottinghamshire.csv`` has none, so its list sizes
    can come from ``list_sizes`` (NHS Digital "Patients Registered at a GP Practice": columns
    practice_code, number_of_patients). A size in ``list_sizes`` wins over one in the file.
    """
    report = LoadReport()
    sizes: dict[str, int] = {}
    if list_sizes is not None:
        size_columns = {
            "code": ("practice_code", "code"),
            "size": ("number_of_patients", "list_size"),
        }
        for line, row in _rows(list_sizes, size_columns):
            try:
                sizes[row["code"].upper()] = int(row["size"])
            except ValueError:
                report.skip("list size not a whole number", line)
    columns = {
        "code": ("practice_code", "ods_code", "code"),
        "name": ("practice_name", "name"),
        "postcode": ("postcode",),
        "size?": ("list_size", "number_of_patients"),
        "status?": ("ods_status", "status_code", "status"),
        "mid_notts?": ("mid_notts",),
    }
    wanted: dict[str, tuple[str, str, int | None]] = {}
    for line, row in _rows(path, columns):
        code = row["code"].upper()
        if not code or len(code) > 10:
            report.skip("no ODS code", line)
            continue
        if active_only and row.get("status", "A").upper() not in ("A", "ACTIVE", ""):
            report.skip("practice not active", line, example=False)
            continue
        if mid_notts_only and row.get("mid_notts", "True").lower() not in ("true", "y", "yes"):
            report.skip("not a Mid-Notts practice", line, example=False)
            continue
        try:
            postcode = postcode_normalise(row["postcode"])
        except ValidationError:
            postcode = ""
        size = sizes.get(code)
        if size is None and row.get("size"):
            try:
                size = int(float(row["size"]))
            except ValueError:
                report.skip("list size not a whole number", line)
                continue
        wanted[code] = (_title(row["name"])[:200], postcode, size)
    existing = {p.ods_code: p for p in Practice.objects.filter(ods_code__in=list(wanted))}
    new, changed = [], []
    for code, (name, postcode, size) in wanted.items():
        practice = existing.get(code)
        if practice is None:
            new.append(Practice(ods_code=code, name=name, postcode=postcode, list_size=size))
        elif (practice.name, practice.postcode, practice.list_size) != (name, postcode, size):
            practice.name, practice.postcode, practice.list_size = name, postcode, size
            changed.append(practice)
        else:
            report.unchanged += 1
    Practice.objects.bulk_create(new, batch_size=BATCH_SIZE)
    Practice.objects.bulk_update(changed, ["name", "postcode", "list_size"], batch_size=BATCH_SIZE)
    report.created, report.updated = len(new), len(changed)
    return report


def _title(name: str) -> str:
    """ODS names are upper case; people read ``Barnby Gate Surgery`` more easily."""
    if not name.isupper():
        return name
    small = {"and", "of", "the", "at", "in", "on"}
    words = []
    for i, word in enumerate(name.lower().split()):
        words.append(word if i and word in small else word[:1].upper() + word[1:])
    return " ".join(words).replace("Nhs", "NHS").replace("Pcn", "PCN")


@cache  # a file repeats a few dozen values over hundreds of thousands of rows
def _population_band(age_group: str) -> str | None:
    """The comparison age band of a quinary group (``0_4`` … ``95+``); None if unreadable."""
    digits = ""
    for char in age_group:
        if not char.isdigit():
            break
        digits += char
    if not digits:
        return None
    lower = int(digits)
    for band in PracticePopulation.AGE_BANDS:
        low = int(band.split("-")[0].rstrip("+"))
        high = int(band.split("-")[1]) if "-" in band else None
        if lower >= low and (high is None or lower <= high):
            return band
    return None


@transaction.atomic
def practice_populations_load(path: Path | str) -> LoadReport:
    """Load registered patients by sex and age band for the practices already loaded.

    Reads NHS Digital's "Patients Registered at a GP Practice" quinary-age file
    (``gp-reg-pat-prac-quin-age.csv``: ORG_TYPE or TYPE, ORG_CODE, SEX MALE/FEMALE/ALL,
    AGE_GROUP_5 0_4 … 95+/ALL, NUMBER_OF_PATIENTS, EXTRACT_DATE). Only GP rows by one sex and
    one age group are used (the ALL rows are totals); the quinary groups are summed into the
    comparison bands 0-49, 50-59, 60-69, 70-79 and 80+. A practice that is not loaded is
    skipped and counted. The whole file is one transaction: a bad count anywhere loads nothing.
    Running it twice changes nothing the second time; a practice's rows are replaced by the
    file's.
    """
    report = LoadReport()
    practices = dict(Practice.objects.values_list("ods_code", "pk"))
    columns = {
        "type?": ("org_type", "type"),
        "code": ("org_code", "code", "practice_code"),
        "sex": ("sex",),
        "age": ("age_group_5", "age"),
        "count": ("number_of_patients",),
        "extract?": ("extract_date",),
    }
    sexes = {"MALE": PracticePopulation.Sex.MALE, "FEMALE": PracticePopulation.Sex.FEMALE}
    wanted: dict[tuple[int, str, str], int] = {}
    extracts: dict[int, dt.date | None] = {}
    bad: list[str] = []
    seen: set[tuple[int, str, str]] = set()
    for line, row in _rows(path, columns):
        if row.get("type", "GP").upper() not in ("GP", ""):
            report.skip("not a GP practice row", line, example=False)
            continue
        sex, age = row["sex"].upper(), row["age"].upper()
        if sex == "ALL" or age == "ALL":
            report.skip("a total (ALL) row", line, example=False)
            continue
        practice_id = practices.get(row["code"].upper())
        if practice_id is None:
            report.skip("practice not loaded", line, example=False)
            continue
        band = _population_band(age)
        if sex not in sexes or band is None:
            bad.append(f"line {line}: SEX '{row['sex']}' / AGE_GROUP_5 '{row['age']}'")
            continue
        try:
            count = int(row["count"])
        except ValueError:
            count = -1
        if count < 0:
            bad.append(f"line {line}: NUMBER_OF_PATIENTS '{row['count']}' is not a count")
            continue
        if (practice_id, sex, age) in seen:
            bad.append(f"line {line}: a second row for {row['code']} {sex} {age}")
            continue
        seen.add((practice_id, sex, age))
        key = (practice_id, sexes[sex], band)
        wanted[key] = wanted.get(key, 0) + count
        extracts[practice_id] = _extract_date(row.get("extract", ""))
    if bad:
        raise ReferenceDataError(
            f"{path}: {len(bad)} rows cannot be read ({'; '.join(bad[:5])}). Nothing was loaded."
        )
    existing = {
        (p.practice_id, p.sex, p.age_band): p
        for p in PracticePopulation.objects.filter(practice_id__in={k[0] for k in wanted})
    }
    new, changed = [], []
    for (practice_id, sex, band), count in wanted.items():
        extract = extracts[practice_id]
        current = existing.pop((practice_id, sex, band), None)
        if current is None:
            new.append(
                PracticePopulation(
                    practice_id=practice_id,
                    sex=sex,
                    age_band=band,
                    registered=count,
                    extract_date=extract,
                )
            )
        elif (current.registered, current.extract_date) != (count, extract):
            current.registered, current.extract_date = count, extract
            changed.append(current)
        else:
            report.unchanged += 1
    # Strata of a loaded practice that the new file no longer has are stale: remove them.
    PracticePopulation.objects.filter(pk__in=[p.pk for p in existing.values()]).delete()
    PracticePopulation.objects.bulk_create(new, batch_size=BATCH_SIZE)
    PracticePopulation.objects.bulk_update(
        changed, ["registered", "extract_date"], batch_size=BATCH_SIZE
    )
    report.created, report.updated = len(new), len(changed)
    return report


@cache
def _extract_date(value: str) -> dt.date | None:
    """EXTRACT_DATE as NHS Digital writes it (``01FEB2026`` or ``2026-02-01``), else None."""
    for pattern in ("%d%b%Y", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    return None
