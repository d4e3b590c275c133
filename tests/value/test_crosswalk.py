"""The 5L-to-3L crosswalk (van Hout et al. 2012), UK. Worked examples: the eq5d R package's tests
(github.com/fragla/eq5d, tests/testthat/test-eq5dcw.R, country "UK")."""

import pytest

from value.crosswalk import DSU_SEXES, crosswalk_index, dsu_age_band, dsu_index


@pytest.mark.parametrize(
    ("state", "expected"),
    [("11111", 1.0), ("11221", 0.795), ("44441", 0.226), ("44525", 0.004), ("55555", -0.594)],
)
def test_crosswalk_values_match_the_published_table(state, expected):
    levels = dict(zip(("mo", "sc", "ua", "pd", "ad"), map(int, state), strict=True))
    assert crosswalk_index(levels) == expected


def test_a_missing_dimension_gives_no_crosswalk_value():
    assert crosswalk_index({"mo": 1, "sc": 1, "ua": 1, "pd": 1}) is None


# --- the NICE DSU mapping (Hernández Alava, Pudney, Wailoo 2023), UK ---------------------------
# Worked values: the eq5d R package's tests (github.com/fragla/eq5d,
# tests/testthat/test-eq5dmap.R, "EQ-5D-5L to EQ-5D-3L age/sex mapping by dimensions"): age in
# years or as the band's number (5 = 65+), values rounded to 3 places, one to 8.


def _levels(state: str) -> dict[str, int]:
    return dict(zip(("mo", "sc", "ua", "pd", "ad"), map(int, state), strict=True))


@pytest.mark.parametrize(
    ("state", "age", "sex", "expected"),
    [("12345", 30, "female", 0.067), ("24112", 50, "female", 0.761), ("23421", 70, "male", 0.609)],
)
def test_dsu_values_match_the_published_worked_examples(state, age, sex, expected):
    assert round(dsu_index(_levels(state), age=age, sex=sex), 3) == expected


def test_the_dsu_value_matches_the_published_example_to_eight_places():
    assert dsu_index(_levels("23421"), age=65, sex="male") == 0.60885463


def test_the_dsu_value_depends_on_age_band_and_sex():
    state = _levels("23421")
    values = {
        dsu_index(state, age=age, sex=sex) for age in (20, 40, 50, 60, 70) for sex in DSU_SEXES
    }
    assert len(values) == 10


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (17, None),
        (18, "18-34"),
        (34, "18-34"),
        (35, "35-44"),
        (64, "55-64"),
        (65, "65+"),
        (101, "65+"),
    ],
)
def test_dsu_age_bands_have_the_published_bounds(age, band):
    assert dsu_age_band(age) == band


@pytest.mark.parametrize(
    ("age", "sex"), [(16, "female"), (40, "other"), (40, "not-known"), (None, "male")]
)
def test_no_dsu_value_outside_the_model(age, sex):
    assert dsu_index(_levels("11111"), age=age, sex=sex) is None
