"""The home page's service search is the one search (`civic311.knowledge.search`): typos forgiven as on
`/help/`, on SQLite (FTS5) and PostgreSQL (tsvector and trigrams) alike (issue 14, item 5)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from civic311.catalogue.models import Service
from civic311.knowledge import search

from .factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def graffiti(jurisdiction, department):
    ServiceFactory(
        jurisdiction=jurisdiction, department=department, code="SR-ST03", name="Pothole Repair", keywords="hole, road"
    )
    # Information only: found by /help/, never offered as something to report.
    ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="INFO-GRAFFITI",
        name="Graffiti Information",
        kind=Service.Kind.INFORMATION,
    )
    return ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="SR-CL01",
        name="Graffiti Removal",
        description="Paint or markings on a building, wall or fence.",
        keywords="tagging, spray paint",
        translations={"es": {"name": "Eliminación de grafiti", "description": "Pintura en una pared."}},
    )


def listed(response) -> list[str]:
    return re.findall(r'class="service-item__link" href="[^"]*">([^<]+)</a>', response.content.decode())


@pytest.mark.parametrize("query", ["grafitti", "Graffiti", "GRAFITI removal", "grafiti remoavl", "spray paint"])
def test_the_report_search_forgives_typos(client, graffiti, query):
    response = client.get(reverse("public:choose_service"), {"q": query})
    assert response.status_code == 200
    assert listed(response) == ["Graffiti Removal"]


def test_a_corrected_query_says_what_it_searched_for(client, graffiti):
    html = client.get(reverse("public:choose_service"), {"q": "grafitti"}).content.decode()
    assert 'Did you mean: <a href="/report/?q=graffiti">graffiti</a> (results shown for it)' in html
    assert "1 service matches “grafitti”" in html


def test_the_home_page_search_goes_to_the_same_search(client, graffiti):
    home = client.get("/").content.decode()
    assert f'action="{reverse("public:choose_service")}"' in home
    # What /help/ finds among the services for the typo is what the report search lists.
    found = search.search(graffiti.jurisdiction, "grafitti", language="en")
    assert [hit.service for hit in found if hit.kind == "service" and hit.service.accepts_requests] == [graffiti]


def test_nothing_found_and_hostile_input_are_answered_cleanly(client, graffiti):
    for query in ("zebra crossing", "'; DROP TABLE x; --", '"*', "a" * 500, "NEAR(x y)"):
        response = client.get(reverse("public:choose_service"), {"q": query})
        assert response.status_code == 200, query
        assert "Graffiti Removal" not in listed(response)


def test_spanish_visitors_find_the_spanish_name(client, graffiti):
    client.cookies["django_language"] = "es"
    response = client.get(reverse("public:choose_service"), {"q": "grafitti"}, HTTP_ACCEPT_LANGUAGE="es")
    assert listed(response) == ["Eliminación de grafiti"]


def test_the_search_may_be_narrowed_to_services(graffiti):
    everything = search.search(graffiti.jurisdiction, "graffiti", language="en")
    services = search.search(graffiti.jurisdiction, "graffiti", language="en", kinds=["service"])
    assert {hit.kind for hit in services} == {"service"}
    assert {hit.service for hit in services} == {hit.service for hit in everything if hit.kind == "service"}
