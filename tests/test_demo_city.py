"""The demo city: a small seed must look like something `submit()` and `change_status()` made."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Department, EscalationStep, Service, ServiceAttribute
from civic311.community.models import NeighborhoodMonth, RollupWatermark, WalkReport
from civic311.demo import services as demo
from civic311.demo import social_posts
from civic311.demo.places import NEIGHBORHOODS
from civic311.inbox.models import InboxChannel, InboxItem, InboxMessage, Mailbox, PostSource, TextConversation
from civic311.insights.models import ForecastRun, JourneySnapshot, VolumeForecast
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions import tracking_numbers
from civic311.jurisdictions.models import Neighborhood, ServiceDesk
from civic311.people import selectors as people_selectors
from civic311.people.models import Customer, CustomerEmail, CustomerPhone, User
from civic311.service_requests import escalation
from civic311.service_requests import selectors as request_selectors
from civic311.service_requests.lifecycle import FINAL_STATES, can_move
from civic311.service_requests.models import Contact, Escalation, HistoryEntry, ServiceRequest

from .factories import filed_request
from .test_escalation import fired, told  # noqa: F401  (told: a fixture)

# The module-scoped fixtures are made once: all of this module's tests run on one xdist worker
# (bin/test and CI run pytest with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("demo_city")

REQUESTS = 300
FINAL = {str(status) for status in FINAL_STATES}


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo_city", stdout=out, stderr=io.StringIO(), interactive=False, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    # Seeded once for the module (seeding is the slow part) inside a transaction rolled back at its end: the
    # demo's staff accounts must not outlive this module. Each test runs in its own savepoint inside it, so
    # a test that reseeds or resets sees the city as seeded and leaves it so for the next.
    with django_db_blocker.unblock(), transaction.atomic():
        seed(requests=REQUESTS, seed=7)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def city(seeded_once, db):
    return demo.demo_city()


def walk_requests(city) -> int:
    """The youth program's field-walk requests the demo files on top of the history (`demo/youth.py`)."""
    return WalkReport.objects.filter(service_request__jurisdiction=city).count()


def inbox_requests(city):
    """The requests agents and the text-message machine filed from the demo's inbox (`demo/inbox.py`)."""
    return ServiceRequest.objects.filter(jurisdiction=city, contacts__inbox_items__isnull=False).distinct()


def requests_of(city):
    return (
        ServiceRequest.objects.filter(jurisdiction=city)
        .exclude(pk__in=inbox_requests(city))
        .select_related("service__jurisdiction", "service__department")
        .prefetch_related("service__attributes__values", "service__routing_rules", "history")
        .order_by("requested_at", "pk")
    )


def test_every_request_is_one_intake_could_have_made(city):
    now = timezone.now()
    zipcodes = {zipcode for place in NEIGHBORHOODS for zipcode in place.zipcodes}
    requests = list(requests_of(city))
    assert len(requests) == REQUESTS + walk_requests(city)
    assert inbox_requests(city).count() == 3  # an e-mail, a post and a text conversation
    for request in requests:
        service = request.service
        assert service.accepts_requests
        assert city.contains(request.lat, request.long)
        assert request.neighborhood_id is not None
        assert request.neighborhood_id == places.neighborhood_id_at(city, request.lat, request.long)
        assert request.h3_cell == places.h3_cell(request.lat, request.long)
        assert request.zipcode in zipcodes and request.address
        answers, errors = catalogue.validate_answers(service, request.attributes)
        assert errors == {}, (service.code, request.attributes)
        assert answers == request.attributes
        routing = catalogue.route(service, request.neighborhood_id, request.attributes)
        assert request.department_id == routing.department.pk
        assert request.hazard == bool(routing.hazard_alerts)
        assert catalogue.canned_answer(service, request.attributes) is None
        assert request.requested_at <= now
        # Reopening restarts the SLA clock, as change_status does.
        reopenings = [entry.created_at for entry in request.history.all() if entry.to_status == "reopened"]
        clock_started = reopenings[-1] if reopenings else request.requested_at
        assert request.expected_at == catalogue.sla_due_at(service, clock_started)


def test_about_sixty_percent_of_contacts_need_only_an_answer(city):
    # The year's history; the agents' console day (recent contacts with the caller's record) comes on top.
    console_day = Contact.objects.filter(
        jurisdiction=city, customer__isnull=False, started_at__gte=timezone.now() - dt.timedelta(hours=3)
    )
    # ... and the youth program's field walks (web reports from a school's street) come on top too.
    walks = Contact.objects.filter(service_request__walk_report__isnull=False)
    assert walks.count() == walk_requests(city) and not walks.exclude(channel="web").exists()
    # ... and so do the inbox's conversations (each worked as a contact of its channel).
    inbox_contacts = Contact.objects.filter(inbox_items__isnull=False)
    assert not inbox_contacts.exclude(channel__in=["email", "sms", "social"]).exists()
    contacts = (
        Contact.objects.filter(jurisdiction=city)
        .exclude(pk__in=console_day)
        .exclude(pk__in=walks)
        .exclude(pk__in=inbox_contacts)
    )
    assert console_day.exists() and not console_day.filter(service__kind=Service.Kind.REQUEST).exists()
    information = contacts.filter(outcome__in=[Contact.Outcome.INFORMATION, Contact.Outcome.DIRECTORY])
    assert 0.57 <= information.count() / contacts.count() <= 0.63
    assert not information.filter(service__kind=Service.Kind.REQUEST).exists()
    filed = contacts.filter(outcome=Contact.Outcome.SERVICE_REQUEST)
    assert filed.count() == REQUESTS
    assert filed.values("service_request").distinct().count() == REQUESTS
    phone = contacts.filter(channel="phone").count() / contacts.count()
    assert 0.35 <= phone <= 0.55


def test_statuses_and_history_tell_one_consistent_story(city):
    now = timezone.now()
    for request in requests_of(city):
        history = list(request.history.all())
        assert history[0].kind == HistoryEntry.Kind.OPENED and history[0].to_status == "new"
        assert history[0].created_at == request.requested_at and history[0].is_public
        times = [entry.created_at for entry in history]
        assert times == sorted(times) and times[-1] <= now
        assert request.updated_at == times[-1]

        status = "new"
        for entry in history[1:]:
            if entry.kind == HistoryEntry.Kind.STATUS:
                assert entry.from_status == status and can_move(status, entry.to_status)
                assert entry.is_public and (entry.actor_id or entry.actor_label)
                status = entry.to_status
            else:
                assert entry.kind in {"assigned", "note", "hazard"} and not entry.is_public
        assert request.status == status

        if request.status in FINAL:
            assert request.closed_at == times[-1]
            assert request.status_notes, f"{request.tracking_number} ended without a public reason"
        else:
            assert request.closed_at is None
        if request.status in {"assigned", "in_progress", "on_hold"}:
            assert request.assignee and request.assignee.is_staff
            assert request.assignee.department_id == request.department_id
        if request.status == "duplicate":
            original = request.duplicate_of
            assert original.service_id == request.service_id and original.duplicate_of_id is None
            assert original.requested_at <= request.requested_at
        else:
            assert request.duplicate_of_id is None


def test_history_is_shaped_like_philly311(city):
    requests = ServiceRequest.objects.filter(jurisdiction=city, walk_report__isnull=True).exclude(
        pk__in=inbox_requests(city)
    )
    closed = requests.filter(status="closed")
    on_time = sum(
        1
        for closed_at, due in closed.values_list("closed_at", "expected_at")
        if closed_at is not None and due is not None and closed_at <= due
    )
    assert 0.65 <= on_time / closed.count() <= 0.92
    assert requests.filter(status__in=FINAL).count() / REQUESTS > 0.85
    local_hours = [moment.astimezone(city.zone).hour for moment in requests.values_list("requested_at", flat=True)]
    assert 0.7 <= sum(8 <= hour < 17 for hour in local_hours) / REQUESTS <= 0.9
    reasons = set(closed.values_list("status_notes", flat=True))
    assert {"Issue Resolved", "Unable to find issue at location"} <= reasons


def test_tracking_numbers_are_consecutive_in_order_of_arrival(city):
    numbers = [
        int(number)
        for number in ServiceRequest.objects.filter(jurisdiction=city, walk_report__isnull=True)
        .exclude(pk__in=inbox_requests(city))
        .order_by("requested_at", "pk")
        .values_list("tracking_number", flat=True)
    ]
    assert numbers == list(range(numbers[0], numbers[0] + REQUESTS))
    # The youth program's walk requests take the numbers after the history's, then the inbox's.
    assert tracking_numbers.next_number(city) == numbers[-1] + 1 + walk_requests(city) + inbox_requests(city).count()


def test_seeding_again_without_reset_changes_nothing(city):
    counts = (
        ServiceRequest.objects.count(),
        InboxItem.objects.count(),
        InboxMessage.objects.count(),
        ServiceDesk.objects.count(),
        Contact.objects.count(),
        HistoryEntry.objects.count(),
        Service.objects.count(),
        User.objects.count(),
        Neighborhood.objects.count(),
    )
    output = seed(requests=REQUESTS)
    assert "already there" in output
    assert counts == (
        ServiceRequest.objects.count(),
        InboxItem.objects.count(),
        InboxMessage.objects.count(),
        ServiceDesk.objects.count(),
        Contact.objects.count(),
        HistoryEntry.objects.count(),
        Service.objects.count(),
        User.objects.count(),
        Neighborhood.objects.count(),
    )
    with pytest.raises(demo.DemoHistoryExists):
        demo.generate_history(city, requests=10)


def test_reset_rebuilds_the_city(city):
    old_pks = set(ServiceRequest.objects.values_list("pk", flat=True))
    seed(requests=40, reset=True)
    rebuilt = demo.demo_city()
    assert rebuilt is not None
    assert rebuilt.pk != city.pk
    assert ServiceRequest.objects.count() == 40 + walk_requests(rebuilt) + inbox_requests(rebuilt).count()
    assert InboxItem.objects.filter(jurisdiction=rebuilt).count() == InboxItem.objects.count()
    assert not old_pks & set(ServiceRequest.objects.values_list("pk", flat=True))
    assert Contact.objects.filter(jurisdiction=rebuilt).count() == Contact.objects.count()


def test_the_demo_inbox_has_every_channel_some_overdue_and_a_post_turned_into_a_request(city):
    now = timezone.now()
    # The week's inbox (the season of posts for the social trends is the next test's).
    items = InboxItem.objects.filter(jurisdiction=city).exclude(
        messages__external_id__contains=social_posts.HISTORY_SERVER
    )
    assert 35 <= items.count() <= 45
    for channel in InboxChannel.values:
        assert items.filter(channel=channel).count() >= 5, channel
        assert items.filter(channel=channel, status=InboxItem.Status.DONE).exists(), channel
        assert items.filter(channel=channel).exclude(status=InboxItem.Status.DONE).exists(), channel
    overdue = items.exclude(status=InboxItem.Status.DONE).filter(response_due_at__lt=now)
    assert {item.channel for item in overdue} >= {"email", "social"}
    assert items.filter(response_due_at__gte=now).exists()  # and some still in time
    assert items.exclude(assigned_to=None).exists() and items.exclude(team=None).exists()
    assert set(items.values_list("status", flat=True)) == set(InboxItem.Status.values)
    assert not items.filter(received_at__gt=now).exists()
    assert not InboxMessage.objects.filter(item__jurisdiction=city, sent_at__gt=now).exists()

    # A post turned into a request: linked both ways, its author's handle the only thing about them.
    post = items.get(channel="social", service_request__isnull=False)
    request = post.service_request
    assert request is not None and request.requester is not None and post.contact is not None
    assert request.channel == "social" and post.contact.service_request == request
    assert request.requester.handle == f"{post.network}:{post.sender}"
    assert not (request.requester.email or request.requester.phone or request.requester.first_name)
    assert post.status == InboxItem.Status.DONE
    assert post.messages.filter(direction="out", body__contains=request.tracking_number).exists()
    dismissed = items.filter(channel="social").exclude(dismissed_reason="")
    assert dismissed.exists() and not dismissed.exclude(status=InboxItem.Status.DONE).exists()
    assert items.filter(channel="social", messages__lat__isnull=False).exists()

    # E-mail: in Spanish too, one with a photo, an auto-reply kept but never answered, and one linked to
    # the request it asks about.
    emails = items.filter(channel="email")
    assert emails.filter(language="es").count() >= 2
    assert InboxMessage.objects.filter(item__in=emails, attachments__isnull=False).exists()
    automatic = InboxMessage.objects.get(item__in=emails, direction="in", automatic=True)
    assert automatic.item.messages.filter(direction="in", automatic=False).exists()
    assert emails.filter(service_request__isnull=False).count() >= 2

    # Text messages: one the machine finished with a request, one handed to an agent, a STATUS query.
    texts = TextConversation.objects.filter(item__jurisdiction=city)
    filed = texts.get(step=TextConversation.Step.FILED)
    assert filed.item.service_request is not None
    assert filed.item.service_request.channel == "sms" and filed.item.status == InboxItem.Status.DONE
    assert texts.filter(step=TextConversation.Step.HANDED_OVER, item__status="new").exists()
    assert items.filter(channel="sms", messages__body__startswith="STATUS ").exists()

    # The doors are there, and nothing in the demo reaches the network.
    assert not Mailbox.objects.filter(jurisdiction=city).exclude(imap_host="").exists()
    polled = PostSource.objects.filter(jurisdiction=city, is_active=True).exclude(kind=PostSource.Kind.WEBHOOK)
    assert not polled.exists()
    assert ServiceDesk.objects.filter(jurisdiction=city, name="City Hall, Room 167").exists()


# --- the demo city as other parts see it (moved here from their modules to share this module's seeded city) ---


def test_the_demo_city_gets_customers_and_delete_demo_city_removes_them(city):
    """From tests/test_customers.py."""
    customers = Customer.objects.filter(jurisdiction=city)
    assert customers.count() >= 50
    assert all(c.phones.exists() or c.emails.exists() for c in customers[:30])
    linked = customers.filter(requesters__isnull=False).distinct().count()
    assert linked == customers.count()
    some = customers.filter(emails__isnull=False).first()
    assert some is not None
    assert people_selectors.customer_for_contact_details(city, email=some.emails.get().email.upper()) == some
    assert request_selectors.customer_history(some)
    demo.delete_demo_city(city)
    assert not (Customer.objects.exists() or CustomerPhone.objects.exists() or CustomerEmail.objects.exists())
    assert demo.demo_city() is None


@pytest.mark.usefixtures("told")  # the escalations' e-mails are committed, as in tests/test_escalation.py
def test_every_demo_department_has_a_three_step_ladder_and_goes_with_the_city(city):
    """From tests/test_escalation.py."""
    departments = Department.objects.filter(jurisdiction=city)
    assert departments.exists()
    for department in departments:
        assert list(department.escalation_steps.values_list("label", "offset_business_days")) == [
            ("point person", -1),
            ("supervisor", 0),
            ("director", 2),
        ]
        assert all(step.notify_email for step in department.escalation_steps.all())
    asks = ServiceAttribute.objects.filter(required=True).values("service")
    simple = (
        Service.objects.filter(jurisdiction=city, sla_unit="business_days")
        .exclude(pk__in=asks)
        .order_by("code")
        .first()
    )
    filed = filed_request(simple)
    assert filed.expected_at is not None
    escalation.sweep(filed.expected_at + dt.timedelta(days=7))
    assert fired(filed) == ["point person", "supervisor", "director"]
    demo.delete_demo_city(city)
    assert not Escalation.objects.exists() and not EscalationStep.objects.exists()


def test_the_demo_city_is_seeded_with_its_figures_counted(city):
    """From tests/community/test_neighborhood_figures.py."""
    public = city.service_requests.filter(is_private=False).count()
    assert sum(NeighborhoodMonth.objects.filter(jurisdiction=city).values_list("filed", flat=True)) == public > 0
    assert RollupWatermark.objects.get(jurisdiction=city).rebuilt_at is not None
    # Seeding again ("already there") brings the figures up to date with a sweep.
    RollupWatermark.objects.filter(jurisdiction=city).delete()
    seed()
    assert RollupWatermark.objects.filter(jurisdiction=city).exists()


def test_the_demo_has_a_season_of_posts_each_read_for_the_social_trends(city):
    posts = InboxItem.objects.filter(
        jurisdiction=city, channel="social", messages__external_id__contains=social_posts.HISTORY_SERVER
    ).distinct()
    assert posts.count() >= 10
    assert not posts.filter(sentiment="").exists() and not posts.filter(text_kind="").exists()
    assert posts.filter(sentiment="negative").exists() and posts.filter(sentiment="positive").exists()
    assert not posts.exclude(status=InboxItem.Status.DONE).exists()  # history: worked long ago
    assert len({item.received_at.date() for item in posts}) > 5  # spread over weeks, not one day


def test_the_demo_city_has_a_forecast_and_journey_figures_to_show(city):
    # The supervisors' forecast and journeys pages read what the nightly tasks store: the seed stores it once.
    run = ForecastRun.objects.get(jurisdiction=city)
    assert VolumeForecast.objects.filter(run=run).exists()
    assert JourneySnapshot.objects.filter(jurisdiction=city).count() == 2  # last month and this one
    assert JourneySnapshot.objects.filter(jurisdiction=city, contacts__gt=0).exists()
    seed()  # seeding again keeps the forecast (the nightly task makes the next) and refreshes the figures
    assert ForecastRun.objects.filter(jurisdiction=city).count() == 1
    assert JourneySnapshot.objects.filter(jurisdiction=city).count() == 2
