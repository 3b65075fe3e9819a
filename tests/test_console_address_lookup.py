"""The agent console's address lookup (issue 21): its own POST endpoints over `jurisdictions.geocoding` (only
the agent working the contact asks; anyone else is sent to sign in or refused), the same JSON rows as the
public report form's, the report form's map and lookup on the contact's page, and a request filed at the
point the agent chose (or at the address the intake rule placed, without JavaScript)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from civic311 import rate_limits
from civic311.catalogue.models import Service
from civic311.console import address_views, services
from civic311.jurisdictions import geocoding
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people.models import StaffRole, User
from civic311.service_requests.models import Contact, ServiceRequest

from .factories import JurisdictionFactory, staff_in_role

pytestmark = pytest.mark.django_db

# Center City (the `center_city` fixture) is the box 39.94-39.96 N, 75.18-75.14 W.
POINTS = [
    ("1400 John F Kennedy Blvd", 39.95360, -75.16360),
    ("1500 Market St", 39.95290, -75.16540),
    ("1520 Market St", 39.95300, -75.16580),
    ("1501 Market St", 39.95270, -75.16545),
]
FAR_FROM_EVERY_POINT = {"lat": "39.9050", "long": "-75.2300"}


@pytest.fixture(autouse=True)
def _fresh_street_names() -> Iterator[None]:
    geocoding.forget_cached_addresses()
    yield
    geocoding.forget_cached_addresses()


@pytest.fixture
def city(jurisdiction: Jurisdiction, center_city: Neighborhood) -> Jurisdiction:
    geocoding.replace_address_points(jurisdiction, [geocoding.address_point(jurisdiction, *row) for row in POINTS])
    return jurisdiction


@pytest.fixture
def agent(db) -> User:
    return staff_in_role(StaffRole.AGENT, username="alex")


@pytest.fixture
def contact(city: Jurisdiction, agent: User) -> Contact:
    return services.start_contact(city, agent, "phone")


def urls(contact: Contact) -> tuple[str, str]:
    return (
        reverse("console:address_suggestions", args=[contact.pk]),
        reverse("console:address_at", args=[contact.pk]),
    )


# --- who may ask -------------------------------------------------------------------------------------------------


def test_the_agent_working_the_contact_gets_the_geocoders_suggestions(
    client: Client, contact: Contact, agent: User, city: Jurisdiction
) -> None:
    client.force_login(agent)
    suggestions, _at = urls(contact)
    response = client.post(suggestions, {"q": "1500 mark"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    expected = [
        {"address": place.address, "lat": round(place.lat, 6), "long": round(place.long, 6)}
        for place in geocoding.suggest(city, "1500 mark", limit=geocoding.LOOKUP_SUGGESTIONS)
    ]
    assert response.json() == expected == geocoding.suggestion_rows(city, "1500 mark")
    assert expected[0] == {"address": "1500 Market St", "lat": 39.9529, "long": -75.1654}
    assert all(set(row) == {"address", "lat", "long"} for row in response.json())
    # The public form's endpoint answers the same rows (one shaping, in jurisdictions.geocoding).
    assert Client().post(reverse("public:address_suggestions"), {"q": "1500 mark"}).json() == expected


def test_the_agent_gets_the_address_nearest_a_pin(client: Client, contact: Contact, agent: User, city) -> None:
    client.force_login(agent)
    _suggestions, at = urls(contact)
    response = client.post(at, {"lat": "39.95292", "long": "-75.16555"})
    assert response.status_code == 200 and response.json() == {"address": "1500 Market St"}
    assert response.json() == geocoding.address_row(city, 39.95292, -75.16555)
    assert "no-store" in response["Cache-Control"]
    nothing = client.post(at, FAR_FROM_EVERY_POINT)
    assert nothing.status_code == 404 and nothing.json() == {"error": "No address of the city is near this point."}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"lat": "39.95"},
        {"lat": "north", "long": "-75.16"},
        {"lat": "91", "long": "-75.16"},
        {"lat": "nan", "long": "1"},
    ],
)
def test_a_bad_point_is_a_clear_json_error(client: Client, contact: Contact, agent: User, query: dict) -> None:
    client.force_login(agent)
    response = client.post(urls(contact)[1], query)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json() == {"error": "Give a latitude and a longitude."}


def test_an_empty_short_or_nul_query_suggests_nothing(client: Client, contact: Contact, agent: User) -> None:
    client.force_login(agent)
    suggestions, _at = urls(contact)
    for query in ({}, {"q": ""}, {"q": "15"}, {"q": "1500 mark\x00"}):
        response = client.post(suggestions, query)
        assert response.status_code == 200 and response.json() == [], query


def test_a_get_is_refused_what_was_typed_is_never_in_a_url(client: Client, contact: Contact, agent: User) -> None:
    client.force_login(agent)
    suggestions, at = urls(contact)
    assert client.get(suggestions, {"q": "1500 mark"}).status_code == 405
    assert client.get(at, {"lat": "39.95292", "long": "-75.16555"}).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, contact: Contact) -> None:
    for url in urls(contact):
        response = client.post(url, {"q": "1500 mark", "lat": "39.95292", "long": "-75.16555"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url


def test_a_resident_and_staff_without_the_console_are_refused(client: Client, contact: Contact, department) -> None:
    resident = get_user_model().objects.create_user("pat", "pat@example.org", "a long resident password")
    worker = staff_in_role(StaffRole.DEPARTMENT_STAFF, department)
    for user in (resident, worker):
        client.force_login(user)
        for url in urls(contact):
            response = client.post(url, {"q": "1500 mark", "lat": "39.95292", "long": "-75.16555"})
            assert response.status_code == 403, (user, url)
            assert b"1500 Market St" not in response.content


def test_only_the_agent_working_the_contact_asks(client: Client, contact: Contact, agent: User) -> None:
    client.force_login(staff_in_role(StaffRole.AGENT, username="blair"))
    for url in urls(contact):
        assert client.post(url, {"q": "1500 mark"}).status_code == 403, url
    supervisor = staff_in_role(StaffRole.SUPERVISOR, username="sasha")
    client.force_login(supervisor)  # looks at the contact, files nothing on it
    for url in urls(contact):
        assert client.post(url, {"q": "1500 mark"}).status_code == 403, url


def test_the_contacts_city_answers_not_another(client: Client, agent: User, contact: Contact) -> None:
    other = JurisdictionFactory(slug="springfield", name="Springfield", jurisdiction_id="springfield.gov")
    geocoding.replace_address_points(
        other, [geocoding.address_point(other, "1500 Market Street West", 39.9529, -75.1654)]
    )
    theirs = services.start_contact(other, agent, "phone")
    client.force_login(agent)
    assert [row["address"] for row in client.post(urls(theirs)[0], {"q": "1500 mark"}).json()] == [
        "1500 Market Street West"
    ]
    assert "1500 Market Street West" not in str(client.post(urls(contact)[0], {"q": "1500 mark"}).json())


def test_the_lookups_are_rate_limited_per_agent(
    client: Client, contact: Contact, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(address_views, "LOOKUPS", rate_limits.Rate("console_address_lookup", 2, 3600))
    client.force_login(agent)
    suggestions, at = urls(contact)
    assert client.post(suggestions, {"q": "1500 mark"}).status_code == 200
    assert client.post(at, {"lat": "39.95292", "long": "-75.16555"}).status_code == 200
    refused = client.post(suggestions, {"q": "1500 mark"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0 and "error" in refused.json()


# --- the report form ------------------------------------------------------------------------------------------------


def test_the_report_form_has_the_lookup_and_the_map(client: Client, contact: Contact, agent: User, service) -> None:
    client.force_login(agent)
    response = client.get(reverse("console:contact", args=[contact.pk]), {"service": service.code})
    page = response.content.decode()
    suggestions, at = urls(contact)
    assert f'data-suggest-url="{suggestions}"' in page and f'data-at-url="{at}"' in page
    assert 'id="report-map"' in page and "data-map hidden" in page  # shown by its script only
    assert "public/address_lookup.js" in page and "civic311/js/report.js" in page and "leaflet.js" in page
    config = response.context["map_config"]
    assert config["bounds"] and "Click where the caller says" in str(config["messages"]["mapLabel"])
    assert json.loads(json.dumps(config, default=str))  # the page's JSON (json_script)
    # No inline script or style: the page's only scripts are files (the content security policy).
    assert "<script>" not in page and " style=" not in page
    # Without a report form, no map and no lookup.
    assert "report.js" not in client.get(reverse("console:contact", args=[contact.pk])).content.decode()


def test_a_request_filed_at_the_chosen_point_keeps_it_and_its_neighborhood(
    client: Client, contact: Contact, agent: User, service: Service, center_city: Neighborhood
) -> None:
    client.force_login(agent)
    chosen = client.post(urls(contact)[0], {"q": "1400 john"}).json()[0]
    filed = client.post(
        reverse("console:file_request", args=[contact.pk]),
        {
            "service": service.code,
            "description": "Boxes by the subway entrance.",
            "address": chosen["address"],
            "lat": f"{chosen['lat']:.6f}",
            "long": f"{chosen['long']:.6f}",
        },
    )
    assert filed.status_code == 302
    request = ServiceRequest.objects.get()
    assert (request.address, request.lat, request.long) == ("1400 John F Kennedy Blvd", 39.9536, -75.1636)
    assert request.neighborhood == center_city
    contact.refresh_from_db()
    assert contact.service_request == request


def test_without_javascript_a_typed_address_is_placed_by_the_intake_rule(
    client: Client, contact: Contact, agent: User, service: Service, center_city: Neighborhood
) -> None:
    client.force_login(agent)
    filed = client.post(
        reverse("console:file_request", args=[contact.pk]),
        {"service": service.code, "description": "A fridge on the corner.", "address": "1500 Market Street"},
    )
    assert filed.status_code == 302
    request = ServiceRequest.objects.get()
    assert (request.address, request.lat, request.long) == ("1500 Market St", 39.9529, -75.1654)
    assert request.neighborhood == center_city
