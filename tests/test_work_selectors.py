"""The department queue: who sees what, the filters, SLA-risk order, pages, counts and live changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civic311.catalogue.models import EscalationStep
from civic311.people.models import PersonalDataAccess
from civic311.people.selectors import requester_details_for
from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Escalation, ServiceRequest
from civic311.work import selectors, services
from civic311.work.selectors import QueueFilters

pytestmark = pytest.mark.django_db

# Monday 3 March 2025, 10:00 in Philadelphia.
NOW = dt.datetime(2025, 3, 3, 15, 0, tzinfo=dt.UTC)


def _due(service_request: ServiceRequest, moment: dt.datetime | None, *, priority: bool = False) -> ServiceRequest:
    # Arranging the clock: the due date the SLA would have given, set directly.
    ServiceRequest.objects.filter(pk=service_request.pk).update(expected_at=moment, is_priority=priority)
    service_request.refresh_from_db()
    return service_request


def _numbers(user, filters: QueueFilters | None = None, world=None, now=NOW) -> list[str]:
    rows = selectors.queue(user, filters or QueueFilters(), jurisdiction=world.jurisdiction, now=now)
    return [row.tracking_number for row in rows]


# --- visibility -----------------------------------------------------------------------------------------


def test_each_role_sees_only_the_queues_of_its_departments(world):
    pothole = world.file(world.pothole)
    leak = world.file(world.leak)
    assert _numbers(world.streets_worker, world=world) == [pothole.tracking_number]
    assert _numbers(world.streets_manager, world=world) == [pothole.tracking_number]
    assert _numbers(world.water_worker, world=world) == [leak.tracking_number]
    for key in ("supervisor", "admin", "both_worker"):
        assert set(_numbers(world.people[key], world=world)) == {pothole.tracking_number, leak.tracking_number}
    for key in ("agent", "surveyor", "community", "no_role"):
        assert _numbers(world.people[key], world=world) == []


def test_a_department_filter_outside_ones_departments_shows_nothing(world):
    world.file(world.leak)
    assert _numbers(world.streets_worker, QueueFilters(department=world.water.pk), world=world) == []


def test_a_person_in_two_departments_can_narrow_to_one(world):
    pothole = world.file(world.pothole)
    world.file(world.leak)
    assert [d.name for d in selectors.work_departments(world.both_worker, world.jurisdiction)] == [
        "Streets Department",
        "Water Department",
    ]
    assert _numbers(world.both_worker, QueueFilters(department=world.streets.pk), world=world) == [
        pothole.tracking_number
    ]


def test_request_for_work_refuses_another_departments_request(world):
    leak = world.file(world.leak)
    assert selectors.request_for_work(world.streets_worker, world.jurisdiction, leak.tracking_number) is None
    assert selectors.request_for_work(world.agent, world.jurisdiction, leak.tracking_number) is None
    assert selectors.request_for_work(world.water_worker, world.jurisdiction, f"#{leak.tracking_number}") == leak
    assert selectors.request_for_work(world.supervisor, world.jurisdiction, leak.tracking_number) == leak
    assert selectors.request_for_work(world.supervisor, world.jurisdiction, "\x00") is None


# --- filters --------------------------------------------------------------------------------------------


def test_open_by_default_finished_and_any_on_request(world):
    open_one = world.file(world.pothole)
    closed = world.file(world.pothole)
    requests.change_status(closed, Status.CLOSED, actor=world.streets_worker, public_reason="Repair Completed")
    assert _numbers(world.streets_worker, world=world) == [open_one.tracking_number]
    assert _numbers(world.streets_worker, QueueFilters(status="finished"), world=world) == [closed.tracking_number]
    assert set(_numbers(world.streets_worker, QueueFilters(status="all"), world=world)) == {
        open_one.tracking_number,
        closed.tracking_number,
    }
    assert _numbers(world.streets_worker, QueueFilters(status="closed"), world=world) == [closed.tracking_number]


def test_service_assignee_neighborhood_and_text_filters(world):
    pothole = world.file(world.pothole, description="Deep hole by the school")
    dumping = world.file(
        world.dumping,
        description="Tyres dumped",
        lat=None,
        long=None,
        neighborhood="",
        address="1 Elm St",
        zipcode="19107",
    )
    requests.assign(pothole, world.streets_worker, actor=world.streets_manager)
    worker = world.streets_worker
    assert _numbers(worker, QueueFilters(service=world.dumping.pk), world=world) == [dumping.tracking_number]
    assert _numbers(worker, QueueFilters(assignee="me"), world=world) == [pothole.tracking_number]
    assert _numbers(world.streets_colleague, QueueFilters(assignee="me"), world=world) == []
    assert _numbers(worker, QueueFilters(assignee="unassigned"), world=world) == [dumping.tracking_number]
    assert _numbers(world.streets_manager, QueueFilters(assignee=str(worker.pk)), world=world) == [
        pothole.tracking_number
    ]
    assert _numbers(worker, QueueFilters(neighborhood=world.center_city.pk), world=world) == [pothole.tracking_number]
    assert _numbers(worker, QueueFilters(q="school"), world=world) == [pothole.tracking_number]
    assert _numbers(worker, QueueFilters(q="elm st"), world=world) == [dumping.tracking_number]
    assert _numbers(worker, QueueFilters(q=f"# {dumping.tracking_number}"), world=world) == [dumping.tracking_number]
    assert _numbers(worker, QueueFilters(q="nothing like this"), world=world) == []


def test_sla_filters_overdue_due_soon_priority_and_escalated(world):
    overdue = _due(world.file(world.pothole), NOW - dt.timedelta(hours=1))
    # Monday 10:00: due soon runs to Tuesday's close of business (17:00 local = 22:00 UTC).
    soon = _due(world.file(world.pothole), dt.datetime(2025, 3, 4, 22, 0, tzinfo=dt.UTC))
    later = _due(world.file(world.pothole), dt.datetime(2025, 3, 4, 22, 1, tzinfo=dt.UTC), priority=True)
    escalated = _due(world.file(world.pothole), NOW + dt.timedelta(days=3))
    assert escalated.expected_at is not None
    step = EscalationStep.objects.create(department=world.streets, label="Point person", notify_email="p@example.org")
    Escalation.objects.create(service_request=escalated, step=step, due_at=escalated.expected_at, escalated_at=NOW)
    # An escalation for an earlier due date does not count (the request was reopened since).
    old = _due(world.file(world.pothole), NOW + dt.timedelta(days=4))
    Escalation.objects.create(service_request=old, step=step, due_at=NOW - dt.timedelta(days=9), escalated_at=NOW)
    worker = world.streets_worker

    def numbers(**kwargs):
        return set(_numbers(worker, QueueFilters(**kwargs), world=world))

    assert numbers(sla="overdue") == {overdue.tracking_number}
    assert numbers(sla="due_soon") == {soon.tracking_number}
    assert numbers(sla="escalated") == {escalated.tracking_number}
    assert numbers(sla="overdue_or_escalated") == {overdue.tracking_number, escalated.tracking_number}
    assert numbers(priority=True) == {later.tracking_number}


def test_due_soon_on_a_friday_afternoon_runs_to_mondays_close():
    from .factories import JurisdictionFactory

    city = JurisdictionFactory()
    friday = dt.datetime(2025, 3, 7, 20, 0, tzinfo=dt.UTC)  # 15:00 local
    assert selectors.due_soon_until(city, friday) == dt.datetime(2025, 3, 10, 21, 0, tzinfo=dt.UTC)  # EDT


# --- order and pages ------------------------------------------------------------------------------------


def test_sla_risk_order_priority_then_overdue_then_nearest_due_then_undated(world):
    in_three_days = _due(world.file(world.pothole), NOW + dt.timedelta(days=3))
    overdue = _due(world.file(world.pothole), NOW - dt.timedelta(days=1))
    undated = _due(world.file(world.pothole), None)
    priority = _due(world.file(world.pothole), NOW + dt.timedelta(days=5), priority=True)
    tomorrow = _due(world.file(world.pothole), NOW + dt.timedelta(days=1))
    expected = [priority, overdue, tomorrow, in_three_days, undated]
    assert _numbers(world.streets_worker, world=world) == [r.tracking_number for r in expected]


def test_a_closed_request_past_its_date_is_not_ranked_overdue(world):
    closed_late = _due(world.file(world.pothole), NOW - dt.timedelta(days=5))
    requests.change_status(closed_late, Status.CLOSED, actor=world.streets_worker, public_reason="Done", now=NOW)
    open_late = _due(world.file(world.pothole), NOW - dt.timedelta(days=1))
    assert _numbers(world.streets_worker, QueueFilters(status="all"), world=world) == [
        open_late.tracking_number,
        closed_late.tracking_number,
    ]


def test_newest_oldest_and_recently_updated(world):
    first = world.file(world.pothole, when=NOW - dt.timedelta(days=3))
    second = world.file(world.pothole, when=NOW - dt.timedelta(days=2))
    third = world.file(world.pothole, when=NOW - dt.timedelta(days=1))
    requests.add_note(first, "Crew booked", actor=world.streets_worker, public=False, now=NOW)
    worker = world.streets_worker
    numbers = [r.tracking_number for r in (first, second, third)]
    assert _numbers(worker, QueueFilters(sort="newest"), world=world) == numbers[::-1]
    assert _numbers(worker, QueueFilters(sort="oldest"), world=world) == numbers
    assert _numbers(worker, QueueFilters(sort="updated"), world=world) == [numbers[0], numbers[2], numbers[1]]


@pytest.mark.parametrize("sort", ["risk", "newest", "oldest", "updated"])
def test_keyset_pages_cover_the_queue_once_in_order(world, sort):
    made = [world.file(world.pothole, when=NOW - dt.timedelta(hours=hour)) for hour in range(7)]
    _due(made[2], None)
    _due(made[4], NOW - dt.timedelta(days=1), priority=True)
    _due(made[5], made[6].expected_at)  # equal due dates: the primary key breaks the tie
    filters = QueueFilters(sort=sort)
    everything = _numbers(world.streets_worker, filters, world=world)
    seen: list[str] = []
    while True:
        rows = selectors.queue(world.streets_worker, filters, jurisdiction=world.jurisdiction, now=NOW)
        page = selectors.page(rows, filters, size=3)
        seen.extend(row.tracking_number for row in page.requests)
        if not page.next_cursor:
            break
        filters = QueueFilters(sort=sort, after=page.next_cursor)
    assert seen == everything
    assert len(seen) == 7


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4Il0", "x" * 500])
def test_an_unreadable_cursor_is_the_first_page(world, cursor):
    world.file(world.pothole)
    rows = selectors.queue(world.streets_worker, QueueFilters(after=cursor), jurisdiction=world.jurisdiction)
    assert len(selectors.page(rows, QueueFilters(after=cursor)).requests) == 1


# --- counts ---------------------------------------------------------------------------------------------


def test_counts_match_a_hand_count_in_one_query(world):
    worker = world.streets_worker
    _due(world.file(world.pothole), NOW - dt.timedelta(hours=2))  # overdue, unassigned
    mine_overdue = _due(world.file(world.pothole), NOW - dt.timedelta(hours=1))
    requests.assign(mine_overdue, worker, actor=world.streets_manager)
    _due(world.file(world.pothole), NOW + dt.timedelta(hours=3))  # due soon, unassigned
    theirs = _due(world.file(world.dumping), NOW + dt.timedelta(days=4))
    requests.assign(theirs, world.streets_colleague, actor=world.streets_manager)
    closed = world.file(world.pothole)
    requests.change_status(closed, Status.CLOSED, actor=worker, public_reason="Done")
    world.file(world.leak)  # another department

    open_rows = [r for r in ServiceRequest.objects.filter(department=world.streets) if r.is_open]
    hand = {
        "open": len(open_rows),
        "unassigned": sum(r.assignee_id is None for r in open_rows),
        "overdue": sum(r.expected_at is not None and r.expected_at < NOW for r in open_rows),
        "due_soon": sum(
            r.expected_at is not None and NOW <= r.expected_at <= selectors.due_soon_until(world.jurisdiction, NOW)
            for r in open_rows
        ),
        "mine": sum(r.assignee_id == worker.pk for r in open_rows),
    }
    assert hand == {"open": 4, "unassigned": 2, "overdue": 2, "due_soon": 1, "mine": 1}
    selectors.work_departments(worker, world.jurisdiction)  # roles read once per user object
    with CaptureQueriesContext(connection) as queries:
        counts = selectors.queue_counts(worker, jurisdiction=world.jurisdiction, now=NOW)
    assert counts == hand
    assert len(queries) <= 2
    assert selectors.queue_counts(world.water_worker, jurisdiction=world.jurisdiction, now=NOW)["open"] == 1


# --- live changes ---------------------------------------------------------------------------------------


def test_changes_since_a_version_sees_other_peoples_changes_in_the_scope(world):
    pothole = world.file(world.pothole)
    leak = world.file(world.leak)
    worker = world.streets_worker
    filters = QueueFilters(assignee="me")
    version = selectors.queue_version(worker, filters, jurisdiction=world.jurisdiction)
    assert not selectors.changes_since(worker, filters, version, jurisdiction=world.jurisdiction).exists()
    later = pothole.updated_at + dt.timedelta(minutes=1)
    requests.add_note(leak, "Valve shut", actor=world.water_worker, public=False, now=later)
    assert not selectors.changes_since(worker, filters, version, jurisdiction=world.jurisdiction).exists()
    # A request of the department that is not in the filtered list still changes the list's scope.
    requests.add_note(pothole, "On the list", actor=world.streets_colleague, public=False, now=later)
    changed = selectors.changes_since(worker, filters, version, jurisdiction=world.jurisdiction)
    assert [r.pk for r in changed] == [pothole.pk]
    assert selectors.changes_since(worker, filters, "not a date", jurisdiction=world.jurisdiction).exists()


def test_request_version_moves_with_a_change(world):
    pothole = world.file(world.pothole)
    before = selectors.request_version(pothole)
    assert selectors.request_version(pothole) == before
    requests.add_note(pothole, "Looked at it", actor=world.streets_worker, public=False)
    pothole.refresh_from_db()
    assert selectors.request_version(pothole) != before


# --- personal data --------------------------------------------------------------------------------------


def test_the_requester_is_shown_to_the_assignee_only_and_every_look_is_audited(world):
    pothole = world.file(world.pothole, first_name="Pat", email="pat@example.org")
    assert requester_details_for(world.streets_worker, pothole, where=selectors.AUDIT_WHERE) is None
    assert not PersonalDataAccess.objects.exists()
    pothole = requests.assign(pothole, world.streets_worker, actor=world.streets_manager)
    seen = requester_details_for(world.streets_worker, pothole, where=selectors.AUDIT_WHERE)
    assert seen is not None and seen.email == "pat@example.org"
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.requester, access.purpose, access.where) == (
        world.streets_worker,
        seen,
        PersonalDataAccess.Purpose.VIEW,
        "department work",
    )
    assert requester_details_for(world.supervisor, pothole, where=selectors.AUDIT_WHERE) is not None
    assert PersonalDataAccess.objects.count() == 2
    anonymous = world.file(world.pothole)
    assert requester_details_for(world.supervisor, anonymous, where=selectors.AUDIT_WHERE) is None


# --- saved views ---------------------------------------------------------------------------------------


def test_saved_views_are_the_owners_and_those_shared_with_their_departments(world):
    mine = services.save_view(
        world.streets_worker, "My overdue", "sla=overdue&assignee=me", jurisdiction=world.jurisdiction
    )
    shared = services.save_view(
        world.streets_worker,
        "Streets unassigned",
        "assignee=unassigned",
        jurisdiction=world.jurisdiction,
        department=world.streets,
    )
    water = services.save_view(world.water_worker, "Leaks", "", jurisdiction=world.jurisdiction, department=world.water)

    def names(user):
        return [view.name for view in selectors.saved_views_for(user, world.jurisdiction)]

    assert names(world.streets_worker) == [mine.name, shared.name]
    assert names(world.streets_colleague) == [shared.name]
    assert names(world.water_worker) == [water.name]
    assert names(world.both_worker) == [water.name, shared.name]
    assert names(world.supervisor) == [water.name, shared.name]
    assert names(world.agent) == []


# --- the open-work index (PostgreSQL: the counts and the SLA-risk order never read the table) ------------------


def test_the_queue_counts_and_its_risk_order_are_answered_from_the_open_work_index(world):
    if connection.vendor != "postgresql":
        pytest.skip("an index-only scan is PostgreSQL's; SQLite has the same index without the extra columns")
    for _ in range(3):
        _due(world.file(world.pothole), NOW + dt.timedelta(days=1))
    worker = world.streets_worker
    with CaptureQueriesContext(connection) as counted:
        counts = selectors.queue_counts(worker, jurisdiction=world.jurisdiction, now=NOW)
        selectors.page(
            selectors.queue(worker, QueueFilters(), jurisdiction=world.jurisdiction, now=NOW), QueueFilters()
        )
    assert counts["open"] == 3
    reads = [query["sql"] for query in counted.captured_queries if "requests_servicerequest" in query["sql"]]
    with connection.cursor() as cursor:
        # A test's table is tiny: the planner is told to use an index when it can, to show that it can (the
        # queries' own status list, in any order, must imply the index's condition).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        for sql in reads[:2]:  # the counts, then the ids of the page in SLA-risk order
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index Only Scan using request_open_work_idx" in plan, plan
