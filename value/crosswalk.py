"""EQ-5D-5L answers valued on the UK EQ-5D-3L value set through the van Hout 2012 crosswalk.

NICE's reference case still values health on the EQ-5D-3L; the crosswalk (van Hout B et al.
Value Health 2012;15:708-15, doi:10.1016/j.jval.2012.02.008) gives each 5L state a 3L-based UK
value. The table is data (``value/data/``, provenance beside it), looked up, never computed.
The NICE DSU age- and sex-specific mapping is not implemented (docs/value.md).
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
