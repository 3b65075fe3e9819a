"""The staff REST API (/api/v1/): reads, writes through the request services, permissions as in the
admin, jurisdiction scoping, token authentication, and the schema and its interactive page."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civic311.catalogue.models import RoutingRule, Service
from civic311.people.models import PersonalDataAccess, StaffRole
from civic311.service_requests import services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Channel, Contact, HistoryEntry, ServiceRequest

from .factories import (
    DepartmentFactory,
    JurisdictionFactory,
    RoutingRuleFactory,
    ServiceFactory,
    StaffFactory,
    filed_request,
    select_attribute,
    with_role,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
READ = ("requests.view_servicerequest", "catalogue.view_department", "catalogue.view_service")
WORK = (*READ, "requests.change_servicerequest", "requests.add_servicerequest")

REQUEST_KEYS = {
    "tracking_number",
    "service_code",
    "service_name",
    "department",
    "status",
    "open311_status",
    "status_notes",
    "channel",
    "description",
    "address",
    "zipcode",
    "lat",
    "long",
    "neighborhood",
    "attributes",
    "is_private",
    "hazard",
    "assignee",
    "duplicate_of",
    "parent_request",
    "media_url",
    "requested_at",
    "updated_at",
    "expected_at",
    "closed_at",
    "overdue",
    "photos",
    "requester",
}


def grant(user, *permissions: str):
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return type(user).objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def agent(db):
    """A supervisor: files for callers and works any request of the city."""
    return with_role(
        grant(StaffFactory(username="agent", first_name="Alex", last_name="Agent"), *WORK), StaffRole.SUPERVISOR
    )


@pytest.fixture
def api(agent):
    return token_client(agent)


@pytest.fixture
def filed(service, center_city):
    return filed_request(
        service,
        first_name="Pat",
        last_name="Resident",
        email="pat@example.org",
        phone="215-555-0100",
        address="1400 John F Kennedy Blvd",
        answers={},
    )


@pytest.fixture
def camden(db):
    """Another jurisdiction with its own catalogue and a request numbered like Philadelphia's first."""
    camden = JurisdictionFactory(
        slug="camden",
        name="Camden",
        jurisdiction_id="ci.camden.nj.us",
        is_default=False,
        host="camden.example",
        min_lat=39.90,
        max_lat=39.97,
        min_long=-75.14,
        max_long=-75.06,
    )
    department = DepartmentFactory(jurisdiction=camden, slug="camden-public-works", name="Camden Public Works")
    service = ServiceFactory(jurisdiction=camden, department=department, code="CAM-01", name="Camden Potholes")
    filed_request(service, lat="39.94", long="-75.10", description="A Camden pothole.")
    return camden


# --- authentication and permissions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/requests/",
        f"{API}/services/",
        f"{API}/departments/",
        f"{API}/requests/10000001/",
        f"{API}/requests/10000001/history/",
    ],
)
def test_an_anonymous_caller_gets_401_and_is_told_to_send_a_token(url, filed):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_an_anonymous_caller_cannot_write(filed):
    response = APIClient().post(
        f"{API}/requests/{filed.tracking_number}/status/", {"status": "acknowledged"}, format="json"
    )
    assert response.status_code == 401
    filed.refresh_from_db()
    assert filed.status == Status.NEW


def test_a_wrong_or_revoked_token_is_401(agent, filed):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(f"{API}/requests/").status_code == 401
    api = token_client(agent)
    Token.objects.filter(user=agent).delete()
    assert api.get(f"{API}/requests/").status_code == 401


def test_an_inactive_members_token_stops_working(agent, api):
    agent.is_active = False
    agent.save()
    assert api.get(f"{API}/requests/").status_code == 401


def test_a_user_who_is_not_staff_gets_403_even_with_the_permissions(filed):
    resident = grant(StaffFactory(username="not-staff", is_staff=False), *WORK)
    client = token_client(resident)
    assert client.get(f"{API}/requests/").status_code == 403
    assert client.get(f"{API}/departments/").status_code == 403


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/requests/", None),
        ("get", "/requests/10000001/", None),
        ("get", "/requests/10000001/history/", None),
        ("get", "/services/", None),
        ("get", "/services/SR-ST02/", None),
        ("get", "/departments/", None),
        ("get", "/departments/streets/", None),
        ("post", "/requests/", {"service_code": "SR-ST02", "address": "1 Main St"}),
        ("post", "/requests/10000001/status/", {"status": "acknowledged"}),
        ("post", "/requests/10000001/notes/", {"text": "Hello"}),
        ("patch", "/requests/10000001/", {"description": "Changed"}),
    ],
)
def test_staff_without_the_permission_gets_403(method, url, body, filed):
    client = token_client(StaffFactory(username="no-rights"))
    response = getattr(client, method)(API + url, body, format="json")
    assert response.status_code == 403
    filed.refresh_from_db()
    assert (filed.status, filed.description) == (Status.NEW, "Mattresses on the sidewalk.")
    assert ServiceRequest.objects.count() == 1


def test_seeing_requests_does_not_let_you_change_or_file_them(filed):
    viewer = token_client(grant(with_role(StaffFactory(username="viewer"), StaffRole.AGENT, with_group=False), *READ))
    assert viewer.get(f"{API}/requests/{filed.tracking_number}/").status_code == 200
    assert (
        viewer.post(
            f"{API}/requests/{filed.tracking_number}/status/", {"status": "acknowledged"}, format="json"
        ).status_code
        == 403
    )
    assert (
        viewer.post(f"{API}/requests/{filed.tracking_number}/notes/", {"text": "Hi"}, format="json").status_code == 403
    )
    assert viewer.patch(f"{API}/requests/{filed.tracking_number}/", {"hazard": True}, format="json").status_code == 403
    assert viewer.post(f"{API}/requests/", {"service_code": "SR-ST02"}, format="json").status_code == 403


def test_like_the_admin_the_change_permission_also_lets_you_read(filed):
    worker = token_client(
        with_role(
            grant(StaffFactory(username="worker"), "requests.change_servicerequest"),
            StaffRole.DEPARTMENT_STAFF,
            filed.department,
        )
    )
    assert worker.get(f"{API}/requests/{filed.tracking_number}/").status_code == 200
    assert (
        worker.post(
            f"{API}/requests/{filed.tracking_number}/status/", {"status": "acknowledged"}, format="json"
        ).status_code
        == 200
    )


def test_filing_needs_only_the_add_permission_and_a_role_that_files(service, center_city):
    user = grant(StaffFactory(username="filer"), "requests.add_servicerequest")
    filer = token_client(user)
    body = {"service_code": service.code, "address": "1 Main St"}
    refused = filer.post(f"{API}/requests/", body, format="json")
    assert refused.status_code == 403 and "roles" in refused.json()["detail"]
    assert not ServiceRequest.objects.exists()
    with_role(user, StaffRole.DEPARTMENT_STAFF, service.department, with_group=False)
    assert filer.post(f"{API}/requests/", body, format="json").status_code == 201
    assert filer.get(f"{API}/requests/").status_code == 403


def test_the_session_of_a_signed_in_member_of_staff_works_too_with_csrf_for_writes(agent, filed):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get(f"{API}/requests/{filed.tracking_number}/").status_code == 200
    response = client.post(f"{API}/requests/{filed.tracking_number}/status/", {"status": "acknowledged"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# --- departments and services ------------------------------------------------------------------------


def test_departments_are_listed_for_this_jurisdiction_only(api, department, camden):
    DepartmentFactory(
        jurisdiction=department.jurisdiction,
        slug="water",
        name="Water Department",
        translations={"es": {"name": "Departamento de Agua"}},
    )
    response = api.get(f"{API}/departments/")
    assert response.status_code == 200
    body = response.json()
    assert [row["slug"] for row in body] == ["streets", "water"]
    assert body[0] == {
        "slug": "streets",
        "name": "Streets Department",
        "point_person": "",
        "contact_email": "streets@example.org",
        "contact_phone": "",
        "opens_at": "08:30",
        "closes_at": "17:00",
        "open_weekdays": [0, 1, 2, 3, 4],
    }
    spanish = api.get(f"{API}/departments/water/", HTTP_ACCEPT_LANGUAGE="es").json()
    assert spanish["name"] == "Departamento de Agua"


def test_a_department_of_another_jurisdiction_is_not_found(api, department, camden):
    assert api.get(f"{API}/departments/streets/").status_code == 200
    assert api.get(f"{API}/departments/camden-public-works/").status_code == 404


def test_services_come_with_their_questions_and_choices(api, service, camden):
    select_attribute(service, "size", ["small", "large"], required=True)
    ServiceFactory(
        jurisdiction=service.jurisdiction,
        department=service.department,
        code="SR-INFO",
        name="Information Request",
        kind=Service.Kind.INFORMATION,
        is_active=False,
    )
    body = api.get(f"{API}/services/").json()
    assert {row["code"] for row in body} == {"SR-ST02", "SR-INFO"}  # staff see the whole catalogue
    dumping = api.get(f"{API}/services/SR-ST02/").json()
    assert dumping["name"] == "Illegal Dumping"
    assert dumping["department"] == "streets"
    assert dumping["sla_unit"] == "business_days" and dumping["sla_value"] == 5
    assert dumping["attributes"] == [
        {
            "code": "size",
            "datatype": "singlevaluelist",
            "description": dumping["attributes"][0]["description"],
            "datatype_description": "",
            "required": True,
            "variable": True,
            "order": 0,
            "values": [{"key": "small", "name": "Small"}, {"key": "large", "name": "Large"}],
        }
    ]
    assert api.get(f"{API}/services/CAM-01/").status_code == 404
    assert api.get(f"{API}/services/NOPE/").status_code == 404


def test_catalogue_reads_take_a_fixed_number_of_queries(api, service, django_assert_max_num_queries):
    for n in range(5):
        select_attribute(
            ServiceFactory(jurisdiction=service.jurisdiction, department=service.department), f"q{n}", ["a", "b"]
        )
    with django_assert_max_num_queries(12):
        assert len(api.get(f"{API}/services/").json()) == 6


# --- reading requests ----------------------------------------------------------------------------------


def test_a_request_is_read_by_its_tracking_number(api, filed, center_city):
    response = api.get(f"{API}/requests/{filed.tracking_number}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == REQUEST_KEYS
    assert body["tracking_number"] == "10000001"
    assert body["service_code"] == "SR-ST02"
    assert body["department"] == "streets"
    assert body["status"] == "new" and body["open311_status"] == "open"
    assert body["neighborhood"] == "center-city"
    assert body["lat"] == pytest.approx(39.9526)
    assert body["overdue"] is False
    assert body["assignee"] is None and body["photos"] == []
    assert dt.datetime.fromisoformat(body["requested_at"]) == filed.requested_at


def test_personal_data_is_hidden_from_department_staff_unless_the_request_is_theirs(filed):
    worker = with_role(StaffFactory(username="worker"), StaffRole.DEPARTMENT_STAFF, filed.department)
    crew = token_client(worker)
    body = crew.get(f"{API}/requests/{filed.tracking_number}/").json()
    assert body["requester"] is None
    text = str(crew.get(f"{API}/requests/").json())
    for private in ("Pat", "pat@example.org", "215-555-0100", "+12155550100", "555-0100"):
        assert private not in text
    assert not PersonalDataAccess.objects.exists()

    services.change_status(filed, Status.ASSIGNED, actor=worker, assignee=worker)
    body = crew.get(f"{API}/requests/{filed.tracking_number}/").json()
    assert body["requester"]["email"] == "pat@example.org"  # their own request now


def test_agents_and_supervisors_see_the_requester_and_every_look_is_audited(api, agent, filed):
    body = api.get(f"{API}/requests/{filed.tracking_number}/").json()
    assert body["requester"] == {
        "first_name": "Pat",
        "last_name": "Resident",
        "email": "pat@example.org",
        "phone": "+12155550100",  # E.164
    }
    api.get(f"{API}/requests/")
    audit = list(PersonalDataAccess.objects.values_list("user__username", "requester_id", "purpose", "where"))
    assert audit == [("agent", filed.requester_id, "view", "staff API")] * 2


def test_a_request_of_another_jurisdiction_is_not_found(api, service, camden):
    camden_request = ServiceRequest.objects.get(jurisdiction=camden)
    assert camden_request.tracking_number == "10000001"
    assert api.get(f"{API}/requests/10000001/").status_code == 404  # Philadelphia has none yet
    assert api.get(f"{API}/requests/10000001/history/").status_code == 404
    assert api.post(f"{API}/requests/10000001/status/", {"status": "acknowledged"}, format="json").status_code == 404
    assert api.post(f"{API}/requests/10000001/notes/", {"text": "x"}, format="json").status_code == 404
    assert api.patch(f"{API}/requests/10000001/", {"hazard": True}, format="json").status_code == 404
    assert api.get(f"{API}/requests/").json()["results"] == []
    camden_request.refresh_from_db()
    assert camden_request.status == Status.NEW and not camden_request.hazard


def test_the_host_picks_the_jurisdiction(api, filed, camden, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "camden.example"]
    ours = api.get(f"{API}/requests/10000001/").json()
    theirs = api.get(f"{API}/requests/10000001/", HTTP_HOST="camden.example").json()
    assert ours["service_code"] == "SR-ST02"
    assert theirs["service_code"] == "CAM-01"
    assert [row["slug"] for row in api.get(f"{API}/departments/", HTTP_HOST="camden.example").json()] == [
        "camden-public-works"
    ]


@pytest.fixture
def several(service, center_city):
    """Five requests a day apart, oldest first; the second acknowledged, the third closed, the last elsewhere."""
    other = ServiceFactory(
        jurisdiction=service.jurisdiction,
        code="SR-GR01",
        name="Graffiti",
        department=DepartmentFactory(jurisdiction=service.jurisdiction, slug="clean"),
    )
    start = timezone.now() - dt.timedelta(days=30)
    requests = []
    for n in range(5):
        report = services.Report(service_code=(other if n == 4 else service).code, address=f"{n} Main St")
        requests.append(services.submit(service.jurisdiction, report, now=start + dt.timedelta(days=n)).service_request)
    services.change_status(requests[1], Status.ACKNOWLEDGED, actor=None, now=start + dt.timedelta(days=10))
    services.change_status(
        requests[2], Status.CLOSED, actor=None, public_reason="Issue Resolved", now=start + dt.timedelta(days=11)
    )
    return requests


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["tracking_number"] for row in response.json()["results"]]


def test_the_list_is_newest_first_in_pages_followed_by_cursor(api, several):
    page = api.get(f"{API}/requests/", {"page_size": 2}).json()
    assert set(page) == {"next", "previous", "results"}
    assert set(page["results"][0]) == REQUEST_KEYS
    seen = [row["tracking_number"] for row in page["results"]]
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [row["tracking_number"] for row in page["results"]]
    assert seen == ["10000005", "10000004", "10000003", "10000002", "10000001"]
    assert api.get(f"{API}/requests/", {"cursor": "garbage"}).status_code == 404


def test_the_list_filters_by_status_department_service_and_update_time(api, several):
    assert numbers(api.get(f"{API}/requests/", {"status": "closed"})) == ["10000003"]
    assert numbers(api.get(f"{API}/requests/?status=closed&status=acknowledged")) == ["10000003", "10000002"]
    assert numbers(api.get(f"{API}/requests/", {"department": "clean"})) == ["10000005"]
    assert numbers(api.get(f"{API}/requests/", {"service_code": "SR-GR01"})) == ["10000005"]
    assert numbers(api.get(f"{API}/requests/", {"department": "nowhere"})) == []
    after = (several[4].updated_at + dt.timedelta(seconds=1)).isoformat()
    assert numbers(api.get(f"{API}/requests/", {"updated_after": after})) == ["10000003", "10000002"]


def test_the_overdue_filter_finds_open_requests_past_their_date(api, several):
    # Filed 26-30 days ago with a 5-business-day SLA: every open one is late; the closed one is not.
    assert numbers(api.get(f"{API}/requests/", {"overdue": "true"})) == ["10000005", "10000004", "10000002", "10000001"]
    assert numbers(api.get(f"{API}/requests/", {"overdue": "false"})) == ["10000003"]
    assert numbers(api.get(f"{API}/requests/")) == ["10000005", "10000004", "10000003", "10000002", "10000001"]
    assert api.get(f"{API}/requests/10000001/").json()["overdue"] is True


@pytest.mark.parametrize(
    "query", [{"status": "lost"}, {"updated_after": "yesterday"}, {"overdue": "maybe"}, {"department": "x" * 101}]
)
def test_a_bad_filter_is_a_400_naming_the_parameter(api, several, query):
    response = api.get(f"{API}/requests/", query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_listing_takes_a_fixed_number_of_queries(api, several, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert len(api.get(f"{API}/requests/").json()["results"]) == 5


def test_the_history_has_public_and_internal_entries(api, filed, agent):
    services.add_note(filed, "Crew scheduled for Tuesday.", actor=agent, public=False)
    services.change_status(filed, Status.ACKNOWLEDGED, actor=agent, public_reason="We are on it.")
    body = api.get(f"{API}/requests/{filed.tracking_number}/history/").json()
    assert [(row["kind"], row["is_public"]) for row in body] == [("opened", True), ("note", False), ("status", True)]
    assert body[0]["who"] == "Resident" and body[0]["actor"] is None
    assert body[1] == {**body[1], "who": "Alex Agent", "actor": "agent", "text": "Crew scheduled for Tuesday."}
    assert body[2]["from_status"] == "new" and body[2]["to_status"] == "acknowledged"
    assert set(body[0]) == {"id", "kind", "is_public", "who", "actor", "from_status", "to_status", "text", "created_at"}


# --- writes through the lifecycle services --------------------------------------------------------------


def status_change(api, service_request, **body):
    return api.post(f"{API}/requests/{service_request.tracking_number}/status/", body, format="json")


def test_a_legal_status_change_moves_the_request_and_records_who(api, filed, agent):
    response = status_change(api, filed, status="in_progress", public_reason="Crew on site.", internal_note="Truck 12.")
    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"
    assert response.json()["status_notes"] == "Crew on site."
    filed.refresh_from_db()
    assert filed.status == Status.IN_PROGRESS
    entries = list(filed.history.order_by("pk").values_list("kind", "actor", "is_public"))
    assert entries[-2:] == [("status", agent.pk, True), ("note", agent.pk, False)]


def test_an_illegal_status_change_is_a_400_that_says_what_is_allowed_and_changes_nothing(api, filed, agent):
    services.change_status(filed, Status.CLOSED, actor=agent, public_reason="Issue Resolved")
    entries = filed.history.count()
    response = status_change(api, filed, status="in_progress")
    assert response.status_code == 400
    assert response.json() == {
        "status": ["A request that is “Closed” cannot become “In progress”. It can become: Reopened."]
    }
    filed.refresh_from_db()
    assert filed.status == Status.CLOSED
    assert filed.history.count() == entries


def test_the_services_field_errors_come_back_as_drf_field_errors(api, filed):
    response = status_change(api, filed, status="closed")
    assert response.status_code == 400
    assert response.json() == {"public_reason": ["Give the reason the resident will see."]}
    assert status_change(api, filed, status="assigned").json() == {
        "assignee": ["Choose who the request is assigned to."]
    }
    assert status_change(api, filed, status="assigned", assignee="nobody").json() == {
        "assignee": ["There is no staff member with that username."]
    }
    StaffFactory(username="resident", is_staff=False)
    assert status_change(api, filed, status="assigned", assignee="resident").json() == {
        "assignee": ["Requests can only be assigned to active staff."]
    }
    assert list(status_change(api, filed, status="lost").json()) == ["status"]
    assert list(status_change(api, filed).json()) == ["status"]
    filed.refresh_from_db()
    assert filed.status == Status.NEW


def test_assigning_and_marking_a_duplicate(api, filed, service, camden):
    crew = with_role(StaffFactory(username="crew"), StaffRole.DEPARTMENT_STAFF, filed.department)
    response = status_change(api, filed, status="assigned", assignee="crew")
    assert response.status_code == 200
    assert response.json()["assignee"] == "crew"
    original = filed_request(service)
    # Camden's 10000001 is not ours: "10000001" names this request itself here.
    assert status_change(api, original, status="duplicate", duplicate_of="10000001").json()["duplicate_of"] == (
        "10000001"
    )
    assert status_change(api, filed, status="duplicate", duplicate_of="99999999").json() == {
        "duplicate_of": ["There is no request with that tracking number."]
    }
    filed.refresh_from_db()
    assert filed.assignee == crew and filed.status == Status.ASSIGNED


def test_notes_public_and_internal(api, filed, agent):
    response = api.post(
        f"{API}/requests/{filed.tracking_number}/notes/", {"text": "Crew scheduled.", "is_public": True}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "note" and response.json()["is_public"] is True
    assert response.json()["actor"] == "agent"
    internal = api.post(f"{API}/requests/{filed.tracking_number}/notes/", {"text": "Gate code 1234."}, format="json")
    assert internal.status_code == 201 and internal.json()["is_public"] is False
    filed.refresh_from_db()
    assert filed.status_notes == "Crew scheduled."
    assert api.post(f"{API}/requests/{filed.tracking_number}/notes/", {"text": "   "}, format="json").json() == {
        "text": ["Write the note."]
    }
    assert (
        api.post(f"{API}/requests/{filed.tracking_number}/notes/", {"text": "a\x00b"}, format="json").status_code == 400
    )


def test_details_are_corrected_through_the_service(api, filed, mailoutbox):
    response = api.patch(
        f"{API}/requests/{filed.tracking_number}/",
        {"description": "Two mattresses and a sofa.", "hazard": True},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["description"] == "Two mattresses and a sofa."
    assert response.json()["hazard"] is True
    kinds = list(filed.history.order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == [HistoryEntry.Kind.NOTE, HistoryEntry.Kind.HAZARD]


def test_bad_details_are_a_400_and_change_nothing(api, filed):
    response = api.patch(
        f"{API}/requests/{filed.tracking_number}/", {"zipcode": "ABCDE", "description": "Changed"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"zipcode": ["Enter a ZIP code like 19107."]}
    filed.refresh_from_db()
    assert filed.description == "Mattresses on the sidewalk." and filed.zipcode == ""
    assert api.put(f"{API}/requests/{filed.tracking_number}/", {}, format="json").status_code == 405


# --- filing a request ---------------------------------------------------------------------------------


def test_staff_file_a_request_on_the_channel_they_took_it(api, agent, service, center_city):
    select_attribute(service, "size", ["small", "large"])
    response = api.post(
        f"{API}/requests/",
        {
            "service_code": "SR-ST02",
            "channel": "walk_in",
            "lat": 39.9526,
            "long": -75.1635,
            "description": "A sofa.",
            "answers": {"size": "large"},
            "first_name": "Pat",
            "phone": "215-555-0100",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tracking_number"] == "10000001"
    assert body["channel"] == "walk_in" and body["attributes"] == {"size": "large"}
    assert body["requester"]["first_name"] == "Pat"  # a supervisor: sees them, and it is audited
    assert PersonalDataAccess.objects.filter(user=agent, purpose="view").count() == 1
    service_request = ServiceRequest.objects.get()
    assert service_request.requester is not None
    assert service_request.requester.first_name == "Pat"
    opened = service_request.history.get()
    assert opened.actor == agent and opened.kind == HistoryEntry.Kind.OPENED
    assert Contact.objects.get().agent == agent


def test_filing_defaults_to_the_phone(api, service):
    response = api.post(f"{API}/requests/", {"service_code": "SR-ST02", "address": "1 Main St"}, format="json")
    assert response.json()["channel"] == Channel.PHONE


def test_intake_refusals_are_field_errors_and_file_nothing(api, service):
    response = api.post(f"{API}/requests/", {"service_code": "SR-ST02", "lat": 40.7, "long": -74.0}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "location": ["That point is outside Philadelphia. We can only take reports within the city."]
    }
    response = api.post(f"{API}/requests/", {"service_code": "NOPE", "address": "1 Main St"}, format="json")
    assert response.json() == {"service_code": ["There is no service with the code “NOPE”."]}
    response = api.post(
        f"{API}/requests/",
        {"service_code": "SR-ST02", "address": "1 Main St", "answers": {"size": ["a", 1]}},
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["answers"]
    assert api.post(f"{API}/requests/", {"address": "1 Main St"}, format="json").json() == {
        "service_code": ["This field is required."]
    }
    assert api.post(f"{API}/requests/", "not json", content_type="application/json").status_code == 400
    assert api.post(f"{API}/requests/", {"service_code": "SR-ST02"}, format="multipart").status_code == 415
    assert ServiceRequest.objects.count() == 0


def test_a_canned_answer_is_a_409_with_the_message_and_files_nothing(api, service, center_city):
    select_attribute(service, "gas", ["yes", "no"])
    RoutingRuleFactory(
        service=service,
        kind=RoutingRule.Kind.CANNED_ANSWER,
        attribute_code="gas",
        attribute_value="yes",
        message="Leave the area and call 911.",
    )
    response = api.post(
        f"{API}/requests/",
        {"service_code": "SR-ST02", "address": "1 Main St", "answers": {"gas": "yes"}},
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "Leave the area and call 911.", "code": "canned_answer"}
    assert ServiceRequest.objects.count() == 0
    assert Contact.objects.get().outcome == Contact.Outcome.CANNED_ANSWER


def test_a_repeated_idempotency_key_returns_the_first_request(api, service):
    body = {"service_code": "SR-ST02", "address": "1 Main St", "idempotency_key": "call-42"}
    first = api.post(f"{API}/requests/", body, format="json")
    again = api.post(f"{API}/requests/", {**body, "address": "2 Main St"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    assert ServiceRequest.objects.count() == 1


# --- tokens ------------------------------------------------------------------------------------------


def test_the_management_command_issues_a_token_that_works(agent, filed):
    out = StringIO()
    call_command("issue_api_token", "agent", stdout=out)
    key = out.getvalue().strip()
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    again = StringIO()
    call_command("issue_api_token", "agent", stdout=again)
    assert again.getvalue().strip() == key  # the same token until rotated
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(f"{API}/requests/{filed.tracking_number}/").status_code == 200

    rotated = StringIO()
    call_command("issue_api_token", "agent", "--rotate", stdout=rotated)
    assert rotated.getvalue().strip() != key
    assert client.get(f"{API}/requests/{filed.tracking_number}/").status_code == 401


def test_the_management_command_refuses_unknown_users_and_non_staff(db):
    StaffFactory(username="resident", is_staff=False)
    with pytest.raises(CommandError, match="no user"):
        call_command("issue_api_token", "ghost")
    with pytest.raises(CommandError, match="not active staff"):
        call_command("issue_api_token", "resident")


def test_the_admin_issues_tokens_too(client):
    client.force_login(StaffFactory(username="root", is_superuser=True))
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 200


# --- the schema and the interactive page ----------------------------------------------------------------


def test_the_schema_is_served_at_a_stable_url_and_describes_every_endpoint(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/departments/",
        "/api/v1/departments/{slug}/",
        "/api/v1/services/",
        "/api/v1/services/{code}/",
        "/api/v1/requests/",
        "/api/v1/requests/{tracking_number}/",
        "/api/v1/requests/{tracking_number}/history/",
        "/api/v1/requests/{tracking_number}/status/",
        "/api/v1/requests/{tracking_number}/notes/",
        "/api/v1/knowledge/search/",
        "/api/v1/knowledge/articles/{slug}/",
        "/api/v1/requests/{tracking_number}/subscriptions/",
        "/api/v1/requests/{tracking_number}/subscriptions/{id}/",
        "/api/v1/contacts/",
        "/api/v1/contacts/{id}/",
        "/api/v1/customers/",
        "/api/v1/customers/{id}/",
        "/api/v1/inbox/",
        "/api/v1/inbox/{id}/",
        "/api/v1/inbox/{id}/take/",
        "/api/v1/inbox/{id}/assign/",
        "/api/v1/inbox/{id}/status/",
        "/api/v1/inbox/{id}/reply/",
        "/api/v1/inbox/{id}/dismiss/",
        "/api/v1/texts/read/",
    }
    assert set(schema["paths"]["/api/v1/texts/read/"]) == {"post"}
    assert set(schema["paths"]["/api/v1/requests/"]) == {"get", "post"}
    assert set(schema["paths"]["/api/v1/requests/{tracking_number}/"]) == {"get", "patch"}
    assert set(schema["paths"]["/api/v1/customers/{id}/"]) == {"get", "patch"}
    assert set(schema["paths"]["/api/v1/requests/{tracking_number}/subscriptions/{id}/"]) == {"delete"}
    # Every new operation shows an example of what it answers.
    for path in ("/api/v1/contacts/", "/api/v1/customers/{id}/", "/api/v1/inbox/{id}/"):
        assert schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["examples"]
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    assert APIClient().get("/api/schema.json").json()["paths"] == schema["paths"]


def test_the_interactive_page_loads_everything_from_this_site_under_the_csp(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in sources
    assert not re.search(r"<script>|<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
    assert "<style" not in html  # nor inline style
    script = next(source for source in sources if "script" in source and "static" not in source)
    init = client.get(script)
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in init.content.decode()
    for source in sources:
        if source.startswith(django_settings.STATIC_URL):
            # Shipped by an installed package (drf-spectacular-sidecar) or the app, never fetched from a CDN.
            assert finders.find(source.removeprefix(django_settings.STATIC_URL)), source
