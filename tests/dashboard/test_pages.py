"""The dashboard pages, their chart images, CSV downloads and JSON: one figure, every output."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from dashboard.figures import FIGURES, figure_compute
from dashboard.filters import Filters
from dashboard.models import DashboardRole
from dashboard.views import VALUE_AREAS
from surveys.models import Provider
from tests.factories import UserFactory

PAGES = [
    "dashboard:overview",
    "dashboard:conditions",
    "dashboard:providers",
    "dashboard:practices",
    "dashboard:between",
    "dashboard:methods",
]


@pytest.fixture
def analyst(db):
    user = UserFactory()
    DashboardRole.objects.create(user=user, role=DashboardRole.Role.ANALYST)
    return user


def _text(value) -> str:
    return "" if value is None else str(value)


def _links(body: str, kind: str) -> list[str]:
    return sorted(
        {u.replace("&amp;", "&") for u in re.findall(rf'="(/staff/dashboard/{kind}/[^"]+)"', body)}
    )


def test_every_page_chart_and_csv_answers_for_an_analyst(client, analyst, demo_population):
    client.force_login(analyst)
    urls = [reverse(name) for name in PAGES]
    urls += [
        reverse("dashboard:condition", args=[c]) + f"?area={area.slug}"
        for c in ("knee-pain", "back-pain", "fibromyalgia")
        for area in VALUE_AREAS
    ]
    urls.append(reverse("dashboard:practice", args=["C84009"]))
    charts, downloads = set(), set()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert body.count("<h1") == 1
        assert "style=" not in body and "<script" not in body, url
        charts.update(_links(body, "charts"))
        downloads.update(_links(body, "data"))
    assert len(charts) > 20 and len(downloads) >= len(FIGURES) - 1
    for url in charts:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("image/svg+xml")
        svg = response.content.decode()
        assert svg.startswith("<svg") and "<title" in svg and "<desc" in svg and 'role="img"' in svg
    for url in downloads:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/csv")


def test_the_csv_the_api_and_the_figure_carry_the_same_numbers(client, analyst, demo_population):
    client.force_login(analyst)
    answer = figure_compute("baseline_by_deprivation", filters=Filters(condition="back-pain"))
    query = "?condition=back-pain"
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    reverse("dashboard:figure_csv", args=["baseline_by_deprivation"]) + query
                ).content.decode()
            )
        )
    )
    api = client.get(
        reverse("dashboard_api:figure", args=["baseline_by_deprivation"]) + query
    ).json()
    assert api["results"] == answer["results"]
    assert [r["referred"] for r in rows] == [_text(r["referred"]) for r in answer["results"]]
    assert [r["mean_age"] for r in rows] == [_text(r["mean_age"]) for r in answer["results"]]


def test_the_providers_page_publishes_the_outcome_summary_api_numbers(client, demo_population):
    staff = UserFactory()
    Provider.objects.get(ods_code="RK5").staff.add(staff)
    client.force_login(staff)
    page_figure = client.get(reverse("dashboard_api:figure", args=["provider_funnel"])).json()
    summary = client.get("/api/v1/outcomes/summary/?condition=knee-pain&group_by=provider")
    summary = summary.json()
    assert page_figure["results"] == summary["results"]


def test_bad_filters_get_a_polite_error_not_a_500(client, analyst, demo_population):
    client.force_login(analyst)
    page = client.get(reverse("dashboard:overview") + "?period=2026Q9&provider=NOPE")
    assert page.status_code == 400
    assert "There is a problem with the filters" in page.content.decode()
    assert (
        client.get(reverse("dashboard:figure_csv", args=["outcome_spc"]) + "?period=x").status_code
        == 400
    )
    api = client.get(reverse("dashboard_api:figure", args=["outcome_spc"]) + "?period=x")
    assert api.status_code == 400 and "period" in api.json()["fields"]
    assert client.get(reverse("dashboard:chart", args=["nothing"])).status_code == 404
    assert (
        client.get(reverse("dashboard:chart", args=["outcome_spc"]) + "?part=nope").status_code
        == 404
    )


def test_a_chart_image_carries_its_own_strict_policy(client, analyst, demo_population):
    client.force_login(analyst)
    charts = [
        chart
        for name in PAGES
        for chart in _links(client.get(reverse(name)).content.decode(), "charts")
    ]
    response = client.get(charts[0])
    assert response.status_code == 200
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "script" not in response.content.decode()


def test_someone_without_a_role_or_provider_is_refused(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("dashboard:overview"))
    assert response.status_code == 403
    assert "do not have access" in response.content.decode()


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client, db):
    response = client.get(reverse("dashboard:overview"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _view_box_width(svg: str) -> float:
    return float(re.search(r'viewBox="0 0 ([\d.]+) ', svg)[1])


def test_a_phone_gets_the_same_chart_drawn_narrower(client, analyst, demo_population):
    client.force_login(analyst)
    page = client.get(reverse("dashboard:condition", args=["knee-pain"])).content.decode()
    narrow_url = re.search(r'<source media="\(max-width: 40em\)" srcset="([^"]+)"', page)[1]
    narrow = client.get(narrow_url.replace("&amp;", "&")).content.decode()
    wide = client.get(narrow_url.replace("&amp;", "&").replace("size=narrow", "")).content.decode()

    assert _view_box_width(narrow) < 0.7 * _view_box_width(wide)
    title = re.search(r"<title[^>]*>(.*?)</title>", wide)[1]
    assert f">{title}</title>" in narrow


def test_an_unknown_chart_size_is_not_found(client, analyst, demo_population):
    client.force_login(analyst)
    url = reverse("dashboard:chart", args=["provider_funnel"]) + "?size=huge"
    assert client.get(url).status_code == 404


def test_a_condition_page_shows_one_value_area_with_links_to_the_others(
    client, analyst, demo_population
):
    client.force_login(analyst)
    url = reverse("dashboard:condition", args=["knee-pain"])
    body = client.get(url + "?area=procedures&period=2026Q1").content.decode()
    assert "Optimising key procedures</h2>" in body
    assert "procedure_rates" in body and "baseline_by_deprivation" not in body
    assert 'href="?area=procedures&amp;period=2026Q1" aria-current="page"' in body
    assert 'href="?area=equity&amp;period=2026Q1"' in body
    assert '<input type="hidden" name="area" value="procedures">' in body


def test_a_condition_page_opens_on_its_first_value_area(client, analyst, demo_population):
    client.force_login(analyst)
    body = client.get(reverse("dashboard:condition", args=["knee-pain"])).content.decode()
    assert f"{VALUE_AREAS[0].title}</h2>" in body
    assert f"{VALUE_AREAS[1].title}</h2>" not in body


def test_an_unknown_value_area_is_not_found(client, analyst, demo_population):
    client.force_login(analyst)
    url = reverse("dashboard:condition", args=["knee-pain"]) + "?area=nowhere"
    assert client.get(url).status_code == 404
