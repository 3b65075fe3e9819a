"""The staff admin: it shows requests efficiently and moves them only through the lifecycle services."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from civic311.people.models import StaffRole
from civic311.service_requests import announcements, services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, ServiceRequest

from .factories import (
    NeighborhoodFactory,
    ServiceFactory,
    StaffFactory,
    box,
    filed_request,
    select_attribute,
    with_role,
)

pytestmark = pytest.mark.django_db


def grant(user, *codenames: str):
    for codename in codenames:
        app_label, name = codename.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=name))
    return user


@pytest.fixture
def agent(department):
    """Department staff who may see and work their department's requests, and nothing more."""
    user = grant(
        StaffFactory(username="agent"),
        "requests.view_servicerequest",
        "requests.change_servicerequest",
        "requests.delete_servicerequest",
    )
    return with_role(user, StaffRole.DEPARTMENT_STAFF, department)


@pytest.fixture
def viewer(db):
    """An agent holding only the view permission: sees every request, works none."""
    return grant(
        with_role(StaffFactory(username="viewer"), StaffRole.AGENT, with_group=False), "requests.view_servicerequest"
    )


@pytest.fixture
def superuser(db):
    return StaffFactory(username="root", is_superuser=True)


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def filed(service, center_city):
    return filed_request(
        service, first_name="Pat", last_name="Resident", email="pat@example.org", address="1400 John F Kennedy Blvd"
    )


def change_url(service_request: ServiceRequest) -> str:
    return reverse("admin:requests_servicerequest_change", args=[service_request.pk])


def status_url(service_request: ServiceRequest) -> str:
    return reverse("admin:requests_servicerequest_status", args=[service_request.pk])


def note_url(service_request: ServiceRequest) -> str:
    return reverse("admin:requests_servicerequest_note", args=[service_request.pk])


CHANGELIST = "/admin/requests/servicerequest/"


def inline_management_data(service_request: ServiceRequest) -> dict:
    """What the change form posts for its (read-only) inlines."""
    data = {}
    for prefix, count in (
        ("history", service_request.history.count()),
        ("photos", service_request.photos.count()),
        ("contacts", service_request.contacts.count()),
    ):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": count,
                f"{prefix}-INITIAL_FORMS": count,
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 0,
            }
        )
        data.update(
            {
                f"{prefix}-{index}-id": pk
                for index, pk in enumerate(
                    getattr(service_request, prefix)
                    .order_by("created_at" if prefix != "contacts" else "-started_at", "pk")
                    .values_list("pk", flat=True)
                )
            }
        )
    return data


# --- the list and the change page -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "superuser"])
def test_the_changelist_and_change_page_render(client, request, filed, who):
    client.force_login(request.getfixturevalue(who))
    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert filed.tracking_number in listing.content.decode()

    page = client.get(change_url(filed))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="status_form"' in html and 'id="note_form"' in html
    assert "Mattresses on the sidewalk." in html
    # The history inline shows the opening entry; the standard close reasons are offered.
    assert "Opened" in html
    assert '<option value="Repair Completed">' in html


def test_the_changelist_filters_search_and_overdue_column(agent_client, filed, service):
    other = filed_request(service, address="1 Penn Sq")
    html = agent_client.get(CHANGELIST, {"q": f"#{filed.tracking_number}"}).content.decode()
    assert filed.tracking_number in html and other.tracking_number not in html
    html = agent_client.get(CHANGELIST, {"q": "Kennedy"}).content.decode()
    assert filed.tracking_number in html and other.tracking_number not in html

    ServiceRequest.objects.filter(pk=filed.pk).update(expected_at=filed.requested_at.replace(year=2000))
    html = agent_client.get(CHANGELIST, {"overdue": "yes"}).content.decode()
    assert filed.tracking_number in html and other.tracking_number not in html
    for params in (
        {"status__exact": "new"},
        {"channel__exact": "web"},
        {"hazard__exact": "1"},
        {"is_private__exact": "0"},
        {"service__group__id__exact": service.group_id},
        {"department__id__exact": service.department_id},
        {"requested_at__year": "2024"},
    ):
        assert agent_client.get(CHANGELIST, params).status_code == 200


def test_the_changelist_does_a_bounded_number_of_queries(
    agent_client, service, center_city, django_assert_max_num_queries
):
    other_service = ServiceFactory(jurisdiction=service.jurisdiction, department=service.department)
    NeighborhoodFactory(jurisdiction=service.jurisdiction, boundary=box(-75.14, 39.96, -75.10, 39.99))
    for number in range(50):
        point: dict[str, Any] = {"lat": "39.97", "long": "-75.12"} if number % 3 else {}
        filed_request(service if number % 2 else other_service, **point)
    with django_assert_max_num_queries(15):
        response = agent_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.content.decode().count('class="field-tracking_number"') == 50


def test_the_change_page_shows_answers_by_name_and_hides_the_requester_from_staff(
    client, agent, superuser, service, center_city
):
    select_attribute(service, "size", ["small", "large"])
    service_request = filed_request(
        service, first_name="Pat", last_name="Resident", email="pat@example.org", answers={"size": "large"}
    )
    client.force_login(agent)
    html = client.get(change_url(service_request)).content.decode()
    assert "Large" in html
    assert "Pat Resident" not in html and "pat@example.org" not in html

    client.force_login(superuser)
    assert "Pat Resident" in client.get(change_url(service_request)).content.decode()


# --- status changes through the service -------------------------------------------------------------


def test_a_legal_transition_changes_the_status_and_records_who(agent_client, agent, filed):
    response = agent_client.post(
        status_url(filed), {"to_status": "acknowledged", "internal_note": "On the list."}, follow=True
    )
    assert response.redirect_chain[-1][0] == change_url(filed)
    assert "Status changed from “New” to “Acknowledged”." in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == Status.ACKNOWLEDGED
    entry = filed.history.get(kind=HistoryEntry.Kind.STATUS)
    assert (entry.actor, entry.from_status, entry.to_status) == (agent, Status.NEW, Status.ACKNOWLEDGED)
    assert filed.history.get(kind=HistoryEntry.Kind.NOTE).text == "On the list."
    assert LogEntry.objects.filter(user=agent, object_id=str(filed.pk)).exists()


def test_the_status_form_offers_only_the_statuses_that_may_follow(agent_client, filed, agent):
    services.change_status(filed, Status.CLOSED, actor=agent, public_reason="Repair Completed")
    html = agent_client.get(change_url(filed)).content.decode()
    assert '<option value="reopened">' in html
    assert '<option value="in_progress">' not in html


def test_an_illegal_transition_is_refused_with_the_services_message(agent_client, agent, filed):
    services.change_status(filed, Status.CLOSED, actor=agent, public_reason="Repair Completed")
    history_before = filed.history.count()
    response = agent_client.post(status_url(filed), {"to_status": "in_progress"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "A request that is “Closed” cannot become “In progress”. It can become: Reopened." in html
    filed.refresh_from_db()
    assert filed.status == Status.CLOSED
    assert filed.history.count() == history_before


def test_closing_without_a_public_reason_is_refused(agent_client, filed):
    response = agent_client.post(status_url(filed), {"to_status": "closed", "internal_note": "done"})
    assert response.status_code == 200
    assert "Give the reason the resident will see." in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == Status.NEW
    assert not filed.history.filter(kind=HistoryEntry.Kind.NOTE).exists()


def test_closing_with_a_standard_reason(agent_client, filed):
    agent_client.post(status_url(filed), {"to_status": "closed", "public_reason": "Repair Completed"})
    filed.refresh_from_db()
    assert (filed.status, filed.status_notes) == (Status.CLOSED, "Repair Completed")
    assert filed.closed_at is not None


def test_assigning_needs_an_assignee(agent_client, filed):
    crew = with_role(StaffFactory(username="crew"), StaffRole.DEPARTMENT_STAFF, filed.department)
    response = agent_client.post(status_url(filed), {"to_status": "assigned"})
    assert "Choose who the request is assigned to." in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == Status.NEW

    agent_client.post(status_url(filed), {"to_status": "assigned", "assignee": crew.pk})
    filed.refresh_from_db()
    assert (filed.status, filed.assignee) == (Status.ASSIGNED, crew)


def test_inactive_staff_are_not_offered_as_assignees(agent_client, filed):
    gone = StaffFactory(username="gone", is_active=False)
    response = agent_client.post(status_url(filed), {"to_status": "assigned", "assignee": gone.pk})
    assert "Select a valid choice" in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == Status.NEW


def test_a_duplicate_points_at_the_original(agent_client, agent, service, center_city):
    original, copy, another = (filed_request(service) for _ in range(3))
    services.change_status(copy, Status.DUPLICATE, actor=agent, duplicate_of=original)

    response = agent_client.post(
        status_url(another), {"to_status": "duplicate", "duplicate_of": f"#{copy.tracking_number}"}
    )
    assert response.status_code == 302
    another.refresh_from_db()
    assert another.status == Status.DUPLICATE
    assert another.duplicate_of == original
    assert original.tracking_number in another.status_notes


def test_a_duplicate_needs_a_known_request(agent_client, filed):
    response = agent_client.post(status_url(filed), {"to_status": "duplicate", "duplicate_of": "99999999"})
    assert "There is no request with the tracking number 99999999" in response.content.decode()
    response = agent_client.post(status_url(filed), {"to_status": "duplicate"})
    assert "Say which request this one duplicates." in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == Status.NEW


def test_the_change_form_cannot_write_lifecycle_fields(agent_client, agent, filed):
    page = agent_client.get(change_url(filed)).content.decode()
    assert 'name="status"' not in page and 'name="tracking_number"' not in page
    response = agent_client.post(
        change_url(filed),
        {
            "description": "Two mattresses and a sofa.",
            "address": filed.address,
            "zipcode": "",
            "status": "closed",
            "status_notes": "Sneaky",
            "tracking_number": "1",
            "closed_at": "2024-01-01 10:00",
            "assignee": agent.pk,
            "is_private": "on",
            **inline_management_data(filed),
        },
    )
    assert response.status_code == 302
    filed.refresh_from_db()
    assert (filed.status, filed.status_notes, filed.tracking_number) == (Status.NEW, "", "10000001")
    assert filed.closed_at is None and filed.assignee is None
    # The descriptive fields it may change are changed, and that is recorded for staff.
    assert filed.description == "Two mattresses and a sofa." and filed.is_private
    note = filed.history.get(kind=HistoryEntry.Kind.NOTE)
    assert not note.is_public and note.actor == agent and "description" in note.text.lower()


def test_the_change_form_checks_details_with_the_intake_rules(agent_client, filed):
    response = agent_client.post(
        change_url(filed),
        {
            "description": "x" * 4001,
            "address": filed.address,
            "zipcode": "ABCDE",
            **inline_management_data(filed),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The description can be at most 4000 characters; it has 4001." in html
    assert "Enter a ZIP code like 19107." in html
    filed.refresh_from_db()
    assert filed.description == "Mattresses on the sidewalk." and not filed.history.filter(kind="note").exists()


def test_marking_a_request_hazardous_in_the_admin_alerts_its_department(
    agent_client, filed, mailoutbox, django_capture_on_commit_callbacks
):
    # The filing's own announcement (the requester's receipt) is long done by the time staff mark it.
    announcements.sweep()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            change_url(filed),
            {
                "description": filed.description,
                "address": filed.address,
                "zipcode": "",
                "hazard": "on",
                **inline_management_data(filed),
            },
        )
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.hazard
    assert filed.history.filter(kind=HistoryEntry.Kind.HAZARD, is_public=False).count() == 1
    assert [message.to for message in mailoutbox] == [[filed.department.contact_email]]


def test_bulk_acknowledge_goes_through_the_service_and_reports_refusals(agent_client, agent, service, center_city):
    first, second, closed = (filed_request(service) for _ in range(3))
    services.change_status(closed, Status.CLOSED, actor=agent, public_reason="Issue Resolved")
    response = agent_client.post(
        CHANGELIST,
        {
            "action": "acknowledge",
            "_selected_action": [first.pk, second.pk, closed.pk],
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Acknowledged 2 requests." in html
    assert f"#{closed.tracking_number}: A request that is “Closed” cannot become “Acknowledged”" in html
    statuses = dict(ServiceRequest.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "acknowledged", second.pk: "acknowledged", closed.pk: "closed"}
    assert HistoryEntry.objects.filter(actor=agent, to_status="acknowledged").count() == 2


# --- notes ------------------------------------------------------------------------------------------


def test_a_public_note_is_shown_to_the_resident(agent_client, agent, filed):
    response = agent_client.post(note_url(filed), {"text": "Crew scheduled for Tuesday.", "visibility": "public"})
    assert response.status_code == 302
    note = filed.history.get(kind=HistoryEntry.Kind.NOTE)
    assert (note.is_public, note.actor, note.text) == (True, agent, "Crew scheduled for Tuesday.")
    filed.refresh_from_db()
    assert filed.status_notes == "Crew scheduled for Tuesday."


def test_an_internal_note_stays_internal(agent_client, filed):
    agent_client.post(note_url(filed), {"text": "Caller is the block captain.", "visibility": "internal"})
    note = filed.history.get(kind=HistoryEntry.Kind.NOTE)
    assert not note.is_public
    filed.refresh_from_db()
    assert filed.status_notes == ""


def test_an_empty_note_is_refused_with_the_services_message(agent_client, filed):
    response = agent_client.post(note_url(filed), {"text": "  ", "visibility": "internal"})
    assert response.status_code == 200
    assert "Write the note." in response.content.decode()
    assert not filed.history.filter(kind=HistoryEntry.Kind.NOTE).exists()


# --- permissions ------------------------------------------------------------------------------------


def test_staff_without_change_permission_get_403_on_the_workflow_views(client, viewer, filed):
    client.force_login(viewer)
    page = client.get(change_url(filed))
    assert page.status_code == 200 and 'id="status_form"' not in page.content.decode()
    for url in (status_url(filed), note_url(filed)):
        assert client.get(url).status_code == 403
    assert client.post(status_url(filed), {"to_status": "acknowledged"}).status_code == 403
    assert client.post(note_url(filed), {"text": "hi", "visibility": "public"}).status_code == 403
    filed.refresh_from_db()
    assert filed.status == Status.NEW and filed.history.count() == 1


def test_anonymous_visitors_are_sent_to_the_login_page(client, filed):
    response = client.post(status_url(filed), {"to_status": "acknowledged"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_requests_cannot_be_added_in_the_admin(client, agent, superuser):
    grant(agent, "requests.add_servicerequest")
    for user in (agent, superuser):
        client.force_login(user)
        assert client.get("/admin/requests/servicerequest/add/").status_code == 403


def test_only_superusers_delete_requests(client, agent, superuser, filed):
    client.force_login(agent)
    assert client.get(f"/admin/requests/servicerequest/{filed.pk}/delete/").status_code == 403
    client.force_login(superuser)
    assert client.post(f"/admin/requests/servicerequest/{filed.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not ServiceRequest.objects.filter(pk=filed.pk).exists()


def test_the_requester_admin_is_for_superusers_only(client, agent, superuser, filed):
    grant(agent, "people.view_requester", "people.change_requester")
    client.force_login(agent)
    assert "/admin/people/requester/" not in client.get("/admin/").content.decode()
    assert client.get("/admin/people/requester/").status_code == 403
    assert client.get(f"/admin/people/requester/{filed.requester_id}/change/").status_code == 403

    client.force_login(superuser)
    assert "/admin/people/requester/" in client.get("/admin/").content.decode()
    listing = client.get("/admin/people/requester/", {"q": "pat@example.org"})
    assert listing.status_code == 200 and "Pat Resident" in listing.content.decode()
    assert client.get("/admin/people/requester/add/").status_code == 403


def test_contacts_are_read_only_and_hide_the_requester(client, agent, superuser, filed):
    grant(agent, "requests.view_contact", "requests.change_contact")
    contact = filed.contacts.get()
    client.force_login(agent)
    assert client.get("/admin/requests/contact/").status_code == 200
    page = client.get(f"/admin/requests/contact/{contact.pk}/change/")
    assert page.status_code == 200
    assert "Pat Resident" not in page.content.decode() and 'name="channel"' not in page.content.decode()
    assert client.get("/admin/requests/contact/add/").status_code == 403
    client.force_login(superuser)
    assert "Pat Resident" in client.get(f"/admin/requests/contact/{contact.pk}/change/").content.decode()


# --- the catalogue and places -----------------------------------------------------------------------


def test_catalogue_and_places_pages_render(client, superuser, service, center_city):
    attribute = select_attribute(service, "size", ["small", "large"])
    client.force_login(superuser)
    for url in (
        "/admin/",
        "/admin/catalogue/service/",
        f"/admin/catalogue/service/{service.pk}/change/",
        f"/admin/catalogue/serviceattribute/{attribute.pk}/change/",
        "/admin/catalogue/department/",
        "/admin/catalogue/servicegroup/",
        "/admin/catalogue/routingrule/add/",
        f"/admin/jurisdictions/jurisdiction/{service.jurisdiction_id}/change/",
        f"/admin/jurisdictions/neighborhood/{center_city.pk}/change/",
        "/admin/jurisdictions/holiday/",
        "/admin/people/user/",
        "/admin/people/user/add/",
        "/admin/requests/contact/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_admin_runs_the_model_rules(client, superuser, service, center_city):
    client.force_login(superuser)
    response = client.post(
        f"/admin/jurisdictions/neighborhood/{center_city.pk}/change/",
        {
            "jurisdiction": center_city.jurisdiction_id,
            "name": "Center City",
            "slug": "center-city",
            "boundary": '{"type": "Point", "coordinates": [-75.16, 39.95]}',
        },
    )
    assert response.status_code == 200
    assert "The boundary must be a valid Polygon or MultiPolygon." in response.content.decode()

    response = client.post(
        f"/admin/catalogue/servicegroup/{service.group_id}/change/",
        {
            "jurisdiction": service.jurisdiction_id,
            "name": service.group.name,
            "order": 0,
            "translations": '{"es": {"nmae": "Basura"}}',
        },
    )
    assert response.status_code == 200
    assert "cannot be translated here" in response.content.decode()


def test_staff_are_created_with_a_department(client, superuser, department):
    client.force_login(superuser)
    response = client.post(
        "/admin/people/user/add/",
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
            "department": department.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from civic311.people.models import User

    assert User.objects.get(username="newbie").department == department


def test_a_new_jurisdiction_with_a_missing_bound_gets_a_form_error(client, superuser):
    client.force_login(superuser)
    client.raise_request_exception = False
    response = client.post(
        "/admin/jurisdictions/jurisdiction/add/",
        {
            "name": "Camden",
            "slug": "camden",
            "jurisdiction_id": "camden.gov",
            "time_zone": "America/New_York",
            "min_lat": "",
            "max_lat": "40",
            "min_long": "-75.2",
            "max_long": "-75.0",
            "business_day_start": "08:30",
            "business_day_end": "17:00",
            "intake_cutoff": "14:00",
            "working_weekdays": "0,1,2,3,4",
            "holidays-TOTAL_FORMS": 0,
            "holidays-INITIAL_FORMS": 0,
            "holidays-MIN_NUM_FORMS": 0,
            "holidays-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_a_routing_rule_cannot_send_requests_to_another_citys_department(client, superuser, service):
    from .factories import DepartmentFactory, JurisdictionFactory

    camden = JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camden.gov", is_default=False)
    elsewhere = DepartmentFactory(jurisdiction=camden)
    neighborhood = NeighborhoodFactory(jurisdiction=service.jurisdiction)
    client.force_login(superuser)
    response = client.post(
        "/admin/catalogue/routingrule/add/",
        {
            "service": service.pk,
            "order": 0,
            "kind": "neighborhood",
            "neighborhood": neighborhood.pk,
            "department": elsewhere.pk,
            "translations": "{}",
        },
    )
    assert response.status_code == 200
    assert "This belongs to another jurisdiction than the service." in response.content.decode()
    # On the service's own page only its city's departments are offered.
    page = client.get(f"/admin/catalogue/service/{service.pk}/change/").content.decode()
    rule_department = re.search(r'<select name="routing_rules-__prefix__-department".*?</select>', page, re.DOTALL)
    assert rule_department and service.department.name in rule_department.group(0)
    assert elsewhere.name not in rule_department.group(0)


# --- information requests ---------------------------------------------------------------------------

CONTACT_ADD = reverse("admin:requests_contact_add")


def test_staff_with_the_permission_log_an_information_request_through_the_service(client, jurisdiction):
    from civic311.service_requests.models import Contact

    clerk = grant(StaffFactory(username="clerk"), "requests.add_contact", "requests.view_contact")
    client.force_login(clerk)
    info = ServiceFactory(jurisdiction=jurisdiction, code="SR-IR01", name="Information Request", kind="information")
    response = client.post(
        CONTACT_ADD,
        {
            "jurisdiction": jurisdiction.pk,
            "channel": "phone",
            "outcome": "information",
            "service": info.pk,
            "summary": "  Trash goes out by 7 a.m. on Tuesdays.  ",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.outcome, contact.channel, contact.agent, contact.service, contact.summary) == (
        "information",
        "phone",
        clerk,
        info,
        "Trash goes out by 7 a.m. on Tuesdays.",
    )
    assert contact.service_request is None and contact.started_at is not None


def test_an_information_request_needs_the_answer_and_an_information_outcome(client, jurisdiction):
    from civic311.service_requests.models import Contact

    client.force_login(grant(StaffFactory(username="clerk"), "requests.add_contact", "requests.view_contact"))
    response = client.post(
        CONTACT_ADD, {"jurisdiction": jurisdiction.pk, "channel": "phone", "outcome": "information", "summary": "   "}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    response = client.post(
        CONTACT_ADD,
        {"jurisdiction": jurisdiction.pk, "channel": "phone", "outcome": "service_request", "summary": "Filed it"},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Contact.objects.exists()


def test_staff_without_the_permission_cannot_log_contacts(agent_client):
    assert agent_client.get(CONTACT_ADD).status_code == 403


# --- a second city in the admin ---------------------------------------------------------------------


class _FormValues(HTMLParser):
    """What a browser would post from an admin change page: inputs, checked boxes, text areas, selections."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and "__prefix__" not in name:
            kind = attributes.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attributes:
                    self.values.setdefault(name, []).append(attributes.get("value") or "on")
            elif kind not in {"submit", "button", "file"}:
                self.values.setdefault(name, []).append(attributes.get("value") or "")
        elif tag == "textarea" and name and "__prefix__" not in name:
            self._textarea = name
            self.values[name] = [""]
        elif tag == "select" and name and "__prefix__" not in name:
            self._select, self._selected = name, False
        elif tag == "option" and self._select and "selected" in attributes:
            self.values.setdefault(self._select, []).append(attributes.get("value") or "")

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_values(html: str) -> dict[str, Any]:
    """The form's fields: a field's value, or the list of them when it has several."""
    parser = _FormValues()
    parser.feed(html)
    values = parser.values
    values.pop("csrfmiddlewaretoken", None)
    return {name: value[0] if len(value) == 1 else value for name, value in values.items()}


def select_options(html: str, name: str) -> list[str]:
    found = re.search(rf'<select name="{re.escape(name)}".*?</select>', html, re.DOTALL)
    assert found, name
    return [unescape(label).strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", found.group(0), re.DOTALL)]


def test_a_questions_choices_are_edited_on_the_services_own_page(client, superuser, service):
    attribute = select_attribute(service, "size", ["small", "large"])
    client.force_login(superuser)
    url = f"/admin/catalogue/service/{service.pk}/change/"
    html = client.get(url).content.decode()
    # The question and both its choices are on the service's page.
    data = form_values(html)
    assert data["attributes-0-code"] == "size"
    assert data["attributes-0-values-TOTAL_FORMS"] == "2"
    assert {data["attributes-0-values-0-key"], data["attributes-0-values-1-key"]} == {"small", "large"}
    # Rename a choice, add a third, translate it, and save the page once.
    names = {data[f"attributes-0-values-{index}-key"]: index for index in range(2)}
    data[f"attributes-0-values-{names['large']}-name"] = "Large (bigger than a sofa)"
    data.update(
        {
            "attributes-0-values-TOTAL_FORMS": "3",
            "attributes-0-values-2-key": "huge",
            "attributes-0-values-2-name": "Huge",
            "attributes-0-values-2-order": "3",
            "attributes-0-values-2-translations": '{"es": {"name": "Enorme"}}',
            "attributes-0-values-2-attribute": str(attribute.pk),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, re.findall(r'class="errorlist[^"]*">(.*?)</ul>', response.content.decode())
    values = {value.key: value for value in attribute.values.all()}
    assert set(values) == {"small", "large", "huge"}
    assert values["large"].name == "Large (bigger than a sofa)"
    assert values["huge"].localized("name", "es") == "Enorme"


def test_a_bad_choice_on_the_services_page_is_shown_there_and_nothing_is_saved(client, superuser, service):
    attribute = select_attribute(service, "size", ["small", "large"])
    client.force_login(superuser)
    url = f"/admin/catalogue/service/{service.pk}/change/"
    data = form_values(client.get(url).content.decode())
    data.update(
        {
            "name": "Renamed",
            "attributes-0-values-TOTAL_FORMS": "3",
            "attributes-0-values-2-key": "huge",
            "attributes-0-values-2-name": "Huge",
            "attributes-0-values-2-order": "3",
            "attributes-0-values-2-translations": '{"es": {"nmae": "Enorme"}}',
            "attributes-0-values-2-attribute": str(attribute.pk),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "cannot be translated here" in response.content.decode()
    service.refresh_from_db()
    assert service.name == "Illegal Dumping" and attribute.values.count() == 2


@pytest.fixture
def camden(db):
    from .factories import DepartmentFactory, JurisdictionFactory, ServiceGroupFactory

    city = JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camden.gov", is_default=False)
    DepartmentFactory(jurisdiction=city, slug="streets", name="Streets Department")
    ServiceGroupFactory(jurisdiction=city, name="Sanitation")
    NeighborhoodFactory(jurisdiction=city, slug="center-city", name="Center City")
    return city


def test_pickers_name_the_jurisdiction_and_a_citys_page_offers_only_its_own(
    client, superuser, service, camden, center_city
):
    from .factories import ServiceGroupFactory

    ServiceGroupFactory(jurisdiction=service.jurisdiction, name="Sanitation")
    client.force_login(superuser)
    # Where the object has no city yet, the same-named departments are told apart by their jurisdiction.
    staff_page = client.get("/admin/people/user/add/").content.decode()
    assert {"Streets Department (phila.gov)", "Streets Department (camden.gov)"} <= set(
        select_options(staff_page, "department")
    )
    new_service = client.get("/admin/catalogue/service/add/").content.decode()
    assert {"Sanitation (phila.gov)", "Sanitation (camden.gov)"} <= set(select_options(new_service, "group"))
    # On Philadelphia's service, only Philadelphia's are offered, still named.
    page = client.get(f"/admin/catalogue/service/{service.pk}/change/").content.decode()
    assert [option for option in select_options(page, "department") if "Streets" in option] == [
        "Streets Department (phila.gov)"
    ]
    assert "Sanitation (camden.gov)" not in select_options(page, "group")
    assert "Center City (phila.gov)" in select_options(page, "routing_rules-__prefix__-neighborhood")
    assert "Center City (camden.gov)" not in select_options(page, "routing_rules-__prefix__-neighborhood")
    # A routing rule's own page names the service's city, and the question's page its service's.
    rules = client.get("/admin/catalogue/routingrule/add/").content.decode()
    assert f"{service} (phila.gov)" in select_options(rules, "service")
    assert "Center City (camden.gov)" in select_options(rules, "neighborhood")


def test_a_service_of_one_city_cannot_take_another_citys_group(client, superuser, service, camden):
    client.force_login(superuser)
    url = f"/admin/catalogue/service/{service.pk}/change/"
    data = form_values(client.get(url).content.decode())
    data["group"] = str(camden.service_groups.get().pk)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    service.refresh_from_db()
    assert service.group.jurisdiction_id == service.jurisdiction_id
