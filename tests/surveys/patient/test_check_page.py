"""The check page stays short: a folded section per questionnaire (HTML <details>, no
JavaScript needed), answers numbered as their questions were, each with a Change link."""

from __future__ import annotations

import re

import pytest

from tests.surveys.patient.conftest import answer_all

pytestmark = pytest.mark.django_db


def test_the_check_page_folds_each_questionnaire_with_its_answers_and_change_links(
    client, confirmed
):
    answer_all(client, confirmed)
    html = client.get(confirmed.url("check")).content.decode()

    sections = re.findall(r'<details class="proms-answers">', html)
    codes = list(dict.fromkeys(page.code for page in confirmed.pages))
    assert len(sections) == len(codes)
    assert '<details class="proms-answers" open' not in html  # folded until opened
    assert re.search(
        r'<h2 class="proms-answers__title">Oxford Knee Score</h2>\s*'
        r'<span class="proms-answers__count">12 answers</span>',
        html,
    )
    oks = next(page for page in confirmed.pages if page.code == "oks" and page.part == 8)
    assert f'href="{confirmed.page(oks.number)}?return=check"' in html
    assert '<span class="proms-question-number">Question 8</span> Knee pain at night' in html
