"""The 5L-to-3L crosswalk (van Hout et al. 2012), UK. Worked examples: the eq5d R package's tests
(github.com/fragla/eq5d, tests/testthat/test-eq5dcw.R, country "UK")."""

import pytest

from value.crosswalk import crosswalk_index


@pytest.mark.parametrize(
    ("state", "expected"),
    [("11111", 1.0), ("11221", 0.795), ("44441", 0.226), ("44525", 0.004), ("55555", -0.594)],
)
def test_crosswalk_values_match_the_published_table(state, expected):
    levels = dict(zip(("mo", "sc", "ua", "pd", "ad"), map(int, state), strict=True))
    assert crosswalk_index(levels) == expected


def test_a_missing_dimension_gives_no_crosswalk_value():
    assert crosswalk_index({"mo": 1, "sc": 1, "ua": 1, "pd": 1}) is None
