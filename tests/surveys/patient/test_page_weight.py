"""Issue 3's budget in the suite: every patient page transfers under 60 KB compressed.

The walk is ``bench/page_weight.py``'s, so the script and this test measure the same pages.
"""

from __future__ import annotations

import pytest

from bench import page_weight

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(client) -> dict[str, bytes]:
    return dict(page_weight.walk(client))


def test_every_patient_page_is_under_the_page_weight_budget(pages):
    over = {
        name: size
        for name, html in pages.items()
        if (size := page_weight.transfer_size(html)) > page_weight.BUDGET_BYTES
    }
    assert over == {}


def test_the_walk_includes_the_thank_you_page_with_the_scores_chart(pages):
    done = pages["done, second questionnaire (chart)"].decode()
    assert "<svg" in done
    assert "How you are getting on" in done and "proms-figure" in done


def test_the_walk_includes_a_fibromyalgia_question_per_page_page(pages):
    [fiqr] = [html for name, html in pages.items() if "fiqr, question per page" in name]
    assert fiqr.decode().count('class="nhsuk-fieldset"') == 1


def test_the_walk_covers_every_page_a_patient_can_see(pages):
    names = set(pages)
    assert {"date of birth", "check your answers", "done", "link not working", "locked"} <= names
    assert sum(name.startswith("page ") for name in names) >= 6
