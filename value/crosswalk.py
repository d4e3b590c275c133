"""EQ-5D-5L answers valued on the UK EQ-5D-3L value set (Dolan 1997), which NICE's reference
case still asks for, by two published mappings:

- the van Hout 2012 crosswalk (van Hout B et al. Value Health 2012;15:708-15,
  doi:10.1016/j.jval.2012.02.008): one 3L-based UK value per 5L state;
- the NICE Decision Support Unit mapping (Hernández Alava M, Pudney S, Wailoo A.
  PharmacoEconomics 2023;41:199-207, doi:10.1007/s40273-022-01218-7), which NICE's 2022 manual
  (PMG36 §4.3.2) prefers: the expected UK 3L value of a 5L state given the person's age band
  and sex, from the DSU's copula model of the two instruments answered together.

Both tables are data (``value/data/``, provenance beside them), looked up, never computed.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import cache
from pathlib import Path

CODE = "crosswalk-3l-uk"
TITLE = "EQ-5D-3L UK (Dolan 1997) via the van Hout 2012 crosswalk"
SOURCE = "van Hout B et al. Value Health 2012;15:708-15, doi:10.1016/j.jval.2012.02.008"
TABLE = Path(__file__).resolve().parent / "data" / "eq5d5l_crosswalk_uk_van_hout_2012.csv"
DIMENSIONS = ("mo", "sc", "ua", "pd", "ad")

DSU_CODE = "dsu-3l-uk"
DSU_TITLE = "EQ-5D-3L UK (Dolan 1997) via the NICE DSU mapping (Hernández Alava et al. 2023)"
DSU_SOURCE = (
    "Hernández Alava M, Pudney S, Wailoo A. PharmacoEconomics 2023;41:199-207, "
    "doi:10.1007/s40273-022-01218-7"
)
DSU_TABLE = Path(__file__).resolve().parent / "data" / "eq5d5l_to_3l_uk_dsu_2023.csv"
# What a reader of a figure needs to know about each mapping, stated beside the figure.
NOTES = {
    CODE: (
        "EQ-5D-5L answers valued on the UK EQ-5D-3L set by the van Hout 2012 crosswalk; NICE's "
        "2022 manual prefers the DSU mapping (value set dsu-3l-uk)."
    ),
    DSU_CODE: (
        "EQ-5D-5L answers valued on the UK EQ-5D-3L set by the NICE DSU mapping (Hernández "
        "Alava et al. 2023), by age band and sex when answered; answers from people under 18 or "
        "recorded as neither female nor male have no value on this set."
    ),
}
# The DSU's age bands (lower bounds, years); 65+ is open-ended. The model covers adults only.
DSU_AGE_BANDS = ((65, "65+"), (55, "55-64"), (45, "45-54"), (35, "35-44"), (18, "18-34"))
DSU_SEXES = ("female", "male")


@cache
def _table() -> dict[str, float]:
    with TABLE.open(newline="") as handle:
        table = {row["state"]: float(row["index"]) for row in csv.DictReader(handle)}
    if len(table) != 5**5:
        raise ValueError(f"{TABLE.name} must hold all 3,125 EQ-5D-5L states.")
    return table


def crosswalk_index(levels: Mapping[str, int | None]) -> float | None:
    """The crosswalk value of a 5L state (levels 1-5 by dimension); None if any is missing."""
    values = [levels.get(dimension) for dimension in DIMENSIONS]
    if any(value not in (1, 2, 3, 4, 5) for value in values):
        return None
    return _table()["".join(str(value) for value in values)]


@cache
def _dsu_table() -> dict[str, dict[str, float]]:
    with DSU_TABLE.open(newline="") as handle:
        table = {
            row.pop("state"): {column: float(value) for column, value in row.items()}
            for row in csv.DictReader(handle)
        }
    if len(table) != 5**5:
        raise ValueError(f"{DSU_TABLE.name} must hold all 3,125 EQ-5D-5L states.")
    return table


def dsu_age_band(age: int | None) -> str | None:
    """The DSU age band of an age in whole years; None under 18 (the model is for adults)."""
    if age is None:
        return None
    return next((band for lower, band in DSU_AGE_BANDS if age >= lower), None)


def dsu_index(
    levels: Mapping[str, int | None], *, age: int | None, sex: str | None
) -> float | None:
    """The DSU-mapped UK 3L value of a 5L state for a person of ``age`` (whole years when they
    answered) and ``sex`` ("female" or "male"). None if a dimension is missing, the person is
    under 18, or their sex is recorded as neither (the model was estimated for the two only)."""
    values = [levels.get(dimension) for dimension in DIMENSIONS]
    band = dsu_age_band(age)
    if any(value not in (1, 2, 3, 4, 5) for value in values) or band is None:
        return None
    if sex not in DSU_SEXES:
        return None
    return _dsu_table()["".join(str(value) for value in values)][f"{sex}_{band}"]
