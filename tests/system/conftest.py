"""Browser tests: real headless Chromium (Debian's) driven by Playwright, axe-core for WCAG.

Tools: ``scripts/browser-setup`` installs Debian's ``chromium`` and axe-core (npm). Without them
these tests skip with the reason, except in CI (``CI=true``) where a missing tool fails them.

Data: the pages are served by pytest-django's ``live_server`` in another thread, so every test
here is a transactional test (its data is committed, and the tables are emptied afterwards).
``definitions`` loads the definition files inside each test; ``_definitions_restored`` puts
them back after the module so the tests that follow find the session's state again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from outcomes.loading import catalogue
from outcomes.services import definitions_load

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("PROMS_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def _missing_tools() -> list[str]:
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -r requirements-dev.txt)")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium chromium-driver)")
    if not AXE.is_file():
        missing.append("node_modules/axe-core (npm ci)")
    return missing


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session; each test opens its own context."""
    missing = _missing_tools()
    if missing:
        reason = "browser tests need " + ", ".join(missing) + "; run scripts/browser-setup"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps its asyncio loop marked as running in this thread (it runs in
    # a greenlet), so Django's async-safety check would refuse every ORM call the tests make
    # between browser steps. Nothing here runs concurrently with the ORM in this thread; the
    # live server answers from its own thread, where the check stays on.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def context_factory(browser):
    """New browser contexts (phone-sized by default), closed after the test."""
    contexts = []

    def new(**options):
        context = browser.new_context(**{**PHONE, **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield new
    for context in contexts:
        context.close()


@pytest.fixture
def page(context_factory):
    """A page in a phone-sized context (360 x 740, mobile, touch) with JavaScript on."""
    return context_factory().new_page()


@pytest.fixture(scope="module", autouse=True)
def _definitions_restored(django_db_blocker):
    """Transactional tests empty every table; reload the definitions for the tests after us."""
    yield
    with django_db_blocker.unblock():
        definitions_load(definitions=catalogue())


@pytest.fixture
def definitions(live_server):
    """The definition files in the database the live server reads (committed, not rolled back)."""
    spec = catalogue()
    definitions_load(definitions=spec)
    return spec


# ---------------------------------------------------------------------------------------------
# Data: a patient with a knee-pain baseline link, made with the services as staff would.


BIRTH_DATE = dt.date(1948, 3, 14)


@dataclass
class Journey:
    provider: object
    patient: object
    episode: object
    invitation: object
    token: str
    base_url: str

    @property
    def link(self) -> str:
        return f"{self.base_url}/q/{self.token}/"


@pytest.fixture
def journey(definitions, live_server):
    from surveys import services
    from tests.factories import PatientFactory, ProviderFactory, pathway_current

    provider = ProviderFactory()
    patient = PatientFactory(date_of_birth=BIRTH_DATE)
    episode = services.episode_enrol(
        patient=patient,
        pathway=pathway_current("knee-pain"),
        provider=provider,
        referred_on=dt.date.today(),
        by=None,
    )
    invitation = episode.invitations.get(timepoint="baseline")
    token = services.invitation_link_issue(invitation=invitation)
    return Journey(provider, patient, episode, invitation, token, live_server.url)


# ---------------------------------------------------------------------------------------------
# axe-core


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}"
            f"\n  {violation.get('helpUrl', '')}"
        )
        for node in violation["nodes"][:5]:
            lines.append(f"    at {', '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


@pytest.fixture
def axe_check(axe_source):
    """``axe_check(page, "what")`` runs axe-core's WCAG 2.0/2.1 A and AA rules on the page and
    fails with a readable list of violations. Returns the names of the pages checked."""
    checked: list[str] = []

    def check(page, what: str) -> None:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # Evaluated through the browser's debugging protocol, which the page's
            # Content-Security-Policy (no inline script) rightly does not allow a <script> for.
            page.evaluate(axe_source)
        result = page.evaluate(
            """async (tags) => {
                const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                  resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    helpUrl: v.helpUrl, nodes: v.nodes.map(n => ({target: n.target,
                    html: n.html, failureSummary: n.failureSummary}))}));
            }""",
            WCAG_TAGS,
        )
        checked.append(what)
        assert not result, (
            f"axe-core found {len(result)} WCAG A/AA violation(s) on {what} ({page.url}):\n"
            + format_violations(result)
        )

    check.checked = checked
    return check


def dump(value) -> str:
    return json.dumps(value, indent=2, default=str)
