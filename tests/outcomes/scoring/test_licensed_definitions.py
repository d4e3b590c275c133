"""The five licensed instruments never commit their wording, and name their licence holder.

Source: instruments.md, "Licensing red flags" 1: ship codes, neutral labels and an overlay import
for the licensed text of EQ-5D (EuroQol), MSK-HQ/OKS/OHS (OUI) and ODI (Mapi/Fairbank).
"""

import pytest

LICENSED = ["msk-hq", "eq-5d-5l", "oks", "ohs", "odi"]


@pytest.mark.parametrize("code", LICENSED)
def test_licensed_definition_carries_no_item_or_option_text(definition, code):
    spec = definition(code)

    assert spec.licence.wording_licensed is True
    assert not spec.instructions
    for item in spec.items:
        assert not item.text, item.id
        assert all(not option.text for option in item.options), item.id


@pytest.mark.parametrize("code", LICENSED)
def test_licensed_definition_names_its_holder_and_notice(definition, code):
    licence = definition(code).licence

    assert licence.holder.strip()
    assert "©" in licence.notice
    assert licence.url.startswith("https://")
    assert licence.terms.strip()


@pytest.mark.parametrize("code", LICENSED)
def test_licensed_definition_is_published_with_governance(definition, code):
    spec = definition(code)

    assert spec.status == "published"  # the current version: 1.1.0 asks one question a page
    assert "doi:" in spec.governance.source
    assert spec.governance.checked_by == "pending independent check"
    assert spec.recall_period
    assert all(score.mic_source for score in spec.scores if score.mic is not None)
