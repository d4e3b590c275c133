"""EQ-5D-5L index (England 2018 and UK 2026 value sets) and EQ VAS.

Worked examples: the test suite of the eq5d R package (github.com/fragla/eq5d, v0.16.3.9000,
tests of ``eq5d5l``) and its documented example 12345 = 0.322, for the England value set of
Devlin N et al. Health Econ 2018;27:7-22 (doi:10.1002/hec.3564); the same suite's UK examples for
Rowen D et al. Value Health 2026 (doi:10.1016/j.jval.2026.03.008). See instruments.md section 2.
"""

import pytest

from outcomes.scoring import AnswerError, score


@pytest.fixture
def eq5d(definition):
    return definition("eq-5d-5l")


def answers(profile: str, vas: int | None = 50) -> list[int | None]:
    return [int(level) for level in profile] + [vas]


@pytest.mark.parametrize(
    ("profile", "index"),
    [
        ("11111", 1),
        ("11112", 0.922),
        ("11121", 0.937),
        ("11211", 0.950),
        ("12111", 0.950),
        ("21111", 0.942),
        ("23245", 0.247),
        ("55555", -0.285),
        ("12345", 0.322),
    ],
)
def test_eq5d_england_index_matches_the_eq5d_package(eq5d, profile, index):
    # eq5d R package tests / Devlin 2018.
    assert score(eq5d, answers(profile))["scores"]["index"] == index


@pytest.mark.parametrize(
    ("profile", "index"),
    [("22222", 0.784), ("33333", 0.604), ("44444", -0.209), ("55555", -0.567)],
)
def test_eq5d_uk_2026_index_matches_the_eq5d_package(eq5d, profile, index):
    # eq5d R package tests / Rowen 2026.
    result = score(eq5d, answers(profile), {"value_set": "uk-2026"})

    assert result["scores"]["index"] == index


def test_eq5d_index_is_labelled_with_the_england_value_set_by_default(eq5d):
    assert score(eq5d, answers("11111"))["scores"]["value_set"] == "england-2018"


def test_eq5d_index_is_labelled_with_the_value_set_asked_for(eq5d):
    result = score(eq5d, answers("11111"), {"value_set": "uk-2026"})

    assert result["scores"]["value_set"] == "uk-2026"


def test_eq5d_unknown_value_set_is_refused_naming_it_and_the_choices(eq5d):
    with pytest.raises(ValueError, match="'mars'.*england-2018, uk-2026"):
        score(eq5d, answers("11111"), {"value_set": "mars"})


def test_eq5d_index_has_no_float_error(eq5d):
    # Devlin 2018 decrements: 1 - 0.058 - 0.050 - 0.050 - 0.063 - 0.078 = 0.701 exactly.
    assert score(eq5d, answers("22222"))["scores"]["index"] == 0.701


def test_eq5d_vas_is_reported_as_given(eq5d):
    assert score(eq5d, answers("11111", vas=73))["scores"]["vas"] == 73


def test_eq5d_missing_dimension_gives_no_index_but_keeps_the_vas(eq5d):
    # instruments.md section 2: value sets have no imputation; the VAS is separate.
    result = score(eq5d, [1, 1, None, 1, 1, 80])

    assert result["scores"]["index"] is None
    assert result["scores"]["vas"] == 80


def test_eq5d_missing_vas_leaves_the_index(eq5d):
    result = score(eq5d, answers("12345", vas=None))

    assert result["scores"]["index"] == 0.322
    assert result["scores"]["vas"] is None


def test_eq5d_rejects_level_6_naming_the_dimension(eq5d):
    with pytest.raises(AnswerError) as error:
        score(eq5d, [1, 1, 1, 6, 1, 50])

    assert error.value.errors == [
        ("pd", "Item 'pd' does not accept 6; it takes one of 1, 2, 3, 4, 5.")
    ]


def test_eq5d_rejects_a_vas_above_100_naming_it(eq5d):
    with pytest.raises(AnswerError) as error:
        score(eq5d, answers("11111", vas=101))

    assert error.value.errors[0][0] == "vas"


def test_eq5d_vas_harmonises_to_quality_of_life(eq5d):
    # instruments.md Harmonisation: show the EQ VAS on the common scale (0-100 as it is).
    assert score(eq5d, answers("11111", vas=65))["outcomes"]["quality-of-life"] == 65.0


def test_eq5d_pain_level_harmonises_to_pain_reversed(eq5d):
    # Level 1 = no problems is best: PD level 2 of 1-5 → 100 × (1 - 1/4) = 75.0.
    assert score(eq5d, answers("11121"))["outcomes"]["pain"] == 75.0
