import pytest

from outcomes.loading import catalogue
from outcomes.services import definitions_load


@pytest.fixture
def definitions():
    return catalogue()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the definitions once into the test database; tests roll back to this state."""
    with django_db_blocker.unblock():
        definitions_load(definitions=catalogue())


@pytest.fixture
def loaded_definitions(db, definitions):
    """The definition files copied into the test database, as ``load_definitions`` does."""
    definitions_load(definitions=definitions)
    return definitions


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Serve static files without collectstatic's manifest, which only deployments build."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def live_worklist_counts(settings):
    """Worklist counts straight from the database (tests/care/test_worklists.py tests the cache)."""
    settings.WORKLIST_COUNTS_CACHE_SECONDS = 0
