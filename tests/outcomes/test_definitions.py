"""Checks across every shipped definition file (one test loads them all, as OpenPrescribing
does for its measures)."""

import itertools
import re

import pytest

from outcomes.loading import DEFINITIONS_DIR, load_catalogue

DEFINITIONS = load_catalogue(DEFINITIONS_DIR)
CONTRACT = ["mskt-core", "msk-hq", "eq-5d-5l", "oks", "ohs", "odi", "startback", "nrs-pain"]
CONTRACT += ["peg", "fiqr"]
LICENSED = ["eq-5d-5l", "msk-hq", "oks", "ohs", "odi", "fiqr"]


def test_every_contract_instrument_is_defined_and_published():
    for code in CONTRACT:
        assert DEFINITIONS.instrument(code).status == "published"


@pytest.mark.parametrize("code", LICENSED)
def test_licensed_instruments_ship_no_wording(code):
    spec = DEFINITIONS.instrument(code)

    assert spec.licence.wording_licensed
    assert not any(item.text or any(o.text for o in item.options) for item in spec.items)


@pytest.mark.parametrize("code", CONTRACT)
def test_every_instrument_names_its_licence_holder_and_notice(code):
    licence = DEFINITIONS.instrument(code).licence

    assert licence.holder and licence.notice


@pytest.mark.parametrize("code", CONTRACT)
def test_every_outcome_score_declares_a_minimal_important_change(code):
    spec = DEFINITIONS.instrument(code)
    outcome_scores = [s for s in spec.scores if s.outcome]

    assert all(s.mic is not None and s.mic_source for s in outcome_scores)


def test_each_active_condition_has_a_published_pathway():
    active = {c.code for c in DEFINITIONS.conditions.values() if c.active}

    assert active == {p.condition for p in DEFINITIONS.current_pathways()}


def test_a_knee_replacement_starts_timepoints_six_and_twelve_months_later():
    procedure = [t for t in DEFINITIONS.pathway("knee-pain").timepoints if t.anchor == "procedure"]

    assert [t.offset_days for t in procedure] == [182, 365]


def test_every_pathway_timepoint_includes_the_common_questionnaire():
    timepoints = [t for p in DEFINITIONS.current_pathways() for t in p.timepoints]

    assert timepoints
    assert all("mskt-core" in t.instruments for t in timepoints)


def test_every_instrument_a_pathway_names_is_defined():
    named = {
        code for p in DEFINITIONS.pathways.values() for t in p.timepoints for code in t.instruments
    }

    assert named <= {code for code, _ in DEFINITIONS.instruments}


def test_every_pathway_follows_up_after_its_baseline():
    for pathway in DEFINITIONS.current_pathways():
        flags = {t.code: t.follow_up for t in pathway.timepoints}

        assert flags.pop("baseline") is False
        assert all(flags.values())


def test_timepoint_windows_on_the_same_anchor_do_not_overlap():
    for pathway in DEFINITIONS.current_pathways():
        for anchor in {t.anchor for t in pathway.timepoints}:
            windows = sorted(
                (t.offset_days - t.opens_before_days, t.offset_days + t.closes_after_days)
                for t in pathway.timepoints
                if t.anchor == anchor
            )

            assert all(end < start for (_, end), (start, _) in itertools.pairwise(windows))


def test_stratifier_start_back_is_asked_at_baseline_only():
    back = DEFINITIONS.pathway("back-pain")

    assert [t.code for t in back.timepoints if "startback" in t.instruments] == ["baseline"]


# Readability of the common questionnaire: a reading age of about 9. A heuristic syllable count
# (vowel groups, less a silent final e) feeds the Flesch-Kincaid grade; US grade + 5 is roughly
# the reading age, so grade 5 or under is a reading age of about 10 or under.
PLAIN_LONG_WORDS = {"condition", "understand", "understanding", "everyday"}
JARGON = (
    "Has your musculoskeletal condition been investigated by the multidisciplinary team? "
    "Did clinicians provide appropriate personalised rehabilitation interventions?"
)


def _syllables(word: str) -> int:
    word = word.lower()
    count = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith("le"):
        count -= 1  # make, same (not people, little)
    elif re.search(r"[^aeiouy]e[sd]$", word) and not re.search(r"[td]ed$", word):
        count -= 1  # times, used (not needed, wanted)
    if re.search(r"[^aeiouy]ely$", word):
        count -= 1  # completely
    return max(1, count)


def _sentences(texts: list[str]) -> list[list[str]]:
    sentences = [s for text in texts for s in re.split(r"[.?!]\s+|[.?!]$", text) if s.strip()]
    return [re.findall(r"[A-Za-z']+", s) for s in sentences]


def _grade(sentences: list[list[str]]) -> float:
    words = [w for s in sentences for w in s]
    syllables = sum(_syllables(w) for w in words)
    return 0.39 * len(words) / len(sentences) + 11.8 * syllables / len(words) - 15.59


def _long_words(sentences: list[list[str]]) -> list[str]:
    words = {w.lower() for s in sentences for w in s}
    return sorted(w for w in words if _syllables(w) > 3 and w not in PLAIN_LONG_WORDS)


def _core_texts() -> tuple[list[str], list[str]]:
    spec = DEFINITIONS.instrument("mskt-core")
    questions = [item.text["en"] for item in spec.items] + [spec.instructions["en"]]
    answers = [o.text["en"] for item in spec.items for o in item.options]
    return questions, answers


def test_the_readability_check_fails_on_clinical_jargon():
    sentences = _sentences([JARGON])

    assert _grade(sentences) > 5
    assert "musculoskeletal" in _long_words(sentences)


def test_the_common_questionnaire_sentences_are_short():
    questions, _ = _core_texts()
    lengths = [len(s) for s in _sentences(questions)]

    assert sum(lengths) / len(lengths) <= 15
    assert max(lengths) <= 25


def test_the_common_questionnaire_reads_at_about_age_nine():
    questions, _ = _core_texts()

    assert _grade(_sentences(questions)) <= 5


def test_the_common_questionnaire_uses_everyday_words():
    questions, answers = _core_texts()

    assert _long_words(_sentences(questions + answers)) == []


def test_the_common_questionnaire_speaks_to_the_patient_as_you():
    questions, _ = _core_texts()

    assert all(re.search(r"\b(you|your|yourself)\b", text, re.IGNORECASE) for text in questions)
