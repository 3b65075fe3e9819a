"""The public neighborhood pages: index, page, JSON, map points, Atom feed, and the links to them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.urls import reverse

from civic311.community.selectors import neighborhoods as selectors
from civic311.community.services import rollups
from tests.community.helpers import NOW, neighborhood_city  # noqa: F401  (a fixture)

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _no_kept_medians():
    selectors.forget_cached_figures()
    yield
    selectors.forget_cached_figures()


@pytest.fixture
def counted(jurisdiction, neighborhood_city):  # noqa: F811
    rollups.rebuild(jurisdiction, now=NOW)
    with time_machine.travel(NOW, tick=False):
        yield neighborhood_city


def page_url(world, **query):
    url = reverse("neighborhoods:detail", args=[world["center"].slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_index_lists_the_neighborhoods_alphabetically_and_filters_without_javascript(client, counted):
    response = client.get(reverse("neighborhoods:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Center City") < html.index("Fishtown")
    assert reverse("neighborhoods:detail", args=["fishtown"]) in html
    found = client.get(reverse("neighborhoods:index"), {"q": "fish"}).content.decode()
    assert "Fishtown" in found and reverse("neighborhoods:detail", args=["center-city"]) not in found
    assert client.get(reverse("neighborhoods:index"), {"q": "x" * 5000}).status_code == 200


def test_the_page_shows_the_figures_next_to_the_city_s(client, counted):
    response = client.get(page_url(counted))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-figure="this-month">2<', html)
    assert re.search(r'data-figure="this-year">4 ', html)
    assert re.search(r'data-figure="open">2<', html)
    assert re.search(r'data-figure="overdue">1<', html)
    assert re.search(r'data-figure="on-time">50%<', html)
    assert "Figures as of" in html
    # The backlog's ages are days in [low, high): the labels never share a day.
    assert all(label in html for label in ("Less than 7 days", "7 to 29 days", "30 to 89 days", "90 days or more"))


def test_the_list_works_without_the_map_and_links_every_request_to_its_track_page(client, counted):
    html = client.get(page_url(counted)).content.decode()
    assert "data-request-list" in html
    for key in ("a", "b", "c", "d", "h"):
        assert reverse("public:track_request", args=[counted[key].tracking_number]) in html
    assert counted["e"].tracking_number not in html  # private
    assert counted["f"].tracking_number not in html  # Fishtown's
    # The map is hidden until its script shows it; its points come from map.json, not an inline script.
    assert "data-neighborhood-map-section hidden" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html


def test_the_list_filters_open_and_closed(client, counted):
    open_html = client.get(page_url(counted, state="open")).content.decode()
    assert counted["b"].tracking_number in open_html and counted["a"].tracking_number not in open_html
    closed_html = client.get(page_url(counted, state="closed")).content.decode()
    assert counted["a"].tracking_number in closed_html and counted["b"].tracking_number not in closed_html
    assert client.get(page_url(counted, state="nonsense", page="abc")).status_code == 200


def test_pages_of_requests_are_counted_from_the_rollups(client, counted, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    first = client.get(page_url(counted)).content.decode()
    assert "Page 1 of 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get(page_url(counted, page=99)).content.decode()
    assert "Page 3 of 3" in last and 'rel="next"' not in last
    with django_assert_max_num_queries(14):
        client.get(page_url(counted))


def test_liaisons_on_the_page_only_with_consent_and_by_first_name_and_initial(client, counted):
    from tests.community.helpers import make_liaison

    make_liaison([counted["center"]], email="ana@example.org", show_on_neighborhood_page=True)
    make_liaison([counted["center"]], email="bo@example.org", status="lapsed", show_on_neighborhood_page=True)
    html = client.get(page_url(counted)).content.decode()
    assert html.count("<li>Lee L.</li>") == 1  # the lapsed one is not shown
    assert "Lee Liaison" not in html and "ana@example.org" not in html


def test_json_has_the_documented_shape_and_may_be_read_by_other_sites(client, counted):
    response = client.get(reverse("neighborhoods:figures_json", args=["center-city"]))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    data = json.loads(response.content)
    assert set(data) == {
        "neighborhood",
        "city",
        "figures_as_of",
        "month",
        "year",
        "figures",
        "recent_requests",
        "links",
    }
    assert data["neighborhood"] == {"slug": "center-city", "name": "Center City"}
    assert data["month"] == "2026-04"
    figures = data["figures"]
    assert figures["requests_this_month"] == {"neighborhood": 2, "city": 3}
    assert figures["requests_this_year"] == {"neighborhood": 4, "city": 6}
    assert figures["open_backlog"]["neighborhood"]["open"] == 2
    assert figures["open_backlog"]["neighborhood"]["by_age"][0] == {"from_days": 0, "to_days": 7, "count": 1}
    assert figures["open_backlog"]["city"]["by_age"][-1]["to_days"] is None
    assert figures["on_time_rate"]["neighborhood"] == 0.5
    assert figures["median_days_to_close"] == {"neighborhood": 0, "city": 2}
    assert {item["service_name"] for item in figures["top_services_this_year"]} == {"Pothole", "Dumping"}
    numbers = [item["tracking_number"] for item in data["recent_requests"]]
    assert numbers[0] == counted["b"].tracking_number  # newest first
    assert counted["e"].tracking_number not in numbers
    assert set(data["recent_requests"][0]) >= {"service_code", "status", "open", "requested_at", "url", "lat", "long"}
    assert data["links"]["feed"].endswith("/feed.atom")


def test_map_points_are_geojson_of_public_requests_with_the_outline(client, counted):
    response = client.get(reverse("neighborhoods:map_json", args=["center-city"]))
    data = json.loads(response.content)
    kinds = [feature["properties"]["kind"] for feature in data["features"]]
    assert kinds[0] == "boundary" and kinds.count("request") == 5
    numbers = {feature["properties"].get("number") for feature in data["features"]}
    assert counted["e"].tracking_number not in numbers


def test_the_feed_is_atom_of_new_and_closed_requests_linking_to_their_track_pages(client, counted):
    response = client.get(reverse("neighborhoods:feed", args=["center-city"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314  (our own output)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    titles = [entry.findtext(f"{ATOM}title") or "" for entry in entries]
    links = [entry.find(f"{ATOM}link").get("href") or "" for entry in entries]  # type: ignore[union-attr]
    assert len(entries) == 5
    assert any(title.startswith("Closed: Pothole") for title in titles)
    assert any(title.startswith("New: Dumping") for title in titles)
    assert all("/track/" in link for link in links)
    assert not any(counted["e"].tracking_number in link for link in links)
    updated = [entry.findtext(f"{ATOM}updated") or "" for entry in entries]
    assert updated == sorted(updated, reverse=True)


@pytest.mark.parametrize("name", ["detail", "figures_json", "map_json", "feed"])
def test_an_unknown_neighborhood_is_not_found(client, counted, name):
    assert client.get(reverse(f"neighborhoods:{name}", args=["atlantis"])).status_code == 404


def test_a_neighborhood_of_another_city_is_not_found(client, counted):
    from tests.factories import JurisdictionFactory, NeighborhoodFactory

    other = JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camden.gov", is_default=False)
    NeighborhoodFactory(jurisdiction=other, slug="cramer-hill", name="Cramer Hill")
    assert client.get(reverse("neighborhoods:detail", args=["cramer-hill"])).status_code == 404


def test_the_home_and_track_pages_link_to_the_neighborhoods(client, counted):
    assert reverse("neighborhoods:index") in client.get(reverse("public:home")).content.decode()
    track = client.get(reverse("public:track_request", args=[counted["a"].tracking_number])).content.decode()
    assert reverse("neighborhoods:detail", args=["center-city"]) in track


def test_the_page_renders_in_spanish(client, counted):
    response = client.get(page_url(counted), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200 and 'lang="es"' in response.content.decode()
