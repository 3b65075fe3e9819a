"""The agent console: its services (each rule and refusal), selectors (duplicates, answers, handle time)
and views (every staff role, the audit of personal data, the whole flow without JavaScript)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from civic311.catalogue.models import RoutingRule
from civic311.console import selectors, services
from civic311.notifications.models import Subscription
from civic311.people import services as people
from civic311.people.models import Customer, PersonalDataAccess, StaffRole
from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Contact, HistoryEntry, ServiceRequest

from .factories import (
    DepartmentFactory,
    JurisdictionFactory,
    RoutingRuleFactory,
    ServiceFactory,
    filed_request,
    select_attribute,
    staff_in_role,
)
from .roles_helpers import STAFF_ROLES

CITY_HALL: dict[str, Any] = {"lat": "39.9526", "long": "-75.1635"}
NEAR_CITY_HALL: dict[str, Any] = {"lat": "39.9527", "long": "-75.1636"}  # ~15 m away: the same or the next H3 cell
FAR_AWAY: dict[str, Any] = {"lat": "40.0500", "long": "-75.0500"}
NOW = dt.datetime(2025, 3, 4, 15, 0, tzinfo=dt.UTC)  # 10:00 in Philadelphia, a Tuesday


@pytest.fixture
def agent(db):
    return staff_in_role(StaffRole.AGENT, username="alex")


@pytest.fixture
def other_agent(db):
    return staff_in_role(StaffRole.AGENT, username="blair")


@pytest.fixture
def supervisor(db):
    return staff_in_role(StaffRole.SUPERVISOR, username="sasha")


@pytest.fixture
def caller(jurisdiction):
    return people.create_customer(
        jurisdiction,
        first_name="Rosa",
        last_name="Marquez",
        phones=["215-555-0100"],
        emails=["rosa@example.org"],
        actor=None,
    )


@pytest.fixture
def contact(jurisdiction, agent):
    return services.start_contact(jurisdiction, agent, "phone")


def report(service, **fields) -> requests.Report:
    values: dict[str, Any] = {**CITY_HALL, "description": "Mattresses on the sidewalk."}
    values.update(fields)
    return requests.Report(service_code=service.code, **values)


# --- opening a contact and the caller --------------------------------------------------------------------


def test_a_contact_opens_with_no_outcome_and_its_clock_running(jurisdiction, agent):
    contact = services.start_contact(jurisdiction, agent, "walk_in", now=NOW)
    assert (contact.outcome, contact.ended_at, contact.started_at, contact.agent) == (
        Contact.Outcome.PENDING,
        None,
        NOW,
        agent,
    )
    assert contact.handle_seconds is None


@pytest.mark.parametrize("channel", ["web", "open311", "", "telepathy"])
def test_only_the_contact_centre_channels_open_a_contact(jurisdiction, agent, channel):
    with pytest.raises(ValidationError):
        services.start_contact(jurisdiction, agent, channel)
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "role", [StaffRole.DEPARTMENT_STAFF, StaffRole.DEPARTMENT_MANAGER, StaffRole.SURVEYOR, StaffRole.COMMUNITY_STAFF]
)
def test_staff_without_a_console_role_cannot_open_a_contact(jurisdiction, department, role):
    user = staff_in_role(role, department)
    with pytest.raises(PermissionDenied):
        services.start_contact(jurisdiction, user, "phone")


def test_the_caller_is_attached_and_a_merged_record_resolves_to_its_survivor(jurisdiction, contact, agent, caller):
    twin = people.create_customer(jurisdiction, first_name="Rosa", phones=["2155550100"], actor=None)
    people.merge_customers(caller, twin, actor=None)
    twin.refresh_from_db()
    attached = services.attach_customer(contact, twin, agent=agent)
    assert attached.customer == caller


def test_a_customer_of_another_city_is_refused(contact, agent):
    elsewhere = JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camden")
    stranger = people.create_customer(elsewhere, last_name="Other", actor=None)
    with pytest.raises(ValidationError):
        services.attach_customer(contact, stranger, agent=agent)
    contact.refresh_from_db()
    assert contact.customer is None


def test_only_the_agent_who_took_the_contact_records_it(contact, other_agent, supervisor, caller):
    for someone in (other_agent, supervisor):
        with pytest.raises(PermissionDenied):
            services.attach_customer(contact, caller, agent=someone)
        with pytest.raises(PermissionDenied):
            services.answer_information(contact, summary="Trash day is Monday.", agent=someone)
        with pytest.raises(PermissionDenied):
            services.finish_contact(contact, agent=someone, survey_consent=False)
    contact.refresh_from_db()
    assert (contact.customer, contact.outcome, contact.ended_at) == (None, Contact.Outcome.PENDING, None)


def test_a_new_caller_gets_a_customer_record_attached(contact, agent):
    customer = services.create_customer_for_contact(
        contact,
        agent=agent,
        first_name="Lee",
        last_name="Chan",
        phone="(215) 555-0199",
        email="lee@example.org",
        address="1400 JFK Blvd",
        zipcode="19107",
    )
    contact.refresh_from_db()
    assert contact.customer == customer
    assert customer.phones.get().digits == "+12155550199"
    assert customer.addresses.get().zipcode == "19107"
    assert PersonalDataAccess.objects.filter(user=agent, customer=customer, where="console").exists()


def test_a_bad_new_customer_writes_nothing(contact, agent):
    with pytest.raises(ValidationError) as refused:
        services.create_customer_for_contact(contact, agent=agent, last_name="Chan", email="not an address")
    assert "emails" in refused.value.message_dict
    assert not Customer.objects.exists()
    contact.refresh_from_db()
    assert contact.customer is None


# --- filing a request ----------------------------------------------------------------------------------------


def test_filing_for_the_caller_leaves_one_contact_that_is_the_requests(contact, agent, caller, service):
    services.attach_customer(contact, caller, agent=agent)
    submission = services.file_request_for_contact(
        contact, report(service, first_name="Rosa", last_name="Marquez", email="rosa@example.org"), agent=agent
    )
    filed = submission.service_request
    assert filed.channel == "phone"  # the contact's channel, whatever the report said
    assert Contact.objects.count() == 1
    contact.refresh_from_db()
    assert (contact.outcome, contact.service_request, contact.service) == (
        Contact.Outcome.SERVICE_REQUEST,
        filed,
        service,
    )
    assert contact.ended_at is None  # the wrap-up ends it
    assert filed.requester is not None
    assert filed.requester.customer == caller
    assert filed.history.get(kind=HistoryEntry.Kind.OPENED).actor == agent


def test_a_refused_report_files_nothing_and_leaves_the_contact_open(contact, agent, service):
    with pytest.raises(ValidationError) as refused:
        services.file_request_for_contact(contact, report(service, lat="", long="", address=""), agent=agent)
    assert "location" in refused.value.message_dict
    assert not ServiceRequest.objects.exists()
    assert list(Contact.objects.all()) == [contact]
    contact.refresh_from_db()
    assert contact.outcome == Contact.Outcome.PENDING


def test_a_safety_rule_answer_becomes_the_contacts_outcome(contact, agent, service):
    select_attribute(service, "gas", ["yes", "no"])
    RoutingRuleFactory(
        service=service,
        kind=RoutingRule.Kind.CANNED_ANSWER,
        attribute_code="gas",
        attribute_value="yes",
        message="Leave the area and call 911.",
    )
    with pytest.raises(requests.CannedAnswer):
        services.file_request_for_contact(contact, report(service, answers={"gas": "yes"}), agent=agent)
    assert list(Contact.objects.all()) == [contact]
    contact.refresh_from_db()
    assert (contact.outcome, contact.summary, contact.service) == (
        Contact.Outcome.CANNED_ANSWER,
        "Leave the area and call 911.",
        service,
    )
    assert not ServiceRequest.objects.exists()


def test_one_outcome_per_contact(contact, agent, service):
    services.answer_information(contact, summary="Bulk pickup is by appointment.", agent=agent)
    with pytest.raises(ValidationError):
        services.file_request_for_contact(contact, report(service), agent=agent)
    with pytest.raises(ValidationError):
        services.answer_information(contact, summary="Again.", agent=agent)
    assert not ServiceRequest.objects.exists()


# --- information -------------------------------------------------------------------------------------------------


def test_an_information_answer_is_recorded(contact, agent, service):
    services.answer_information(
        contact, summary="  Pickup is on Mondays.  ", agent=agent, service=service, outcome=Contact.Outcome.DIRECTORY
    )
    contact.refresh_from_db()
    assert (contact.outcome, contact.summary, contact.service) == (
        Contact.Outcome.DIRECTORY,
        "Pickup is on Mondays.",
        service,
    )


@pytest.mark.parametrize(
    ("summary", "outcome", "field"),
    [
        ("   ", Contact.Outcome.INFORMATION, "summary"),
        ("Bad\x00text", Contact.Outcome.INFORMATION, "summary"),
        ("An answer", Contact.Outcome.SERVICE_REQUEST, "outcome"),
    ],
)
def test_a_bad_information_answer_writes_nothing(contact, agent, summary, outcome, field):
    with pytest.raises(ValidationError) as refused:
        services.answer_information(contact, summary=summary, agent=agent, outcome=outcome)
    assert field in refused.value.message_dict
    contact.refresh_from_db()
    assert (contact.outcome, contact.summary) == (Contact.Outcome.PENDING, "")


# --- adding the caller to an existing request --------------------------------------------------------------------


def test_the_caller_is_added_to_an_existing_request(contact, agent, service):
    existing = filed_request(service)
    services.attach_to_existing(contact, existing, agent=agent, subscribe_email="rosa@example.org")
    contact.refresh_from_db()
    assert (contact.outcome, contact.service_request) == (Contact.Outcome.EXISTING_REQUEST, existing)
    note = existing.history.get(kind=HistoryEntry.Kind.NOTE)
    assert "Another caller reported this" in note.text and not note.is_public
    assert note.actor == agent  # in the agent's name, though agents do not work requests
    assert Subscription.objects.get(service_request=existing).state == Subscription.State.PENDING


def test_without_agreement_no_subscription_is_made(contact, agent, service):
    existing = filed_request(service)
    services.attach_to_existing(contact, existing, agent=agent)
    assert not Subscription.objects.exists()


def test_a_closed_request_takes_no_callers(contact, agent, supervisor, service):
    existing = filed_request(service)
    requests.change_status(existing, Status.CLOSED, actor=supervisor, public_reason="Repair completed")
    with pytest.raises(ValidationError):
        services.attach_to_existing(contact, existing, agent=agent)
    contact.refresh_from_db()
    assert contact.outcome == Contact.Outcome.PENDING


def test_a_private_request_cannot_be_followed_and_nothing_is_written(contact, agent, service):
    existing = filed_request(service, is_private=True)
    with pytest.raises(ValidationError) as refused:
        services.attach_to_existing(contact, existing, agent=agent, subscribe_email="rosa@example.org")
    assert "subscribe_email" in refused.value.message_dict
    contact.refresh_from_db()
    assert contact.outcome == Contact.Outcome.PENDING
    assert not existing.history.filter(kind=HistoryEntry.Kind.NOTE).exists()
    assert not Subscription.objects.exists()


# --- the wrap-up and handle time ------------------------------------------------------------------------------------


def test_the_wrap_up_fixes_the_handle_time_and_records_consent_on_the_customer(jurisdiction, agent, caller):
    with time_machine.travel(NOW, tick=False):
        contact = services.start_contact(jurisdiction, agent, "phone")
        services.attach_customer(contact, caller, agent=agent)
    with time_machine.travel(NOW + dt.timedelta(minutes=4, seconds=5), tick=False):
        services.answer_information(contact, summary="Recycling goes out on Tuesday.", agent=agent)
        finished = services.finish_contact(contact, agent=agent, survey_consent=True, callback_phone="215 555 0100")
    assert finished.handle_seconds == 245
    assert (finished.survey_consent, finished.callback_phone) == (True, "+12155550100")  # E.164
    caller.refresh_from_db()
    assert caller.consent_survey is True
    assert caller.consent_updated_at == NOW + dt.timedelta(minutes=4, seconds=5)
    assert selectors.format_duration(finished.handle_seconds) == "4:05"


@pytest.mark.parametrize(
    ("consent", "phone", "field"),
    [
        (None, "", "survey_consent"),
        (True, "", "callback_phone"),
        (False, "12", "callback_phone"),
    ],
)
def test_a_bad_wrap_up_leaves_the_contact_open(contact, agent, consent, phone, field):
    services.answer_information(contact, summary="An answer.", agent=agent)
    with pytest.raises(ValidationError) as refused:
        services.finish_contact(contact, agent=agent, survey_consent=consent, callback_phone=phone)
    assert field in refused.value.message_dict
    contact.refresh_from_db()
    assert contact.ended_at is None


def test_a_contact_needs_an_outcome_before_its_wrap_up(contact, agent):
    with pytest.raises(ValidationError) as refused:
        services.finish_contact(contact, agent=agent, survey_consent=False)
    assert "contact" in refused.value.message_dict


def test_a_finished_contact_takes_nothing_more(contact, agent, caller, service):
    services.answer_information(contact, summary="An answer.", agent=agent)
    services.finish_contact(contact, agent=agent, survey_consent=False)
    contact.refresh_from_db()
    for attempt in (
        lambda: services.finish_contact(contact, agent=agent, survey_consent=True, callback_phone="2155550100"),
        lambda: services.attach_customer(contact, caller, agent=agent),
        lambda: services.file_request_for_contact(contact, report(service), agent=agent),
    ):
        with pytest.raises(ValidationError):
            attempt()
    assert not ServiceRequest.objects.exists()


def test_the_agents_day_and_the_teams(jurisdiction, agent, other_agent):
    with time_machine.travel(NOW, tick=False):
        for agent_, minutes in ((agent, 2), (agent, 4), (other_agent, 6)):
            contact = services.start_contact(jurisdiction, agent_, "phone", now=NOW - dt.timedelta(minutes=minutes))
            services.answer_information(contact, summary="An answer.", agent=agent_)
            services.finish_contact(contact, agent=agent_, survey_consent=False, now=NOW)
        services.start_contact(jurisdiction, agent, "email")
        yesterday = services.start_contact(jurisdiction, agent, "phone", now=NOW - dt.timedelta(days=1))
        day = selectors.agent_contacts_today(agent, jurisdiction)
        team = selectors.team_today(jurisdiction)
    assert (len(day.contacts), day.finished, day.average_handle_seconds) == (3, 2, 180)
    assert yesterday not in day.contacts and len(day.open_contacts) == 1
    # Sorted by the agents' names, which the factories number by the order tests happen to run in.
    assert {r.agent: (r.contacts, r.open, r.average_handle_seconds) for r in team} == {
        agent: (3, 1, 180),
        other_agent: (1, 0, 360),
    }
    assert [str(r.agent).casefold() for r in team] == sorted(str(r.agent).casefold() for r in team)


# --- the caller hung up (issue 14) ------------------------------------------------------------------------------------


def test_a_dropped_call_ends_with_caller_hung_up_and_no_made_up_outcome(jurisdiction, agent, caller):
    people.record_consent(caller, survey=True, actor=None)
    with time_machine.travel(NOW, tick=False):
        contact = services.start_contact(jurisdiction, agent, "phone")
        services.attach_customer(contact, caller, agent=agent)
    with time_machine.travel(NOW + dt.timedelta(seconds=40), tick=False):
        ended = services.caller_hung_up(contact, agent=agent)
    contact.refresh_from_db()
    assert (contact.outcome, contact.ended_at, contact.handle_seconds) == (
        Contact.Outcome.HUNG_UP,
        NOW + dt.timedelta(seconds=40),
        40,
    )
    assert (contact.survey_consent, contact.callback_phone, contact.summary) == (None, "", "")
    assert contact.has_outcome and ended.get_outcome_display() == "Caller hung up"
    caller.refresh_from_db()
    assert caller.consent_survey is True  # not asked this time: what they said before stands
    # Nobody calls back a caller who hung up to ask how the call went.
    from civic311.surveys import services as surveys

    assert surveys.build_work_list(jurisdiction, NOW + dt.timedelta(hours=1)) == 0


def test_a_call_that_drops_after_its_request_was_filed_keeps_that_outcome(contact, agent, service):
    submission = services.file_request_for_contact(contact, report(service), agent=agent)
    services.caller_hung_up(contact, agent=agent)
    contact.refresh_from_db()
    assert (contact.outcome, contact.service_request) == (Contact.Outcome.SERVICE_REQUEST, submission.service_request)
    assert contact.ended_at is not None and contact.survey_consent is None


def test_hanging_up_is_refused_when_it_cannot_apply(jurisdiction, contact, agent, other_agent):
    with pytest.raises(PermissionDenied):
        services.caller_hung_up(contact, agent=other_agent)
    walk_in = services.start_contact(jurisdiction, agent, "walk_in")
    with pytest.raises(ValidationError) as refused:
        services.caller_hung_up(walk_in, agent=agent)
    assert "Only a phone call can be hung up" in refused.value.message_dict["contact"][0]
    services.caller_hung_up(contact, agent=agent)
    with pytest.raises(ValidationError):  # once ended, it is ended
        services.caller_hung_up(contact, agent=agent)
    walk_in.refresh_from_db()
    assert (walk_in.outcome, walk_in.ended_at) == (Contact.Outcome.PENDING, None)


def test_hung_up_calls_count_as_finished_not_open(jurisdiction, agent):
    with time_machine.travel(NOW, tick=False):
        answered = services.start_contact(jurisdiction, agent, "phone", now=NOW - dt.timedelta(minutes=4))
        services.answer_information(answered, summary="An answer.", agent=agent)
        services.finish_contact(answered, agent=agent, survey_consent=False, now=NOW)
        dropped = services.start_contact(jurisdiction, agent, "phone", now=NOW - dt.timedelta(minutes=2))
        services.caller_hung_up(dropped, agent=agent, now=NOW)
        day = selectors.agent_contacts_today(agent, jurisdiction)
        team = selectors.team_today(jurisdiction)
    assert (day.finished, day.hung_up, day.open_contacts, day.average_handle_seconds) == (2, 1, [], 180)
    assert [(r.contacts, r.open) for r in team] == [(2, 0)]


def test_the_console_page_ends_a_dropped_call(client, contact, agent, jurisdiction):
    client.force_login(agent)
    page = client.get(reverse("console:contact", args=[contact.pk])).content.decode()
    assert f'action="{reverse("console:hung_up", args=[contact.pk])}"' in page
    response = client.post(reverse("console:hung_up", args=[contact.pk]), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[0][0] == reverse("console:contact", args=[contact.pk])
    assert "Contact ended: the caller hung up." in html and "Caller hung up</p>" in html
    assert reverse("console:hung_up", args=[contact.pk]) not in html  # finished: no button
    again = client.post(reverse("console:hung_up", args=[contact.pk]), follow=True)
    assert "This contact is finished; start a new one." in again.content.decode()
    home = client.get(reverse("console:home")).content.decode()
    assert "Of these, 1 caller hung up." in home
    # A walk-in has no such button.
    walk_in = services.start_contact(jurisdiction, agent, "walk_in")
    assert (
        reverse("console:hung_up", args=[walk_in.pk])
        not in client.get(reverse("console:contact", args=[walk_in.pk])).content.decode()
    )


# --- duplicate suggestions and answers ------------------------------------------------------------------------------


def test_duplicate_suggestions_are_open_requests_of_the_service_nearby(jurisdiction, service, supervisor):
    older = filed_request(service, **CITY_HALL)
    newer = filed_request(service, **NEAR_CITY_HALL)
    filed_request(service, **FAR_AWAY)
    filed_request(ServiceFactory(jurisdiction=jurisdiction), **CITY_HALL)  # another service
    closed = filed_request(service, **CITY_HALL)
    requests.change_status(closed, Status.CLOSED, actor=supervisor, public_reason="Repair completed")
    found = selectors.duplicate_suggestions(service, 39.9526, -75.1635)
    # Ranked (text_intelligence.duplicates): filed the same minute, the closer one first; each with why.
    assert [s.service_request for s in found] == [older, newer]
    assert found[0].metres == 0 and found[1].metres is not None and 0 < found[1].metres < 30
    assert found[0].why == "same service, 0 m, today" and found[0].score > found[1].score


def test_without_a_point_the_same_address_is_suggested(service):
    same = filed_request(service, lat="", long="", address="1400 JFK Blvd")
    filed_request(service, lat="", long="", address="1500 Market St")
    found = selectors.duplicate_suggestions(service, None, None, address=" 1400  jfk blvd ")
    assert [s.service_request for s in found] == [same]
    assert found[0].metres is None
    assert selectors.duplicate_suggestions(service, None, None) == []


def test_search_answers_is_the_catalogue_until_the_knowledge_base_lands(jurisdiction, service):
    found = selectors.search_answers(jurisdiction, "dumping", "en")
    assert [(item.title, item.service) for item in found] == [("Illegal Dumping", service)]
    assert found[0].files_requests and found[0].body == service.description
    assert selectors.search_answers(jurisdiction, "   ", "en") == []


# --- the views: who may -------------------------------------------------------------------------------------------


ALLOWED = {StaffRole.AGENT, StaffRole.SUPERVISOR, StaffRole.ADMIN}
HTMX = {"HTTP_HX_REQUEST": "true"}


def get_urls(pk: int) -> list[str]:
    return [
        reverse("console:contact", args=[pk]),
        reverse("console:callers", args=[pk]) + "?q=Rosa",
        reverse("console:answers", args=[pk]) + "?s=dumping",
        reverse("console:duplicates", args=[pk]) + "?service=SR-ST02&lat=39.9526&long=-75.1635",
    ]


def post_urls(pk: int) -> list[str]:
    return [
        reverse(f"console:{name}", args=[pk])
        for name in ("choose_customer", "new_customer", "file_request", "attach", "answer", "finish", "hung_up")
    ]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_role_against_every_console_view(client, jurisdiction, department, service, agent, role):
    user = staff_in_role(role, department)
    client.force_login(user)
    if role in ALLOWED:
        assert client.get(reverse("console:home")).status_code == 200
        started = client.post(reverse("console:start"), {"channel": "phone"})
        own = Contact.objects.get(agent=user)
        assert started.status_code == 302 and started["Location"] == reverse("console:contact", args=[own.pk])
        for url in get_urls(own.pk):
            assert client.get(url, **HTMX).status_code == 200, url
    else:
        assert client.get(reverse("console:home")).status_code == 403
        assert client.post(reverse("console:start"), {"channel": "phone"}).status_code == 403
        assert not Contact.objects.filter(agent=user).exists()
    # Someone else's contact: supervisors and admins look; nobody else records on it.
    theirs = services.start_contact(jurisdiction, agent, "phone")
    looked = client.get(reverse("console:contact", args=[theirs.pk]))
    assert looked.status_code == (200 if role in {StaffRole.SUPERVISOR, StaffRole.ADMIN} else 403)
    for url in get_urls(theirs.pk)[1:] + post_urls(theirs.pk):
        response = client.post(url, {}) if url in post_urls(theirs.pk) else client.get(url, **HTMX)
        assert response.status_code == 403, url
    theirs.refresh_from_db()
    assert (theirs.outcome, theirs.ended_at, theirs.customer) == (Contact.Outcome.PENDING, None, None)


def test_an_agent_cannot_open_another_agents_contact(client, contact, other_agent):
    client.force_login(other_agent)
    assert client.get(reverse("console:contact", args=[contact.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, contact):
    for url in [reverse("console:home"), *get_urls(contact.pk)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url
    for url in [reverse("console:start"), *post_urls(contact.pk)]:
        assert client.post(url, {}).status_code == 302, url
    assert Contact.objects.count() == 1


def test_a_missing_contact_is_404(client, agent):
    client.force_login(agent)
    assert client.get(reverse("console:contact", args=[999999])).status_code == 404


# --- the views: personal data is audited ---------------------------------------------------------------------------


def test_looking_at_and_searching_for_the_caller_is_audited(client, contact, agent, caller):
    client.force_login(agent)
    searched = client.get(reverse("console:callers", args=[contact.pk]), {"q": "215-555-0100"}, **HTMX)
    assert b"Rosa Marquez" in searched.content
    assert PersonalDataAccess.objects.filter(user=agent, customer=caller, purpose="search", where="console").exists()
    assert not PersonalDataAccess.objects.filter(purpose="view").exists()
    client.post(reverse("console:choose_customer", args=[contact.pk]), {"customer": caller.pk})
    page = client.get(reverse("console:contact", args=[contact.pk]))
    assert b"rosa@example.org" in page.content
    assert PersonalDataAccess.objects.filter(user=agent, customer=caller, purpose="view", where="console").count() == 1


def test_without_javascript_the_searches_come_with_the_page(client, contact, agent, caller, service):
    client.force_login(agent)
    page = client.get(reverse("console:contact", args=[contact.pk]), {"q": "Marquez", "s": "dumping"})
    assert b"Rosa Marquez" in page.content and b"File a request: Illegal Dumping" in page.content
    redirected = client.get(reverse("console:callers", args=[contact.pk]), {"q": "Marquez"})
    assert redirected.status_code == 302 and "q=Marquez" in redirected["Location"]


# --- the views: the flow ----------------------------------------------------------------------------------------------


def test_an_agent_files_a_request_for_a_caller_and_wraps_up(client, jurisdiction, agent, caller, service):
    client.force_login(agent)
    contact_url = client.post(reverse("console:start"), {"channel": "phone"})["Location"]
    contact = Contact.objects.get()
    client.post(reverse("console:choose_customer", args=[contact.pk]), {"customer": caller.pk})
    form = client.get(contact_url, {"service": service.code})
    assert form.status_code == 200
    # The requester's details come from the caller's record.
    assert b'value="rosa@example.org"' in form.content and b'value="Rosa"' in form.content
    key = form.context["report_form"].idempotency_key
    filed = client.post(
        reverse("console:file_request", args=[contact.pk]),
        {
            "service": service.code,
            "idempotency_key": key,
            "description": "A sofa.",
            **CITY_HALL,
            "first_name": "Rosa",
            "last_name": "Marquez",
            "email": "rosa@example.org",
        },
    )
    assert filed.status_code == 302
    request = ServiceRequest.objects.get()
    wrap_up = client.get(contact_url)
    assert request.tracking_number.encode() in wrap_up.content
    assert wrap_up.context["wrap_up_form"].initial["callback_phone"] == "(215) 555-0100"  # national format
    finished = client.post(
        reverse("console:finish", args=[contact.pk]), {"survey_consent": "yes", "callback_phone": "215-555-0100"}
    )
    assert finished.status_code == 302
    contact.refresh_from_db()
    assert contact.ended_at is not None and contact.survey_consent is True
    assert (contact.service_request, contact.customer, request.channel) == (request, caller, "phone")
    caller.refresh_from_db()
    assert caller.consent_survey
    assert b"Handle time" in client.get(contact_url).content


def test_a_refused_report_is_shown_with_its_errors_and_nothing_filed(client, contact, agent, service):
    client.force_login(agent)
    response = client.post(
        reverse("console:file_request", args=[contact.pk]),
        {"service": service.code, "description": "A sofa.", "lat": "39.9526"},
    )
    assert response.status_code == 400
    assert b"Give both the latitude and the longitude." in response.content
    assert not ServiceRequest.objects.exists()


def test_checking_for_duplicates_without_javascript_files_nothing(client, contact, agent, service):
    existing = filed_request(service)
    client.force_login(agent)
    response = client.post(
        reverse("console:file_request", args=[contact.pk]),
        {"service": service.code, "action": "check", **NEAR_CITY_HALL},
    )
    assert response.status_code == 200
    assert existing.tracking_number.encode() in response.content
    assert ServiceRequest.objects.count() == 1


def test_an_agent_adds_the_caller_to_a_suggested_request(client, contact, agent, service):
    existing = filed_request(service)
    client.force_login(agent)
    fragment = client.get(
        reverse("console:duplicates", args=[contact.pk]), {"service": service.code, **NEAR_CITY_HALL}, **HTMX
    )
    assert existing.tracking_number.encode() in fragment.content
    response = client.post(
        reverse("console:attach", args=[contact.pk]),
        {"service_request": existing.pk, "subscribe": "1", "subscribe_email": "rosa@example.org"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.outcome, contact.service_request) == (Contact.Outcome.EXISTING_REQUEST, existing)
    assert Subscription.objects.filter(service_request=existing, email="rosa@example.org").exists()


def test_information_and_wrap_up_errors_are_shown_on_their_forms(client, contact, agent):
    client.force_login(agent)
    empty = client.post(reverse("console:answer", args=[contact.pk]), {"summary": "", "outcome": "information"})
    assert empty.status_code == 400 and b"Write down the answer that was given." in empty.content
    client.post(
        reverse("console:answer", args=[contact.pk]), {"summary": "Trash day is Monday.", "outcome": "information"}
    )
    no_consent = client.post(reverse("console:finish", args=[contact.pk]), {"callback_phone": ""})
    assert no_consent.status_code == 400 and b"survey call" in no_consent.content
    contact.refresh_from_db()
    assert contact.outcome == Contact.Outcome.INFORMATION and contact.ended_at is None


def test_an_other_departments_request_may_still_take_a_caller(client, contact, agent, jurisdiction):
    # Agents see every request of their city, whichever department works it.
    elsewhere = ServiceFactory(jurisdiction=jurisdiction, department=DepartmentFactory(jurisdiction=jurisdiction))
    existing = filed_request(elsewhere)
    client.force_login(agent)
    client.post(reverse("console:attach", args=[contact.pk]), {"service_request": existing.pk})
    contact.refresh_from_db()
    assert contact.service_request == existing


def test_the_demo_gives_each_agent_a_few_finished_contacts_today(jurisdiction, agent, caller, service):
    from civic311.demo.console_contacts import give_agents_console_contacts

    made = give_agents_console_contacts(jurisdiction, per_agent=3, now=NOW)
    assert made == 3
    day = selectors.agent_contacts_today(agent, jurisdiction, now=NOW)
    assert day.finished == 3 and day.average_handle_seconds is not None
    assert give_agents_console_contacts(jurisdiction, now=NOW) == 0  # once a day


def test_answers_shown_while_typing_are_not_logged_but_an_asked_search_is(client, contact, agent, service):
    from civic311.insights.models import SearchLog

    client.force_login(agent)
    for prefix in ("dum", "dump", "dumping"):
        assert client.get(reverse("console:answers", args=[contact.pk]) + f"?s={prefix}", **HTMX).status_code == 200
    assert not SearchLog.objects.exists()
    assert client.get(reverse("console:contact", args=[contact.pk]) + "?s=dumping").status_code == 200
    assert list(SearchLog.objects.values_list("query", "channel")) == [("dumping", "console")]


# --- walk-in desks ------------------------------------------------------------------------------------------------


@pytest.fixture
def desks(jurisdiction):
    from civic311.jurisdictions.models import ServiceDesk

    return (
        ServiceDesk.objects.create(jurisdiction=jurisdiction, name="City Hall, room 167"),
        ServiceDesk.objects.create(jurisdiction=jurisdiction, name="Municipal Services Building"),
        ServiceDesk.objects.create(jurisdiction=jurisdiction, name="Closed annex", is_active=False),
    )


def test_a_walk_in_records_its_desk(jurisdiction, agent, desks):
    contact = services.start_contact(jurisdiction, agent, "walk_in", desk=desks[1])
    assert contact.desk == desks[1]
    # Other channels have no desk.
    assert services.start_contact(jurisdiction, agent, "phone", desk=desks[1]).desk is None


def test_a_walk_in_without_a_desk_is_refused_when_the_city_has_desks(jurisdiction, agent, desks):
    with pytest.raises(ValidationError) as refused:
        services.start_contact(jurisdiction, agent, "walk_in")
    assert refused.value.message_dict["desk"] == ["Choose the service desk the resident walked in to."]
    with pytest.raises(ValidationError):
        services.start_contact(jurisdiction, agent, "walk_in", desk=desks[2])  # closed
    camden = JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camden", is_default=False)
    from civic311.jurisdictions.models import ServiceDesk

    theirs = ServiceDesk.objects.create(jurisdiction=camden, name="Camden desk")
    with pytest.raises(ValidationError):
        services.start_contact(jurisdiction, agent, "walk_in", desk=theirs)
    assert not Contact.objects.exists()


def test_a_city_without_desks_takes_walk_ins_without_one(jurisdiction, agent):
    assert services.start_contact(jurisdiction, agent, "walk_in").desk is None


def test_the_console_asks_for_the_desk_and_remembers_it(client, jurisdiction, agent, desks):
    client.force_login(agent)
    home = client.get(reverse("console:home")).content.decode()
    assert "City Hall, room 167" in home and "Closed annex" not in home
    refused = client.post(reverse("console:start"), {"channel": "walk_in"}, follow=True).content.decode()
    assert "Choose the service desk the resident walked in to." in refused
    assert not Contact.objects.exists()
    client.post(reverse("console:start"), {"channel": "walk_in", "desk": str(desks[0].pk)})
    assert Contact.objects.get().desk == desks[0]
    home = client.get(reverse("console:home")).content.decode()
    assert f'<option value="{desks[0].pk}" selected>' in home  # remembered for the next walk-in
    # Junk is not a desk.
    client.post(reverse("console:start"), {"channel": "walk_in", "desk": "1; drop"})
    assert Contact.objects.count() == 1
