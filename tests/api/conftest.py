import pytest
from django.core.cache import cache

from outcomes.access import api_key_issue
from tests.factories import ProviderFactory


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    """Throttle counts live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def provider_a(db):
    return ProviderFactory(ods_code="RAA01", name="Provider A")


@pytest.fixture
def provider_b(db):
    return ProviderFactory(ods_code="RBB02", name="Provider B")


@pytest.fixture
def key_a(provider_a):
    """A raw key scoped to provider A."""
    _client, raw_key = api_key_issue(name="Provider A analysts", providers=[provider_a])
    return raw_key


@pytest.fixture
def key_none(db):
    """A raw key for aggregates only (no providers)."""
    _client, raw_key = api_key_issue(name="ICB analysts", providers=[])
    return raw_key


def auth(raw_key: str, keyword: str = "Api-Key") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"{keyword} {raw_key}"}
