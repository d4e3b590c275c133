"""The page plan, the hand-written question HTML and the page parser (surveys/questionnaire.py)."""

from __future__ import annotations

import pytest

from outcomes.models import Instrument, InstrumentWording
from surveys import questionnaire
from surveys.questionnaire import parse_page, plan_for, render_items

KNEE_BASELINE = [
    ["msk-hq", "1.0.0"],
    ["mskt-core", "1.0.0"],
    ["oks", "1.0.0"],
    ["eq-5d-5l", "1.0.0"],
    ["nrs-pain", "1.0.0"],
]


def test_common_questionnaire_comes_first_then_the_pathway_order():
    pages = plan_for(KNEE_BASELINE, follow_up=False)
    assert [page.code for page in pages] == ["mskt-core", "msk-hq", "oks", "eq-5d-5l", "nrs-pain"]
    assert [page.number for page in pages] == [1, 2, 3, 4, 5]


def test_follow_up_only_items_are_not_asked_at_baseline():
    baseline = plan_for(KNEE_BASELINE, follow_up=False)[0]
    follow_up = plan_for(KNEE_BASELINE, follow_up=True)[0]
    assert "time1" not in baseline.item_ids
    assert "time1" in follow_up.item_ids
    assert all(item.asked_at == "all" for item in baseline.items)


def test_an_item_paged_instrument_gets_a_question_per_page():
    pages = plan_for([["mskt-core", "1.0.0"], ["fiqr", "1.0.0"]], follow_up=False)
    fiqr = [page for page in pages if page.code == "fiqr"]
    assert len(fiqr) == 21
    assert all(len(page.items) == 1 for page in fiqr)
    assert (fiqr[0].part, fiqr[0].parts) == (1, 21)


@pytest.mark.django_db
def test_choice_items_render_as_radios_in_a_fieldset_with_a_legend():
    page = plan_for(KNEE_BASELINE, follow_up=False)[0]
    html = render_items(page, values={"qol1": 3})
    assert html.count("<fieldset") == len(page.items)
    assert html.count("<legend") == len(page.items)
    assert 'id="qol1-3" name="qol1" type="radio" value="3" checked>' in html
    assert 'for="qol1-3"' in html


@pytest.mark.django_db
def test_a_0_to_100_scale_is_a_number_box_and_a_0_to_10_scale_is_radios():
    pages = plan_for(KNEE_BASELINE, follow_up=False)
    eq5d = render_items(pages[3], values={"vas": 70})
    assert 'inputmode="numeric"' in eq5d and 'value="70"' in eq5d
    nrs = render_items(pages[4])
    assert nrs.count('type="radio"') == 11
    assert "0: No pain" in nrs


@pytest.mark.django_db
def test_errors_render_inline_with_aria_describedby():
    page = plan_for(KNEE_BASELINE, follow_up=False)[0]
    html = render_items(page, errors={"qol1": "Select an answer"})
    assert 'aria-describedby="qol1-error"' in html
    assert '<span class="nhsuk-error-message" id="qol1-error">' in html
    assert "nhsuk-form-group--error" in html


@pytest.mark.django_db
def test_licensed_wording_is_used_once_imported_and_cached_until_it_changes():
    page = plan_for(KNEE_BASELINE, follow_up=False)[2]  # oks
    assert "Licensed question one" not in render_items(page)
    items = {
        item.id: {
            "text": f"Licensed question {n}",
            "options": {"4": "None", "3": "Little", "2": "Some", "1": "Lots", "0": "Unbearable"},
        }
        for n, item in zip(["one"] + ["x"] * 11, page.items, strict=True)
    }
    InstrumentWording.objects.create(
        instrument=Instrument.objects.get(code="oks", version="1.0.0"),
        language="en",
        texts={"items": items},
        source_checksum="0" * 64,
    )
    try:
        assert "Licensed question one" in render_items(page)
    finally:
        InstrumentWording.objects.all().delete()
    assert "Licensed question one" not in render_items(page)


@pytest.mark.django_db
def test_a_missing_language_falls_back_to_english():
    page = plan_for(KNEE_BASELINE, follow_up=False)[0]
    assert render_items(page, language="pl") == render_items(page, language="en")


def test_parse_accepts_allowed_codes():
    page = plan_for(KNEE_BASELINE, follow_up=False)[4]
    answers = parse_page(page, {"nrs01": "7", "csrfmiddlewaretoken": "x"})
    assert answers.is_valid
    assert answers.values == {"nrs01": 7}


def test_parse_requires_an_answer():
    page = plan_for(KNEE_BASELINE, follow_up=False)[4]
    answers = parse_page(page, {})
    assert answers.errors == {"nrs01": "Select an answer"}
    assert not answers.tampered


@pytest.mark.parametrize(
    "data",
    [{"nrs01": "11"}, {"nrs01": "seven"}, {"nrs01": "7", "oks01": "4"}],
    ids=["out-of-range", "not-a-number", "unknown-item"],
)
def test_parse_refuses_values_the_page_never_offered(data):
    page = plan_for(KNEE_BASELINE, follow_up=False)[4]
    answers = parse_page(page, data)
    assert answers.tampered
    assert not answers.is_valid
    assert answers.errors


def test_parse_calls_a_mistyped_number_box_a_slip_not_tampering():
    page = plan_for(KNEE_BASELINE, follow_up=False)[3]
    data = {"mo": "1", "sc": "1", "ua": "1", "pd": "1", "ad": "1", "vas": "150"}
    answers = parse_page(page, data)
    assert not answers.tampered
    assert answers.errors == {"vas": "Enter a whole number from 0 to 100"}


def test_an_optional_item_may_be_left_blank():
    page = plan_for([["odi", "1.0.0"]], follow_up=False)[0]
    data = {item.id: "0" for item in page.items if item.id != "odi08"}
    answers = parse_page(page, data)
    assert answers.is_valid
    assert answers.values["odi08"] is None
    assert page.is_answered({"odi": answers.values})


def test_the_error_summary_links_to_each_question_s_first_input_and_names_its_number():
    page = plan_for(KNEE_BASELINE, follow_up=False)[3]
    summary = questionnaire.error_summary(page, {"vas": "x", "mo": "y"})
    assert summary == [("mo-1", "Question 1: y"), ("vas", "Question 6: x")]


def test_staff_entry_gets_a_page_per_instrument_even_for_question_per_page_ones():
    pages = questionnaire.instrument_pages([["mskt-core", "1.0.0"], ["fiqr", "1.0.0"]], False)
    assert [(page.code, len(page.items)) for page in pages] == [("mskt-core", 8), ("fiqr", 21)]


def test_staff_entry_may_leave_required_answers_blank_but_not_tamper():
    page = questionnaire.instrument_pages(KNEE_BASELINE, False)[4]  # nrs-pain
    blank = parse_page(page, {"action": "save"}, require_answers=False)
    assert blank.is_valid and blank.values == {"nrs01": None}
    assert parse_page(
        page, {"mode": "paper"}, require_answers=False, extra_fields=["mode"]
    ).is_valid
    assert not parse_page(page, {"nrs01": "12"}, require_answers=False).is_valid
