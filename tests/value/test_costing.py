"""Cost per episode from what proms records (events) plus imported activity, at unit costs.

Worked example (illustrative unit costs: assessment £60, physio session £55, imaging £120,
injection £200), two back-pain episodes at one service referred in January 2026:

- episode A: an assessment event (£60), 4 physio sessions imported for it (4 x £55 = £220);
- episode B: an "injection" procedure event (£200);
- the service's file also counts 2 scans not tied to an episode (2 x £120 = £240), spread over
  its 2 episodes: £120 each.

So A costs 60 + 220 + 120 = £400 and B 200 + 120 = £320.
"""

from __future__ import annotations

import datetime as dt

import pytest

from surveys.models import EpisodeEvent
from tests.factories import EpisodeFactory, ProviderFactory, pathway_current
from value.selectors import ValueQuery, episode_records
from value.services import activity_import


@pytest.fixture
def episodes(unit_costs):
    provider = ProviderFactory()
    referred = dt.date(2026, 1, 10)
    a, b = (
        EpisodeFactory(
            provider=provider, pathway=pathway_current("back-pain"), referred_on=referred
        )
        for _ in range(2)
    )
    EpisodeEvent.objects.create(episode=a, kind="assessment", occurred_on=referred)
    EpisodeEvent.objects.create(
        episode=b, kind="procedure", occurred_on=referred, procedure="injection"
    )
    activity_import(
        provider=provider,
        month=dt.date(2026, 1, 1),
        data=(
            f"activity_type,count,episode,condition\nphysio-session,4,{a.pk},\n"
            "imaging,2,,back-pain\n"
        ).encode(),
    )
    return a, b


def _costs():
    loaded = episode_records(
        ValueQuery(
            condition="back-pain",
            referred_from=dt.date(2026, 1, 1),
            referred_to=dt.date(2026, 1, 31),
        )
    )
    return sorted(record.cost for record in loaded.records)


def test_episode_costs_add_events_imported_activity_and_a_share_of_pooled_activity(episodes):
    assert _costs() == pytest.approx([320.0, 400.0])


def test_options_by_procedure_put_an_episode_without_one_in_no_procedure(episodes):
    loaded = episode_records(
        ValueQuery(
            condition="back-pain",
            option_by="procedure",
            referred_from=dt.date(2026, 1, 1),
            referred_to=dt.date(2026, 1, 31),
        )
    )
    assert sorted(r.option for r in loaded.records) == ["injection", "no-procedure"]


def test_activity_without_a_unit_cost_is_counted_and_reported(episodes, db):
    from value.models import UnitCost

    UnitCost.objects.filter(activity_type="imaging").delete()
    loaded = episode_records(
        ValueQuery(
            condition="back-pain",
            referred_from=dt.date(2026, 1, 1),
            referred_to=dt.date(2026, 1, 31),
        )
    )
    assert loaded.uncosted == {"imaging": 2}
    assert sorted(r.cost for r in loaded.records) == pytest.approx([200.0, 280.0])
