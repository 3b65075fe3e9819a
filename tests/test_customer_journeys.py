"""Customer journeys (issue 20): one customer's timeline with the moments that matter, the centre-wide
figures against hand counts, the nightly snapshot, the pages and who may see them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from civic311.console import journey_snapshots, journeys
from civic311.console.journeys import Moment
from civic311.console.tasks import store_journey_snapshots
from civic311.inbox.models import InboxItem
from civic311.insights.models import JourneySnapshot
from civic311.notifications.models import OutboundMessage
from civic311.people import services as people
from civic311.people.models import Customer, PersonalDataAccess, StaffRole
from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Channel, Contact, ServiceRequest
from civic311.surveys import services as survey_services
from civic311.surveys.models import Answer, FollowUpTask, Response, WorkListEntry

from .factories import ServiceFactory, filed_request, staff_in_role

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NOW = dt.datetime(2026, 3, 20, 16, 0, tzinfo=UTC)  # noon in Philadelphia


@pytest.fixture
def agent(db):
    return staff_in_role(StaffRole.AGENT, username="alex")


@pytest.fixture
def supervisor(db):
    return staff_in_role(StaffRole.SUPERVISOR, username="sasha")


@pytest.fixture
def rosa(jurisdiction) -> Customer:
    return people.create_customer(
        jurisdiction, first_name="Rosa", last_name="Marquez", emails=["rosa@example.org"], actor=None
    )


@pytest.fixture
def other_service(jurisdiction, department):
    return ServiceFactory(jurisdiction=jurisdiction, department=department, code="SR-ST09", name="Potholes")


def contact(customer, service, at: dt.datetime, *, outcome=Contact.Outcome.INFORMATION, channel=Channel.PHONE, **more):
    return Contact.objects.create(
        jurisdiction=customer.jurisdiction,
        channel=channel,
        outcome=outcome,
        service=service,
        customer=customer,
        started_at=at,
        ended_at=at + dt.timedelta(minutes=4),
        **more,
    )


def request_of(customer, service, at: dt.datetime, **fields) -> ServiceRequest:
    with time_machine.travel(at, tick=False):
        filed = filed_request(service, email="rosa@example.org", **fields)
    assert filed.requester is not None
    people.link_requester(filed.requester, customer, actor=None)
    return ServiceRequest.objects.get(pk=filed.pk)


def survey(customer, about: Contact | None, satisfied: bool, at: dt.datetime, *, service_request=None) -> Response:
    version = survey_services.ensure_baseline(customer.jurisdiction, now=dt.datetime(2026, 1, 1, tzinfo=UTC))
    response = Response.objects.create(
        jurisdiction=customer.jurisdiction,
        version=version,
        contact=about,
        contact_channel=about.channel if about else "",
        service_request=service_request,
        outcome=Response.Outcome.COMPLETED,
        started_at=at,
        finished_at=at,
    )
    Answer.objects.create(response=response, question=version.questions.get(code="satisfied"), value=satisfied)
    return response


def transfer(customer, about: Contact, response: Response, owner, at: dt.datetime) -> FollowUpTask:
    entry = WorkListEntry.objects.create(
        jurisdiction=customer.jurisdiction,
        contact=about,
        callback_phone="+12155550100",
        callback_digits="2155550100",
        customer=customer,
        channel=about.channel,
        contacted_at=about.started_at,
        state=WorkListEntry.State.DONE,
    )
    return FollowUpTask.objects.create(
        jurisdiction=customer.jurisdiction,
        entry=entry,
        response=response,
        owner=owner,
        deadline=at + dt.timedelta(days=2),
        words="Nobody came.",
        created_at=at,
    )


def moments_of(customer, now=NOW) -> list[tuple[str, list[str]]]:
    return [(item.kind, item.moments) for item in journeys.customer_timeline(customer, now=now).items if item.moments]


# --- the moments, one rule at a time ----------------------------------------------------------------------


@pytest.mark.parametrize(("days", "repeat"), [(6, True), (7, True), (8, False)])
def test_a_repeat_contact_is_the_same_problem_within_7_days(rosa, service, days, repeat):
    first = dt.datetime(2026, 3, 2, 15, tzinfo=UTC)
    contact(rosa, service, first)
    contact(rosa, service, first + dt.timedelta(days=days))
    assert moments_of(rosa) == ([("contact", [Moment.REPEAT_CONTACT])] if repeat else [])


def test_another_problem_within_7_days_is_not_a_repeat(rosa, service, other_service):
    first = dt.datetime(2026, 3, 2, 15, tzinfo=UTC)
    contact(rosa, service, first)
    contact(rosa, other_service, first + dt.timedelta(days=1))
    assert moments_of(rosa) == []


def test_a_reopen_is_a_moment(rosa, service, supervisor):
    filed = request_of(rosa, service, dt.datetime(2026, 3, 2, 15, tzinfo=UTC))
    with time_machine.travel(dt.datetime(2026, 3, 3, 15, tzinfo=UTC), tick=False):
        requests.change_status(filed, Status.CLOSED, actor=supervisor, public_reason="Picked up.")
    with time_machine.travel(dt.datetime(2026, 3, 4, 15, tzinfo=UTC), tick=False):
        requests.change_status(
            ServiceRequest.objects.get(pk=filed.pk), Status.REOPENED, actor=supervisor, public_reason="Still there."
        )
    found = moments_of(rosa)
    assert ("history", [Moment.REOPEN]) in found
    assert [kind for kind, _ in found].count("history") == 1


@pytest.mark.parametrize(
    ("closed_after_due", "status", "missed"),
    [(-1, Status.CLOSED, False), (1, Status.CLOSED, True), (None, Status.NEW, True)],
)
def test_a_missed_sla_is_a_close_after_the_due_date_or_still_open_past_it(
    rosa, service, closed_after_due, status, missed
):
    filed = request_of(rosa, service, dt.datetime(2026, 3, 2, 15, tzinfo=UTC))
    due = dt.datetime(2026, 3, 5, 22, tzinfo=UTC)
    closed = due + dt.timedelta(hours=closed_after_due) if closed_after_due is not None else None
    ServiceRequest.objects.filter(pk=filed.pk).update(expected_at=due, closed_at=closed, status=status)
    assert (("sla", [Moment.MISSED_SLA]) in moments_of(rosa)) is missed
    if status == Status.NEW:  # still open but not yet due: no moment
        assert moments_of(rosa, now=due - dt.timedelta(hours=1)) == []


@pytest.mark.parametrize(("satisfied", "moment"), [(True, []), (False, [Moment.UNHAPPY_SURVEY])])
def test_an_unhappy_survey_is_a_dissatisfied_answer(rosa, service, satisfied, moment):
    call = contact(rosa, service, dt.datetime(2026, 3, 2, 15, tzinfo=UTC))
    survey(rosa, call, satisfied, dt.datetime(2026, 3, 3, 15, tzinfo=UTC))
    surveys = [item for item in journeys.customer_timeline(rosa, now=NOW).items if item.kind == "survey"]
    assert [item.moments for item in surveys] == [moment]
    assert surveys[0].detail == ("Satisfied" if satisfied else "Dissatisfied")


def test_a_survey_call_transferred_to_a_supervisor_is_a_moment(rosa, service, supervisor):
    call = contact(rosa, service, dt.datetime(2026, 3, 2, 15, tzinfo=UTC))
    response = survey(rosa, call, False, dt.datetime(2026, 3, 3, 15, tzinfo=UTC))
    transfer(rosa, call, response, supervisor, dt.datetime(2026, 3, 3, 15, 5, tzinfo=UTC))
    assert moments_of(rosa) == [("survey", [Moment.UNHAPPY_SURVEY]), ("transfer", [Moment.TRANSFER])]


def test_the_timeline_has_every_channel_in_time_order(rosa, service, jurisdiction):
    at = dt.datetime(2026, 3, 2, 15, tzinfo=UTC)
    filed = request_of(rosa, service, at, channel="web")  # the intake records its web contact
    ServiceRequest.objects.filter(pk=filed.pk).update(expected_at=NOW + dt.timedelta(days=10))
    contact(rosa, service, at + dt.timedelta(days=1), channel=Channel.PHONE)
    OutboundMessage.objects.create(
        dedup_key="m1",
        reference="r1",
        channel=OutboundMessage.Channel.EMAIL,
        recipient="rosa@example.org",
        subject="We received your request",
        service_request=filed,
        created_at=at + dt.timedelta(minutes=1),
    )
    OutboundMessage.objects.create(  # a follower's copy: not Rosa's
        dedup_key="m2",
        reference="r2",
        channel=OutboundMessage.Channel.EMAIL,
        recipient="neighbour@example.org",
        service_request=filed,
        created_at=at + dt.timedelta(minutes=1),
    )
    InboxItem.objects.create(
        jurisdiction=jurisdiction,
        channel="sms",
        sender="+12155550100",
        subject="Any news?",
        customer=rosa,
        received_at=at + dt.timedelta(days=2),
        last_message_at=at + dt.timedelta(days=2),
    )
    items = journeys.customer_timeline(rosa, now=NOW).items
    assert [(item.kind, item.channel) for item in items] == [
        ("contact", "web"),
        ("message", "email"),
        ("contact", "phone"),
        ("inbox", "sms"),
    ]
    assert items == sorted(items, key=lambda item: item.at)
    assert items[1].detail == "We received your request"
    assert items[3].detail == "Any news?"


def test_a_merged_customers_records_are_in_the_survivors_timeline(jurisdiction, rosa, service):
    twin = people.create_customer(jurisdiction, first_name="R.", last_name="Marquez", actor=None)
    first = dt.datetime(2026, 3, 2, 15, tzinfo=UTC)
    contact(rosa, service, first)
    contact(twin, service, first + dt.timedelta(days=3))
    request_of(twin, service, first + dt.timedelta(days=4))
    people.merge_customers(rosa, twin, actor=None)
    timeline = journeys.customer_timeline(rosa, now=NOW)
    touches = [item for item in timeline.items if item.kind in ("contact", "request")]
    assert [item.at.day for item in touches] == [2, 5, 6]  # Rosa's call, the twin's call, the twin's request
    # The twin's contact 3 days later repeats Rosa's: the same person, the same problem (and so does the
    # request the twin filed the next day).
    assert [item.moments for item in touches] == [[], [Moment.REPEAT_CONTACT], [Moment.REPEAT_CONTACT]]
    # The merged record's timeline is its survivor's.
    assert journeys.customer_timeline(Customer.objects.get(pk=twin.pk), now=NOW).customer == rosa


def test_the_timeline_reads_a_fixed_number_of_queries(rosa, service, django_assert_max_num_queries):
    for day in range(1, 11):
        at = dt.datetime(2026, 3, day, 15, tzinfo=UTC)
        call = contact(rosa, service, at)
        survey(rosa, call, day % 2 == 0, at + dt.timedelta(hours=2))
        request_of(rosa, service, at + dt.timedelta(hours=1))
    # A fixed number whatever the data: 10 contacts, 10 requests and their surveys read in the same queries as 1.
    with django_assert_max_num_queries(12):
        timeline = journeys.customer_timeline(Customer.objects.get(pk=rosa.pk), now=NOW)
    assert len(timeline.items) >= 30


# --- across the centre, against hand counts ----------------------------------------------------------------


@pytest.fixture
def march(jurisdiction, service, other_service, supervisor):
    """March 2026 in Philadelphia, worked by hand:

    rosa  phone  info  Mar 2   service A
    rosa  phone  info  Mar 5   service A   repeat (3 days)          -> Rosa's Mar 2 is not resolved first time
    rosa  web    filed Mar 20  service B   request closed, reopened, closed (missed SLA)
    ben   phone  info  Mar 10  service A
    ben   phone  info  Mar 19  service A   9 days later: not a repeat
    cleo  phone  filed Mar 12  service A   request assigned, closed on time
    feb   phone  info  Feb 27  service A (rosa)  -> makes Mar 2's contact... 3 days: a repeat too

    Contacts in March of known customers: 6; repeats: Mar 2 (of Feb 27) and Mar 5 = 2 → 33.3 %.
    First contacts with an answer or a request: ben Mar 10, ben Mar 19, cleo Mar 12, rosa Mar 20 = 4;
    resolved first time: ben Mar 10, ben Mar 19, cleo Mar 12 = 3 (rosa's request was reopened) → 75 %.
    Paths: phone → filed → assigned → closed (cleo), web → filed → closed → reopened → closed (rosa).
    Surveys: cleo satisfied; rosa dissatisfied (after a reopen and a missed SLA); ben Mar 19 satisfied,
    rosa Mar 5 dissatisfied (a repeat contact).
    """
    ben = people.create_customer(jurisdiction, first_name="Ben", last_name="Ortiz", actor=None)
    cleo = people.create_customer(jurisdiction, first_name="Cleo", last_name="Park", actor=None)
    rosa = people.create_customer(jurisdiction, first_name="Rosa", last_name="Marquez", actor=None)
    contact(rosa, service, dt.datetime(2026, 2, 27, 15, tzinfo=UTC))
    rosa_repeat_source = contact(rosa, service, dt.datetime(2026, 3, 2, 15, tzinfo=UTC))
    rosa_repeat = contact(rosa, service, dt.datetime(2026, 3, 5, 15, tzinfo=UTC))
    contact(ben, service, dt.datetime(2026, 3, 10, 15, tzinfo=UTC))
    ben_later = contact(ben, service, dt.datetime(2026, 3, 19, 15, tzinfo=UTC))
    Contact.objects.create(  # an unknown caller: not counted
        jurisdiction=jurisdiction,
        channel=Channel.PHONE,
        outcome=Contact.Outcome.INFORMATION,
        service=service,
        started_at=dt.datetime(2026, 3, 11, 15, tzinfo=UTC),
        ended_at=dt.datetime(2026, 3, 11, 15, 4, tzinfo=UTC),
    )
    cleo_request = request_of(cleo, service, dt.datetime(2026, 3, 12, 15, tzinfo=UTC), channel="phone")
    cleo_call = contact(
        cleo,
        service,
        dt.datetime(2026, 3, 12, 15, tzinfo=UTC),
        outcome=Contact.Outcome.SERVICE_REQUEST,
        service_request=cleo_request,
    )
    Contact.objects.filter(service_request=cleo_request).exclude(pk=cleo_call.pk).delete()
    with time_machine.travel(dt.datetime(2026, 3, 13, 15, tzinfo=UTC), tick=False):
        requests.change_status(cleo_request, Status.ASSIGNED, actor=supervisor, assignee=supervisor)
    with time_machine.travel(dt.datetime(2026, 3, 14, 15, tzinfo=UTC), tick=False):
        requests.change_status(
            ServiceRequest.objects.get(pk=cleo_request.pk), Status.CLOSED, actor=supervisor, public_reason="Done."
        )
    ServiceRequest.objects.filter(pk=cleo_request.pk).update(expected_at=dt.datetime(2026, 3, 20, tzinfo=UTC))
    rosa_request = request_of(rosa, other_service, dt.datetime(2026, 3, 20, 15, tzinfo=UTC), channel="web")
    rosa_web = Contact.objects.get(service_request=rosa_request)
    Contact.objects.filter(pk=rosa_web.pk).update(customer=rosa)
    for day, status in ((21, Status.CLOSED), (22, Status.REOPENED), (27, Status.CLOSED)):
        with time_machine.travel(dt.datetime(2026, 3, day, 15, tzinfo=UTC), tick=False):
            requests.change_status(
                ServiceRequest.objects.get(pk=rosa_request.pk), status, actor=supervisor, public_reason="Step."
            )
    ServiceRequest.objects.filter(pk=rosa_request.pk).update(expected_at=dt.datetime(2026, 3, 25, tzinfo=UTC))
    survey(cleo, cleo_call, True, dt.datetime(2026, 3, 15, 15, tzinfo=UTC))
    survey(rosa, None, False, dt.datetime(2026, 3, 28, 15, tzinfo=UTC), service_request=rosa_request)
    survey(ben, ben_later, True, dt.datetime(2026, 3, 20, 15, tzinfo=UTC))
    survey(rosa, rosa_repeat, False, dt.datetime(2026, 3, 6, 15, tzinfo=UTC))
    return {"rosa": rosa, "first": rosa_repeat_source}


def test_the_centre_figures_match_the_hand_count(jurisdiction, march):
    figures = journeys.centre_figures(jurisdiction, dt.date(2026, 3, 1), now=NOW.replace(month=4))
    assert (figures.contacts, figures.repeat_contacts) == (6, 2)
    assert (figures.first_contacts, figures.resolved_first_time) == (4, 3)
    paths = {tuple(row["steps"]): row["count"] for row in figures.figures["paths"]}
    assert paths == {
        ("phone", "filed", "assigned", "closed"): 1,
        ("web", "filed", "closed", "reopened", "closed"): 1,
    }
    assert figures.figures["requests"] == 2 and figures.figures["open"] == 0
    satisfaction = {row["moment"]: row for row in figures.figures["satisfaction"]}
    assert satisfaction[Moment.REOPEN] == {
        "moment": Moment.REOPEN,
        "surveys_with": 1,
        "unhappy_with": 1,
        "surveys_without": 3,
        "unhappy_without": 1,
    }
    assert satisfaction[Moment.MISSED_SLA]["surveys_with"] == 1
    assert satisfaction[Moment.REPEAT_CONTACT]["surveys_with"] == 1
    assert satisfaction[Moment.REPEAT_CONTACT]["unhappy_with"] == 1
    assert satisfaction[Moment.TRANSFER]["surveys_with"] == 0


def test_the_paths_branch_where_they_part(jurisdiction, march, service):
    # A third request by phone, still open: after "phone → request filed" one was assigned, one was not.
    request_of(march["rosa"], service, dt.datetime(2026, 3, 25, 15, tzinfo=UTC), channel="phone")
    figures = journeys.centre_figures(jurisdiction, dt.date(2026, 3, 1), now=NOW.replace(month=4))
    assert figures.figures["open"] == 1
    assert figures.figures["branches"] == [
        {
            "after": ["phone", "filed"],
            "count": 2,
            "next": [{"step": "assigned", "count": 1}, {"step": "open", "count": 1}],
        }
    ]


def test_the_snapshot_is_stored_once_and_again_the_same(jurisdiction, march):
    now = dt.datetime(2026, 4, 2, 7, tzinfo=UTC)
    journey_snapshots.store_all_snapshots(now=now)
    first = {s.month: (s.contacts, s.repeat_contacts, s.figures) for s in JourneySnapshot.objects.all()}
    journey_snapshots.store_all_snapshots(now=now)
    again = {s.month: (s.contacts, s.repeat_contacts, s.figures) for s in JourneySnapshot.objects.all()}
    assert first == again and set(first) == {dt.date(2026, 3, 1), dt.date(2026, 4, 1)}
    assert JourneySnapshot.objects.count() == 2
    with time_machine.travel(now, tick=False):
        store_journey_snapshots.call_local()
        call_command("journey_snapshots", "--month", "2026-03")
    assert JourneySnapshot.objects.count() == 2
    assert JourneySnapshot.objects.get(month=dt.date(2026, 3, 1)).contacts == 6


# --- the pages -------------------------------------------------------------------------------------------------


def test_the_timeline_page_shows_the_moments_and_audits_the_look(client, agent, rosa, service):
    first = dt.datetime(2026, 3, 2, 15, tzinfo=UTC)
    contact(rosa, service, first)
    contact(rosa, service, first + dt.timedelta(days=2))
    client.force_login(agent)
    before = PersonalDataAccess.objects.count()
    page = client.get(reverse("console:customer_journey", args=[rosa.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Repeat contact within 7 days" in text and "Rosa Marquez" in text
    # In the city's zone: 15:00 UTC is 10:00 in Philadelphia.
    assert "10:00" in text or "10 a.m." in text
    look = PersonalDataAccess.objects.order_by("-pk").first()
    assert PersonalDataAccess.objects.count() == before + 1
    assert look is not None and look.customer_id == rosa.pk and look.where == "journey"
    assert look.purpose == PersonalDataAccess.Purpose.VIEW


def test_the_timeline_page_in_spanish(client, agent, rosa, service):
    contact(rosa, service, dt.datetime(2026, 3, 2, 15, tzinfo=UTC))
    client.force_login(agent)
    page = client.get(reverse("console:customer_journey", args=[rosa.pk]), HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    assert 'lang="es"' in page.content.decode()


@pytest.mark.parametrize("role", [StaffRole.DEPARTMENT_STAFF, StaffRole.SURVEYOR, StaffRole.LEADERSHIP])
def test_those_who_may_not_view_customers_are_refused_the_timeline(client, rosa, role):
    client.force_login(staff_in_role(role))
    before = PersonalDataAccess.objects.count()
    assert client.get(reverse("console:customer_journey", args=[rosa.pk])).status_code == 403
    assert PersonalDataAccess.objects.count() == before


def test_the_caller_panel_shows_the_journey_and_links_the_timeline(client, agent, rosa, service, jurisdiction):
    from civic311.console import services as console

    first = dt.datetime(2026, 3, 2, 15, tzinfo=UTC)
    contact(rosa, service, first)
    contact(rosa, service, first + dt.timedelta(days=1))
    call = console.start_contact(jurisdiction, agent, "phone")
    Contact.objects.filter(pk=call.pk).update(customer=rosa)
    client.force_login(agent)
    page = client.get(reverse("console:contact", args=[call.pk]))
    text = page.content.decode()
    assert 'id="customer-journey"' in text and "Repeat contact within 7 days" in text
    assert reverse("console:customer_journey", args=[rosa.pk]) in text


@pytest.mark.parametrize("role", [StaffRole.SUPERVISOR, StaffRole.LEADERSHIP, StaffRole.ADMIN])
def test_supervisors_and_leadership_read_the_centre_page_and_its_csv(client, jurisdiction, march, role):
    journey_snapshots.store_snapshot(jurisdiction, dt.date(2026, 3, 1), now=dt.datetime(2026, 4, 2, tzinfo=UTC))
    client.force_login(staff_in_role(role))
    page = client.get(reverse("console:journeys"), {"month": "2026-03"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "33.3" in text and "75.0" in text
    assert "Phone → request filed → assigned → closed" in text
    csv = client.get(reverse("console:journeys_csv"), {"month": "2026-03"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode()
    assert "33.3" in body and "Web → request filed → closed → reopened → closed" in body


def test_the_centre_page_in_spanish_and_without_figures(client, jurisdiction, supervisor):
    client.force_login(supervisor)
    page = client.get(reverse("console:journeys"), HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'lang="es"' in text and 'id="no-snapshot"' in text


@pytest.mark.parametrize("role", [StaffRole.AGENT, StaffRole.DEPARTMENT_MANAGER, StaffRole.SURVEYOR])
def test_agents_and_others_are_refused_the_centre_page(client, role):
    client.force_login(staff_in_role(role))
    assert client.get(reverse("console:journeys")).status_code == 403
    assert client.get(reverse("console:journeys_csv")).status_code == 403


def test_the_pages_read_a_bounded_number_of_queries(
    client, jurisdiction, march, supervisor, django_assert_max_num_queries
):
    journey_snapshots.store_snapshot(jurisdiction, dt.date(2026, 3, 1), now=dt.datetime(2026, 4, 2, tzinfo=UTC))
    client.force_login(supervisor)
    client.get(reverse("console:journeys"))  # warm the session
    with django_assert_max_num_queries(8):
        assert client.get(reverse("console:journeys")).status_code == 200
    # The session and user, the audit row, the record, the timeline's 12, customer_history's one per filed contact.
    with django_assert_max_num_queries(24):
        assert client.get(reverse("console:customer_journey", args=[march["rosa"].pk])).status_code == 200


def test_the_roles(db):
    from civic311.people import roles

    for role, centre, customer in (
        (StaffRole.AGENT, False, True),
        (StaffRole.SUPERVISOR, True, True),
        (StaffRole.LEADERSHIP, True, False),
        (StaffRole.ADMIN, True, True),
        (StaffRole.DEPARTMENT_STAFF, False, False),
        (StaffRole.SURVEYOR, False, False),
    ):
        user = staff_in_role(role)
        assert roles.may_see_centre_journeys(user) is centre, role
        assert roles.may_see_customer_journey(user) is customer, role
    assert not roles.may_see_centre_journeys(None)


def test_the_month_bounds_are_the_citys(jurisdiction):
    start, end = journeys.month_bounds(jurisdiction, dt.date(2026, 12, 1))
    assert timezone.localtime(start, jurisdiction.zone).hour == 0
    assert (end - start).days == 31


def test_the_customer_record_links_its_timeline(client, rosa):
    client.force_login(staff_in_role(StaffRole.ADMIN, is_superuser=True))
    page = client.get(reverse("admin:people_customer_change", args=[rosa.pk]))
    assert page.status_code == 200
    assert reverse("console:customer_journey", args=[rosa.pk]) in page.content.decode()
