"""Oswestry Disability Index v2.1a: percent = total / (5 × sections answered) × 100.

Worked examples: the ODI v2.1a scoring sheet (Fairbank JCT, Pynsent PB. Spine 2000;25:2940-52,
doi:10.1097/00007632-200011150-00017): 16/50 = 32%; one section missed, 16/45 = 35.6% (printed
truncated as 35.5%). The cap of 1 missing section is a project decision (outcomes/scoring/odi.py).
"""

import pytest

from outcomes.scoring import AnswerError, score

SIXTEEN = [3, 2, 2, 1, 2, 1, 2, 0, 2, 1]  # total 16 over all ten sections


@pytest.fixture
def odi(definition):
    return definition("odi")


def test_odi_all_sections_answered_16_of_50_is_32_percent(odi):
    # Scoring sheet example: 16 (total scored) / 50 (total possible) × 100 = 32%.
    assert score(odi, SIXTEEN)["scores"] == {"percent": 32.0}


def test_odi_one_section_missed_16_of_45_is_35_6_percent(odi):
    # Scoring sheet example: one section missed, 16 / 45 × 100 = 35.56 → 35.6 (1 dp).
    answers = [*SIXTEEN[:7], None, *SIXTEEN[8:]]  # section 8 (sex life) scored 0

    assert score(odi, answers)["scores"] == {"percent": 35.6}


def test_odi_two_sections_missed_give_no_score(odi):
    # Project cap: at most 1 missing section (none published; awell-score refuses > 1).
    answers = [*SIXTEEN[:6], None, None, *SIXTEEN[8:]]

    assert score(odi, answers)["scores"] == {"percent": None}


def test_odi_all_sections_missed_give_no_score(odi):
    assert score(odi, [None] * 10)["scores"] == {"percent": None}


def test_odi_range_is_0_to_100(odi):
    assert score(odi, [0] * 10)["scores"] == {"percent": 0.0}
    assert score(odi, [5] * 10)["scores"] == {"percent": 100.0}


def test_odi_rejects_a_code_of_6_naming_the_section(odi):
    answers = [0] * 10
    answers[2] = 6

    with pytest.raises(AnswerError) as error:
        score(odi, answers)

    assert error.value.errors == [
        ("odi03", "Item 'odi03' does not accept 6; it takes one of 0, 1, 2, 3, 4, 5.")
    ]


def test_odi_32_percent_harmonises_to_quality_of_life_68(odi):
    # instruments.md Harmonisation: ODI 100 − %.
    assert score(odi, SIXTEEN)["outcomes"]["quality-of-life"] == 68.0


def test_odi_pain_intensity_section_harmonises_to_pain_reversed(odi):
    # Section 1 coded 0 (least) .. 5 (most): 3 → 100 × (1 − 3/5) = 40.0.
    assert score(odi, SIXTEEN)["outcomes"]["pain"] == 40.0


def test_odi_sex_life_section_is_optional(odi):
    # ODI v2.1a section 8 is answered only if applicable.
    assert odi.item("odi08").required is False
