"""The request services enforce the roles' rules themselves: every role against every write, both ways.

The views (admin, staff API, console, queues) only pass the signed-in user as `actor`; so a refusal here is
a refusal everywhere. The kinds of account and what each may do come from the rules' own matrix (test_roles);
the world they act in from roles_helpers.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civic311.service_requests import services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, ServiceRequest

from .factories import StaffFactory, filed_request, with_role
from .roles_helpers import R, World
from .test_roles import ALLOWED

pytestmark = pytest.mark.django_db


class Places(World):
    """The rules' world, plus a second request in each department and a service of each (for merges and
    follow-ons)."""

    def __init__(self):
        super().__init__()
        self.streets_service, self.water_service = self.ours.service, self.theirs.service
        self.ours_again = filed_request(self.streets_service, description="The same mattresses.")
        self.theirs_again = filed_request(self.water_service, description="The same leak.")

    def other_department(self, service_request):
        return self.water if service_request.department == self.streets else self.streets

    def other_service(self, service_request):
        return self.water_service if service_request.department == self.streets else self.streets_service

    def twin(self, service_request):
        return self.ours_again if service_request == self.ours else self.theirs_again


WRITES = {
    "change status": lambda w, r, u: services.change_status(r, Status.ACKNOWLEDGED, actor=u),
    "add a note": lambda w, r, u: services.add_note(r, "Crew booked.", actor=u, public=False),
    "correct details": lambda w, r, u: services.update_details(r, {"hazard": True}, actor=u),
    "transfer": lambda w, r, u: services.transfer(r, w.other_department(r), actor=u, reason="Theirs."),
    "follow-on": lambda w, r, u: services.create_follow_on(
        r, service_code=w.other_service(r).code, description="Also this.", actor=u
    ),
    "merge a duplicate": lambda w, r, u: services.merge_duplicate(w.twin(r), r, actor=u),
}


def _may_change(kind: str, which: str) -> bool:
    return f"change {which}" in ALLOWED[kind]


@pytest.mark.parametrize("which", ["ours", "theirs"])
@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("kind", list(ALLOWED))
def test_every_role_against_every_request_write(db, kind, write, which):
    world = Places()
    target = getattr(world, which)
    user = world.subject(kind)
    rows_before = HistoryEntry.objects.count(), ServiceRequest.objects.count()
    if _may_change(kind, which):
        WRITES[write](world, target, user)
        assert HistoryEntry.objects.count() > rows_before[0]
    else:
        with pytest.raises(PermissionDenied):
            WRITES[write](world, target, user)
        assert (HistoryEntry.objects.count(), ServiceRequest.objects.count()) == rows_before
        target.refresh_from_db()
        assert target.status == Status.NEW and target.department_id in (world.streets.pk, world.water.pk)


FILERS = {"agent", "supervisor", "department staff", "department manager", "admin", "superuser"}


@pytest.mark.parametrize("kind", list(ALLOWED))
def test_who_may_file_a_request_for_someone_else(db, kind):
    world = Places()
    user = world.subject(kind)
    before = ServiceRequest.objects.count()
    report = services.Report(
        service_code=world.streets_service.code, lat="39.9526", long="-75.1635", description="Tyres.", channel="phone"
    )
    if kind in FILERS:
        filed = services.submit(world.ours.jurisdiction, report, actor=user).service_request
        assert filed.history.get().actor == user
    else:
        with pytest.raises(PermissionDenied):
            services.submit(world.ours.jurisdiction, report, actor=user)
        assert ServiceRequest.objects.count() == before


def test_the_system_and_residents_act_without_an_actor(db):
    world = Places()
    services.change_status(world.ours, Status.ACKNOWLEDGED, actor=None, actor_label="System")
    assert world.ours.history.filter(kind=HistoryEntry.Kind.STATUS).exists()


def test_a_request_is_assigned_only_to_someone_who_works_it(db):
    world = Places()
    supervisor = world.subject("supervisor")
    water_crew = with_role(StaffFactory(username="water-crew"), R.DEPARTMENT_STAFF, world.water)
    streets_crew = with_role(StaffFactory(username="streets-crew"), R.DEPARTMENT_STAFF, world.streets)
    agent = with_role(StaffFactory(username="phones"), R.AGENT)
    for wrong in (water_crew, agent):
        with pytest.raises(ValidationError, match="does not work this department") as refused:
            services.change_status(world.ours, Status.ASSIGNED, actor=supervisor, assignee=wrong)
        assert "does not work this department" in str(refused.value)
    services.change_status(world.ours, Status.ASSIGNED, actor=supervisor, assignee=streets_crew)
    world.ours.refresh_from_db()
    assert world.ours.assignee == streets_crew


def test_after_a_transfer_the_old_department_may_no_longer_work_it(db):
    world = Places()
    streets_crew = world.subject("department staff")
    services.transfer(world.ours, world.water, actor=streets_crew, reason="A water main, not the street.")
    world.ours.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.add_note(world.ours, "Still ours?", actor=streets_crew, public=False)


def test_a_follow_on_for_another_department_is_refused_to_who_cannot_file(db):
    world = Places()
    surveyor = world.subject("surveyor")
    with pytest.raises(PermissionDenied):
        services.create_follow_on(world.ours, service_code=world.water_service.code, description="x", actor=surveyor)
    assert not ServiceRequest.objects.filter(parent=world.ours).exists()


def test_a_duplicate_may_be_merged_only_into_a_request_one_may_see(db):
    world = Places()
    streets_crew = world.subject("department staff")
    with pytest.raises(PermissionDenied):
        services.merge_duplicate(world.ours_again, world.theirs, actor=streets_crew)
    world.ours_again.refresh_from_db()
    assert world.ours_again.status == Status.NEW


# --- the admin and the staff API read through the same rules ----------------------------------------------


def test_the_admin_lists_and_opens_only_a_departments_own_requests(client, db):
    world = Places()
    client.force_login(world.subject("department staff"))
    listing = client.get("/admin/requests/servicerequest/").content.decode()
    assert f">{world.ours.tracking_number}<" in listing and f">{world.theirs.tracking_number}<" not in listing
    assert client.get(f"/admin/requests/servicerequest/{world.ours.pk}/change/").status_code == 200
    # Another department's request is "not found" (the admin sends you back to its index).
    assert client.get(f"/admin/requests/servicerequest/{world.theirs.pk}/change/").status_code == 302


def test_the_staff_api_hides_another_departments_requests(db):
    from rest_framework.test import APIClient

    world = Places()
    api = APIClient()
    api.force_authenticate(world.subject("department staff"))
    numbers = {row["tracking_number"] for row in api.get("/api/v1/requests/").json()["results"]}
    assert numbers == {world.ours.tracking_number, world.ours_again.tracking_number}
    assert api.get(f"/api/v1/requests/{world.theirs.tracking_number}/").status_code == 404
    assert (
        api.post(f"/api/v1/requests/{world.theirs.tracking_number}/notes/", {"text": "x"}, format="json").status_code
        == 404
    )


def test_the_admin_audits_showing_a_requester_and_hides_them_from_department_staff(client, db):
    from civic311.people.models import PersonalDataAccess

    world = Places()
    mine = filed_request(world.streets_service, first_name="Pat", email="pat@example.org")
    client.force_login(world.subject("department staff"))
    page = client.get(f"/admin/requests/servicerequest/{mine.pk}/change/").content.decode()
    assert "pat@example.org" not in page and not PersonalDataAccess.objects.exists()
    supervisor = world.subject("supervisor")
    client.force_login(supervisor)
    page = client.get(f"/admin/requests/servicerequest/{mine.pk}/change/").content.decode()
    assert "Pat" in page
    assert list(PersonalDataAccess.objects.values_list("user", "requester", "where")) == [
        (supervisor.pk, mine.requester_id, "admin")
    ]


@pytest.mark.parametrize("kind", list(ALLOWED))
def test_who_may_record_that_another_caller_reported_a_request(db, kind):
    world = Places()
    user = world.subject(kind)
    before = world.theirs.history.count()
    if "view theirs" in ALLOWED[kind]:
        entry = services.record_another_report(world.theirs, actor=user, channel="phone")
        assert (entry.actor, entry.is_public, entry.kind) == (user, False, HistoryEntry.Kind.NOTE)
        assert "Phone" in entry.text
    else:
        with pytest.raises(PermissionDenied):
            services.record_another_report(world.theirs, actor=user, channel="phone")
        assert world.theirs.history.count() == before


def test_even_a_superusers_looks_at_requesters_in_the_admin_are_audited(client, db):
    from civic311.people.models import PersonalDataAccess
    from civic311.service_requests.models import Contact

    world = Places()
    mine = filed_request(world.streets_service, first_name="Pat", email="pat@example.org")
    root = world.subject("superuser")
    client.force_login(root)
    assert client.get("/admin/people/requester/").status_code == 200
    assert client.get("/admin/people/requester/?q=pat").status_code == 200
    assert client.get(f"/admin/people/requester/{mine.requester_id}/change/").status_code == 200
    contact = Contact.objects.get(service_request=mine)
    assert client.get(f"/admin/requests/contact/{contact.pk}/change/").status_code == 200
    audit = list(PersonalDataAccess.objects.order_by("pk").values_list("purpose", "requester", "where"))
    assert audit == [
        ("view", None, "admin: requesters"),
        ("search", None, "admin: requesters"),
        ("view", mine.requester_id, "admin"),
        ("view", mine.requester_id, "admin: contacts"),
    ]
