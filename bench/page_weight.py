"""Transfer size of every patient page: HTML plus the CSS, JS and fonts it references, compressed.

    .venv/bin/python bench/page_weight.py

Builds a demo knee-pain invitation in a throwaway in-memory database, walks the patient's pages
with Django's test client (date of birth, every question page, check, done, the done page of a
second questionnaire with the scores chart, a fibromyalgia FIQR question-per-page page, plus the
dead-link and locked pages) and prints each page's gzip (level 9) and, when the ``brotli``
package is installed, brotli (quality 11) size. Issue 3's budget is 60 KB compressed per page;
the script exits with status 1 if any page is over it. ``tests/surveys/patient/test_page_weight.py``
runs the same walk in the suite.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
# Settings refuse the public development key outside DEBUG; a bench signs nothing real.
os.environ.setdefault("SECRET_KEY", "bench-only-throwaway-key-not-a-secret-0123456789")

import logging  # noqa: E402
import warnings  # noqa: E402

import django  # noqa: E402
from django.apps import apps  # noqa: E402

if not apps.ready:  # run as a script; under pytest (the page weight test) Django is set up
    django.setup()
    logging.disable(logging.WARNING)  # the walk locks a link on purpose; keep the table readable
    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # whitenoise, no static

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

try:
    import brotli
except ImportError:  # optional: gzip alone is still a fair measure
    brotli = None

BUDGET_BYTES = 60 * 1024
BIRTH_DATE = dt.date(1948, 3, 14)
PLAIN_STATIC = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def throwaway_database() -> None:
    """An in-memory test database with the definitions loaded (nothing touches db.sqlite3)."""
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    from outcomes.loading import catalogue
    from outcomes.services import definitions_load

    definitions_load(definitions=catalogue())


def demo_link(pathway: str = "knee-pain", serial: int = 1):
    """A synthetic patient enrolled on a pathway today, and their baseline link."""
    from outcomes.loading import catalogue
    from outcomes.models import Pathway
    from surveys import services
    from surveys.models import Patient, Provider

    provider, _ = Provider.objects.get_or_create(
        ods_code="BENCH",
        defaults={"name": "Bench MSK Hub", "kind": "msk-hub", "contact_phone": "01623 000000"},
    )
    patient = Patient.objects.create(
        nhs_number=f"99900{serial:05d}",
        given_name="Bench",
        family_name=f"Patient{serial}",
        date_of_birth=BIRTH_DATE,
        sex="female",
        postcode="NG18 1AA",
        preferred_channel="sms",
    )
    episode = services.episode_enrol(
        patient=patient,
        pathway=Pathway.objects.get(code=pathway, version=catalogue().pathway(pathway).version),
        provider=provider,
        referred_on=dt.date.today(),
        by=None,
    )
    invitation = episode.invitations.get(timepoint="baseline")
    return invitation, services.invitation_link_issue(invitation=invitation)


def answers_of(invitation) -> dict:
    """The first answer to every question of an invitation, as ``response_submit`` takes them."""
    from surveys.questionnaire import page_plan

    answers: dict[str, dict] = {}
    for page in page_plan(invitation):
        answers.setdefault(page.code, {}).update(
            {item_id: int(value) for item_id, value in answers_for(page).items()}
        )
    return answers


def second_questionnaire_link(serial: int = 3):
    """A patient six weeks into the knee pathway, baseline answered, and their 6-week link.

    Enrols today, answers the baseline, then moves the episode's dates six weeks back, as if
    enrolled then: the 6-week window is open now and the done page has two points to chart.
    """
    from surveys import services
    from surveys.models import Response

    baseline, _token = demo_link(serial=serial)
    episode = baseline.episode
    services.response_submit(invitation=baseline, answers=answers_of(baseline), mode="self")
    back = dt.timedelta(days=42)
    episode.referred_on -= back
    episode.save(update_fields=["referred_on"])
    for invitation in episode.invitations.all():
        invitation.due_on -= back
        invitation.opens_on -= back
        invitation.closes_on -= back
        invitation.save(update_fields=["due_on", "opens_on", "closes_on"])
    response = Response.objects.get(invitation=baseline)
    response.submitted_at -= back
    response.save(update_fields=["submitted_at"])
    later = episode.invitations.get(timepoint="6-weeks")
    return later, services.invitation_link_issue(invitation=later)


def dob_form(date: dt.date) -> dict:
    return {"dob-day": str(date.day), "dob-month": str(date.month), "dob-year": str(date.year)}


def answers_for(page) -> dict:
    return {
        item.id: str(item.options[0].code if item.kind == "choice" else item.minimum)
        for item in page.items
    }


ASSET = re.compile(
    r'<(?:link[^>]+rel="stylesheet"[^>]*href|script[^>]+src)="([^"]+)"', re.IGNORECASE
)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def asset_bytes(url: str) -> bytes:
    path = url.split("?")[0]
    if path.startswith(settings.STATIC_URL) or path.startswith("/" + settings.STATIC_URL):
        path = path.split(settings.STATIC_URL.strip("/") + "/", 1)[1]
    found = finders.find(path)
    if not found:
        raise SystemExit(f"referenced asset not found: {url}")
    return Path(found).read_bytes()


def assets_of(html: str) -> dict[str, bytes]:
    """Every stylesheet and script a page references, and the fonts/images their CSS pulls in."""
    assets: dict[str, bytes] = {}
    for url in ASSET.findall(html):
        assets[url] = asset_bytes(url)
        if url.endswith(".css"):
            for inner in CSS_URL.findall(assets[url].decode()):
                if not inner.startswith("data:"):
                    assets[inner] = asset_bytes(inner)
    return assets


def sizes(content: bytes) -> tuple[int, int | None]:
    return (
        len(gzip.compress(content, compresslevel=9)),
        len(brotli.compress(content, quality=11)) if brotli else None,
    )


def walk(client: Client) -> list[tuple[str, bytes]]:
    """(name, HTML) for every page a patient can see."""
    from django.urls import reverse

    from surveys.questionnaire import page_plan

    seen: list[tuple[str, bytes]] = []
    invitation, token = demo_link()
    start = reverse("patient:start", args=[token])
    seen.append(("date of birth", client.get(start).content))
    seen.append(("date of birth, wrong", client.post(start, dob_form(dt.date(1950, 1, 1))).content))
    client.post(start, dob_form(BIRTH_DATE))
    for page in page_plan(invitation):
        url = reverse("patient:page", args=[token, page.number])
        if page.number == 1:
            seen.append(("page 1 with errors", client.post(url, {}).content))
        seen.append(
            (f"page {page.number} ({page.code}, {len(page.items)} items)", client.get(url).content)
        )
        client.post(url, answers_for(page))
    seen.append(("check your answers", client.get(reverse("patient:check", args=[token])).content))
    client.post(reverse("patient:submit", args=[token]))
    seen.append(("done", client.get(reverse("patient:done", args=[token])).content))

    later, later_token = second_questionnaire_link(serial=3)
    client.post(reverse("patient:start", args=[later_token]), dob_form(BIRTH_DATE))
    for page in page_plan(later):
        client.post(reverse("patient:page", args=[later_token, page.number]), answers_for(page))
    client.post(reverse("patient:submit", args=[later_token]))
    done = client.get(reverse("patient:done", args=[later_token])).content
    seen.append(("done, second questionnaire (chart)", done))

    fibro, fibro_token = demo_link(pathway="fibromyalgia", serial=4)
    client.post(reverse("patient:start", args=[fibro_token]), dob_form(BIRTH_DATE))
    for page in page_plan(fibro):
        url = reverse("patient:page", args=[fibro_token, page.number])
        if page.code == "fiqr":
            seen.append((f"page {page.number} (fiqr, question per page)", client.get(url).content))
            break
        client.post(url, answers_for(page))

    seen.append(("link not working", client.get("/q/not-a-real-link-0000000000000000/").content))
    _locked, locked_token = demo_link(serial=2)
    locked_start = reverse("patient:start", args=[locked_token])
    for day in range(1, 6):
        response = client.post(locked_start, dob_form(dt.date(1950, 1, day)))
    seen.append(("locked", response.content))
    return seen


def transfer_size(html: bytes) -> int:
    """Bytes on the wire (gzip) for a page: its HTML and every asset it references."""
    return sizes(html)[0] + sum(sizes(body)[0] for body in assets_of(html.decode()).values())


def main() -> int:
    throwaway_database()
    # The demo's pages: licensed wording is never in the repository, so placeholders stand in.
    with override_settings(STORAGES=PLAIN_STATIC, ALLOW_PLACEHOLDER_WORDING=True):
        pages = walk(Client())
    over = []
    brotli_head = "brotli KB" if brotli else "brotli (not installed)"
    print(f"{'page':<42} {'raw KB':>8} {'gzip KB':>8} {brotli_head:>10}  assets")
    for name, html in pages:
        assets = assets_of(html.decode())
        raw = len(html) + sum(len(body) for body in assets.values())
        gz = transfer_size(html)
        br = sizes(html)[1] + sum(sizes(body)[1] for body in assets.values()) if brotli else None
        print(
            f"{name:<42} {raw / 1024:>8.1f} {gz / 1024:>8.1f} "
            f"{(br / 1024 if br is not None else float('nan')):>10.1f}  "
            f"{', '.join(Path(a).name for a in assets) or '-'}"
        )
        if gz > BUDGET_BYTES:
            over.append(name)
    print(f"budget: {BUDGET_BYTES // 1024} KB compressed (gzip) per page, HTML+CSS+JS+fonts")
    if over:
        print("OVER BUDGET: " + ", ".join(over))
        return 1
    print("every page is within budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
