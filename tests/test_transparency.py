"""The public transparency dashboard (issue 20): the city's figures from the rollups, checked against counts
made by hand; private requests and personal data never on it; a bounded number of queries; cached."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civic311.community.services import rollups
from tests.community.helpers import FISHTOWN, NOW, at, neighborhood_city  # noqa: F401  (a fixture)
from tests.factories import NeighborhoodFactory, ServiceFactory, filed_request

URL = "/transparency/"


@pytest.fixture
def world(jurisdiction, neighborhood_city):  # noqa: F811
    """The neighborhood tests' small city, plus an open request in Fishtown with a requester's personal data."""
    neighborhood_city["p"] = filed_request(
        neighborhood_city["dumping"],
        now=at(2026, 4, 12, 10, 0),
        first_name="Zebulon",
        last_name="Quixote",
        email="zebulon.quixote@example.org",
        phone="(215) 555-0199",
        description="A blue velvet sofa behind the garage of number 12",
        **FISHTOWN,
    )
    rollups.rebuild(jurisdiction, now=NOW)
    with time_machine.travel(NOW, tick=False):
        yield neighborhood_city


def _cells(html: str, attribute: str, value: str) -> list[str]:
    row = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', html, re.DOTALL)
    assert row, f"no row {attribute}={value}"
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.DOTALL)
    ]


def test_the_headline_matches_the_hand_counts(client, world):
    response = client.get(URL)
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.month == dt.date(2026, 4, 1) and figures.since == dt.date(2025, 5, 1)
    # Public, filed May 2025 to April 2026: a, b, c, d, f, g, h, p (e is private).
    recent = figures.recent
    assert (recent.filed, recent.closed, recent.closed_with_due_date, recent.closed_on_time) == (8, 4, 4, 3)
    assert recent.closed_percent == 50
    assert recent.on_time_percent == 75  # a, g, h on time; c late
    assert recent.median_days_to_close == 1  # 0 (a), 1 (h), 2 (g), 36 (c): the lower median
    assert (figures.backlog.open_requests, figures.backlog.overdue) == (4, 1)  # b, d, f, p; d overdue
    assert [age.count for age in figures.ages] == [3, 1, 0, 0]  # 1, 3, 5 days; 14 days
    assert figures.as_of == NOW
    html = response.content.decode()
    assert re.search(r'data-figure="filed">8<', html)
    assert re.search(r'data-figure="closed">50%<', html)
    assert re.search(r'data-figure="on-time">75%<', html)
    assert re.search(r'data-figure="median-days">1 day\s*<', html)
    assert re.search(r'data-figure="open">4<', html)
    assert re.search(r'data-figure="overdue">1<', html)
    assert "Figures as of April 15, 2026, noon" in html  # the city's time, not UTC (16:00)


def test_month_by_month(client, world):
    response = client.get(URL)
    months = [
        (row.month, row.cohort.filed, row.cohort.closed, row.cohort.on_time_percent, row.cohort.median_days_to_close)
        for row in response.context["figures"].months
    ]
    assert months == [
        (dt.date(2025, 12, 1), 1, 1, 100, 1),  # h
        (dt.date(2026, 1, 1), 1, 1, 0, 36),  # c
        (dt.date(2026, 2, 1), 1, 1, 100, 2),  # g
        (dt.date(2026, 3, 1), 1, 1, 100, 0),  # a (April 1 in UTC)
        (dt.date(2026, 4, 1), 4, 0, None, None),  # b, d, f, p
    ]
    html = response.content.decode()
    assert _cells(html, "data-month", "2026-01") == ["January 2026", "1", "1", "0%", "36 days"]
    assert _cells(html, "data-month", "2026-04") == ["April 2026", "4", "0", "—", "—"]
    assert html.index('data-month="2026-04"') < html.index('data-month="2025-12"')  # the newest first
    assert html.count("<rect x=") == 2 * 5  # the chart: two bars a month, hidden from screen readers
    assert re.search(r'<div aria-hidden="true" class="mb-3">\s*<svg', html)


def test_by_service_and_by_neighborhood(client, world):
    response = client.get(URL)
    figures = response.context["figures"]
    services = [
        (
            row.name,
            row.cohort.filed,
            row.cohort.closed_percent,
            row.cohort.on_time_percent,
            row.cohort.median_days_to_close,
            row.open_requests,
        )
        for row in figures.services
    ]
    # 4 filed each: the tie goes by name.
    assert services == [("Dumping", 4, 50, 50, 2, 2), ("Pothole", 4, 50, 100, 0, 2)]
    places = [
        (
            row.name,
            row.cohort.filed,
            row.cohort.on_time_percent,
            row.cohort.median_days_to_close,
            row.open_requests,
            row.overdue,
        )
        for row in figures.neighborhoods
    ]
    assert places == [
        ("Center City", 5, 67, 1, 2, 1),  # a, b, c, d, h
        ("Fishtown", 2, None, None, 2, 0),  # f, p
        ("", 1, 100, 2, 0, 0),  # g, in no neighborhood: the last row
    ]
    html = response.content.decode()
    assert _cells(html, "data-service", str(world["dumping"].pk)) == ["Dumping", "4", "50%", "50%", "2 days", "2"]
    assert _cells(html, "data-neighborhood", "center-city") == ["Center City", "5", "67%", "1 day", "2", "1"]
    assert _cells(html, "data-neighborhood", "outside") == ["Outside any neighborhood", "1", "100%", "2 days", "0", "0"]
    assert f'href="{reverse("neighborhoods:detail", args=["fishtown"])}"' in html
    assert html.index('data-neighborhood="fishtown"') < html.index('data-neighborhood="outside"')


def test_links_notes_and_headers(client, world):
    response = client.get(URL)
    html = response.content.decode()
    assert reverse("opendata:dataset") in html and reverse("neighborhoods:index") in html
    assert "About these figures" in html and "Only public requests are counted" in html
    assert response["Cache-Control"] in ("private, max-age=300", "max-age=300, private")
    vary = {value.strip().lower() for value in response["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary
    assert client.post(URL).status_code == 405
    assert "<caption" in html and 'scope="col"' in html and '<div class="table-responsive">' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and " style=" not in html


def test_no_personal_data_and_no_private_request(client, world):
    html = client.get(URL).content.decode()
    for text in ("Zebulon", "Quixote", "zebulon.quixote@example.org", "555-0199", "velvet sofa", "Mattresses"):
        assert text not in html
    for key in ("a", "e", "p"):
        assert world[key].tracking_number not in html


def test_service_names_in_the_reader_s_language_and_spanish_headings(client, world):
    dumping = world["dumping"]
    dumping.translations = {"es": {"name": "Vertido ilegal"}}
    dumping.save(update_fields=["translations"])
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es"' in html
    assert "Vertido ilegal" in html
    assert "Mediana de días hasta el cierre" in html and "Vecindario" in html and "Cifras al" in html
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Vertido ilegal" not in english and "Dumping" in english  # a key per language


def test_the_filters_work_without_javascript(client, world):
    by_service = client.get(URL, {"service": world["pothole"].pk}).context["figures"]
    assert (by_service.recent.filed, by_service.service_id) == (4, world["pothole"].pk)
    by_place = client.get(URL, {"neighborhood": "fishtown"}).context["figures"]
    assert by_place.recent.filed == 2 and [row.slug for row in by_place.neighborhoods] == ["fishtown"]
    for junk in ({"service": "x"}, {"service": "999999"}, {"neighborhood": "nowhere\x00"}, {"service": "1" * 500}):
        response = client.get(URL, junk)
        assert response.status_code == 200 and response.context["figures"].recent.filed == 8


def test_the_page_works_with_no_requests(client, jurisdiction):
    response = client.get(URL)
    assert response.status_code == 200
    figures = response.context["figures"]
    assert (figures.recent.filed, figures.backlog.open_requests, figures.months, figures.services) == (0, 0, (), ())
    html = response.content.decode()
    assert "The figures have not been counted yet." in html and 'data-figure="filed">0<' in html
    rollups.rebuild(jurisdiction)
    assert client.get(URL).status_code == 200


def _city_with(jurisdiction, count):
    places = [NeighborhoodFactory(jurisdiction=jurisdiction, slug=f"place-{n}", name=f"Place {n}") for n in range(2)]
    services = [ServiceFactory(jurisdiction=jurisdiction, name=f"Service {n}") for n in range(3)]
    for n in range(count):
        when = dt.datetime(2026, 1 + n % 4, 1 + n % 20, 10, tzinfo=dt.UTC)
        filed_request(services[n % 3], now=when, is_private=n % 7 == 0, lat="39.9526" if n % 2 else "40.1000")
    assert places
    rollups.rebuild(jurisdiction, now=dt.datetime(2026, 4, 25, tzinfo=dt.UTC))


@pytest.mark.parametrize("count", [3, 30])
def test_the_queries_do_not_grow_with_the_requests(client, jurisdiction, django_assert_max_num_queries, count):
    _city_with(jurisdiction, count)
    with (
        time_machine.travel(dt.datetime(2026, 4, 25, 12, tzinfo=dt.UTC), tick=False),
        django_assert_max_num_queries(12),
    ):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.context["figures"].recent.filed == count - len([n for n in range(count) if n % 7 == 0])


def test_a_second_view_reads_the_cache_and_a_sweep_makes_a_new_key(client, world):
    with CaptureQueriesContext(connection) as first:
        client.get(URL)
    with CaptureQueriesContext(connection) as second:
        client.get(URL)
    assert len(second) < len(first)
    assert not any("community_neighborhoodmonth" in query["sql"] for query in second.captured_queries)
    filed_request(world["pothole"], now=NOW, **FISHTOWN)
    rollups.sweep(world["pothole"].jurisdiction, now=NOW + dt.timedelta(minutes=1))
    assert client.get(URL).context["figures"].recent.filed == 9


def test_shift_month():
    assert rollups.shift_month(dt.date(2026, 4, 1), -11) == dt.date(2025, 5, 1)
    assert rollups.shift_month(dt.date(2026, 4, 1), -23) == dt.date(2024, 5, 1)
    assert rollups.shift_month(dt.date(2025, 12, 1), 1) == dt.date(2026, 1, 1)


def test_the_home_page_links_to_it(client, jurisdiction):
    html = client.get(reverse("public:home")).content.decode()
    assert f'href="{reverse("transparency:dashboard")}"' in html and "City performance" in html
