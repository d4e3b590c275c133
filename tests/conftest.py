import pytest
from django.test import Client

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
def placeholder_wording(settings):
    """Tests run as the demo does: licensed wording is never committed, so the licensed
    instruments show their neutral labels. Tests of production switch this off."""
    settings.ALLOW_PLACEHOLDER_WORDING = True


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


@pytest.fixture(autouse=True)
def staff_logins_verified(monkeypatch):
    """``client.force_login(user)`` also passes the second factor, as a real log-in would after
    the code page, so tests of staff pages need no ceremony. ``second_factor=False`` leaves the
    session at "password only" (tests/accounts prove such a session is refused)."""
    original = Client.force_login

    def force_login(self, user, backend=None, *, second_factor=True):
        original(self, user, backend)
        if second_factor:
            verified_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


def verified_session(client: Client, user) -> None:
    """Mark ``client``'s session as verified by a backup-code device of ``user``."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="Test backup codes")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def figure_threads_stopped():
    """Outside a transaction on PostgreSQL, figures and their reads run on a pool of threads
    with their own connections (proms/side_by_side.py): closed after each test, so the test
    database can be dropped."""
    yield
    from proms.side_by_side import threads_stop

    threads_stop()
