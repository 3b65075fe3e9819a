"""`inbox.services.working`: what agents do with an item (take, assign, set its status, reply, link a request,
finish, dismiss), its contact's lifecycle, the response clock, and the refusals."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civic311.inbox.models import InboxItem, InboxMessage, Mailbox, PostSource
from civic311.inbox.services import (
    Incoming,
    assign,
    dismiss,
    finish,
    link_request,
    receive,
    record_automatic_reply,
    reply,
    set_status,
    take,
)
from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications.models import OutboundMessage
from civic311.people.models import Customer, StaffRole, Team, User
from civic311.service_requests.models import Contact
from civic311.social.models import OutboundPost

from ..factories import JurisdictionFactory, filed_request, staff_in_role

NOW = dt.datetime(2025, 3, 4, 15, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
_ids = itertools.count(1)
Status = InboxItem.Status


def email_item(jurisdiction: Jurisdiction, mailbox: Mailbox, **fields: Any) -> InboxItem:
    values: dict[str, Any] = {
        "channel": "email",
        "external_id": f"<w{next(_ids)}@example.org>",
        "sender": "rosa@example.org",
        "subject": "Pothole",
        "body": "A deep pothole.",
        "mailbox": mailbox,
    }
    values.update(fields)
    return receive(jurisdiction, Incoming(**values), now=NOW).item


def post_item(jurisdiction: Jurisdiction, source: PostSource | None) -> InboxItem:
    incoming = Incoming(
        channel="social",
        external_id=f"https://example.social/@ana/{next(_ids)}",
        sender="@ana@example.social",
        body="Trash at City Hall",
        network="mastodon" if source is not None else "",
        source=source,
    )
    return receive(jurisdiction, incoming, now=NOW).item


@pytest.fixture
def other_agent(db: None) -> User:
    return staff_in_role(StaffRole.AGENT, username="blair")


@pytest.fixture
def supervisor(db: None) -> User:
    return staff_in_role(StaffRole.SUPERVISOR, username="sasha")


@pytest.fixture
def item(jurisdiction: Jurisdiction, mailbox: Mailbox) -> InboxItem:
    return email_item(jurisdiction, mailbox)


def fresh(item: InboxItem) -> InboxItem:
    return InboxItem.objects.select_related("contact").get(pk=item.pk)


# --- take ---------------------------------------------------------------------------------------------------------


def test_taking_an_item_opens_a_contact_of_its_channel(item: InboxItem, agent: User) -> None:
    taken = take(item, agent=agent, now=NOW + HOUR)
    contact = fresh(taken).contact
    assert contact is not None
    assert (contact.channel, contact.agent_id, contact.outcome) == ("email", agent.pk, Contact.Outcome.PENDING)
    assert contact.started_at == NOW + HOUR and contact.ended_at is None
    assert taken.status == Status.IN_PROGRESS and taken.assigned_to_id == agent.pk
    assert take(item, agent=agent, now=NOW + 2 * HOUR).contact_id == contact.pk  # taking it again: the same contact
    assert Contact.objects.count() == 1


def test_taking_an_item_another_agent_holds_is_refused(item: InboxItem, agent: User, other_agent: User) -> None:
    take(item, agent=agent, now=NOW)
    with pytest.raises(ValidationError):
        take(item, agent=other_agent, now=NOW)
    assert fresh(item).assigned_to_id == agent.pk and Contact.objects.count() == 1


def test_whoever_may_not_work_the_inbox_is_refused_everything(
    jurisdiction: Jurisdiction, item: InboxItem, department: Any, service: Any
) -> None:
    worker = staff_in_role(StaffRole.DEPARTMENT_STAFF, department, username="wes")
    request = filed_request(service)
    calls = [
        lambda: take(item, agent=worker),
        lambda: assign(item, actor=worker, agent=worker),
        lambda: set_status(item, Status.DONE, agent=worker),
        lambda: reply(item, "Hello", agent=worker),
        lambda: link_request(item, request, agent=worker),
        lambda: dismiss(item, "spam", agent=worker),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    unchanged = fresh(item)
    assert unchanged.status == Status.NEW and unchanged.contact_id is None and unchanged.service_request_id is None
    assert not InboxMessage.objects.filter(direction="out").exists()


def test_a_retake_after_the_contact_ended_opens_a_new_contact(item: InboxItem, agent: User) -> None:
    first = take(item, agent=agent, now=NOW).contact
    assert first is not None
    dismiss(item, "Answered by phone", agent=agent, now=NOW + HOUR)
    again = take(item, agent=agent, now=NOW + 2 * HOUR)
    assert again.contact_id != first.pk and again.status == Status.IN_PROGRESS and again.done_at is None
    assert Contact.objects.get(pk=first.pk).ended_at == NOW + HOUR


def test_taking_an_item_with_a_customer_gives_the_contact_the_customer(item: InboxItem, agent: User) -> None:
    customer = Customer.objects.create(jurisdiction=item.jurisdiction, first_name="Rosa", last_name="Marquez")
    InboxItem.objects.filter(pk=item.pk).update(customer=customer)
    contact = fresh(take(fresh(item), agent=agent, now=NOW)).contact
    assert contact is not None and contact.customer_id == customer.pk


# --- assign -------------------------------------------------------------------------------------------------------


def test_a_supervisor_hands_an_item_on_an_agent_may_not(
    item: InboxItem, agent: User, other_agent: User, supervisor: User, jurisdiction: Jurisdiction
) -> None:
    with pytest.raises(PermissionDenied):
        assign(item, actor=agent, agent=other_agent)
    take(item, agent=agent, now=NOW)
    with pytest.raises(PermissionDenied):
        assign(item, actor=other_agent, agent=None)  # taking it off the agent working it
    handed = assign(item, actor=supervisor, agent=other_agent, now=NOW + HOUR)
    assert handed.assigned_to_id == other_agent.pk and handed.updated_at == NOW + HOUR
    team = Team.objects.create(jurisdiction=jurisdiction, name="Social")
    assert assign(item, actor=other_agent, team=team).team_id == team.pk  # the holder hands it to a team


def test_handing_an_item_on_ends_the_first_agents_contact(
    item: InboxItem, agent: User, other_agent: User, supervisor: User
) -> None:
    first = take(item, agent=agent, now=NOW).contact
    assert first is not None
    assign(item, actor=supervisor, agent=other_agent, now=NOW + HOUR)
    first.refresh_from_db()
    assert (first.outcome, first.ended_at) == (Contact.Outcome.HANDED_ON, NOW + HOUR)
    second = take(item, agent=other_agent, now=NOW + 2 * HOUR).contact
    assert second is not None and second.pk != first.pk and second.agent_id == other_agent.pk
    # Handing it to a team while its agent keeps it ends nothing.
    assign(item, actor=supervisor, agent=other_agent, now=NOW + 3 * HOUR)
    second.refresh_from_db()
    assert second.ended_at is None


def test_assign_refuses_someone_who_takes_no_contacts_and_another_citys_team(
    item: InboxItem, supervisor: User, department: Any
) -> None:
    worker = staff_in_role(StaffRole.DEPARTMENT_STAFF, department, username="wes")
    with pytest.raises(ValidationError):
        assign(item, actor=supervisor, agent=worker)
    elsewhere = JurisdictionFactory(slug="elsewhere", name="Elsewhere", jurisdiction_id="elsewhere.gov")
    with pytest.raises(ValidationError):
        assign(item, actor=supervisor, team=Team.objects.create(jurisdiction=elsewhere, name="Theirs"))
    assert fresh(item).assigned_to_id is None and fresh(item).team_id is None


# --- status -------------------------------------------------------------------------------------------------------


def test_set_status(item: InboxItem, agent: User) -> None:
    with pytest.raises(ValidationError):
        set_status(item, "lost", agent=agent)
    waiting = set_status(item, Status.WAITING, agent=agent, now=NOW)
    assert waiting.status == Status.WAITING and waiting.response_due_at is not None
    done = finish(item, agent=agent, now=NOW + HOUR)
    assert done.status == Status.DONE and done.done_at == NOW + HOUR and done.response_due_at is None
    back = set_status(item, Status.IN_PROGRESS, agent=agent, now=NOW + 2 * HOUR)
    assert back.done_at is None


# --- replies and the response clock -------------------------------------------------------------------------------


def test_a_reply_goes_to_the_outbox_with_its_message_and_stops_the_clock(item: InboxItem, agent: User) -> None:
    assert item.response_due_at == NOW + 24 * HOUR
    message = reply(item, "  We sent a crew.  ", agent=agent, now=NOW + HOUR)
    assert message.body == "We sent a crew." and message.author_id == agent.pk and not message.automatic
    sent = message.outbound_message
    assert sent is not None
    assert sent.recipient == "rosa@example.org" and "We sent a crew." in sent.body
    assert message.external_id  # the Message-ID the resident's answer will thread on
    item = fresh(item)
    assert item.status == Status.WAITING and item.response_due_at is None
    assert item.first_response_at == NOW + HOUR and item.last_message_at == NOW + HOUR
    reply(item, "And it is fixed.", agent=agent, now=NOW + 2 * HOUR)
    assert fresh(item).first_response_at == NOW + HOUR  # the first response stays the first
    answer = receive(
        item.jurisdiction,
        Incoming(
            channel="email", external_id="<thanks@x>", sender="rosa@example.org", in_reply_to=[message.external_id]
        ),
        now=NOW + 3 * HOUR,
    )
    assert answer.item.pk == item.pk and answer.item.response_due_at == NOW + 27 * HOUR


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001, "a\x00b"])
def test_a_reply_that_cannot_be_sent_is_refused(item: InboxItem, agent: User, text: str) -> None:
    with pytest.raises(ValidationError):
        reply(item, text, agent=agent)
    assert not InboxMessage.objects.filter(direction="out").exists() and not OutboundMessage.objects.exists()


def test_a_reply_the_door_refuses_writes_nothing(jurisdiction: Jurisdiction, agent: User) -> None:
    item = post_item(jurisdiction, None)  # a post from a source that names no network
    with pytest.raises(ValidationError):
        reply(item, "Thanks", agent=agent)
    assert not InboxMessage.objects.filter(direction="out").exists() and not OutboundPost.objects.exists()
    assert fresh(item).status == Status.NEW and fresh(item).first_response_at is None


def test_a_reply_to_a_post_goes_to_the_social_outbox(
    jurisdiction: Jurisdiction, webhook_source: PostSource, agent: User
) -> None:
    item = post_item(jurisdiction, webhook_source)
    message = reply(item, "Thanks, a crew is on the way.", agent=agent, now=NOW)
    queued = message.outbound_post
    assert queued is not None
    assert queued.text == "Thanks, a crew is on the way." and queued.in_reply_to.startswith("https://example.social/")


def test_an_automatic_reply_is_sent_but_is_not_the_first_response(item: InboxItem) -> None:
    message = record_automatic_reply(item, "We received your message.", now=NOW)
    assert message.automatic and message.outbound_message_id is not None
    item = fresh(item)
    assert item.first_response_at is None and item.response_due_at == NOW + 24 * HOUR
    assert item.status == Status.NEW


# --- requests, dismissal ------------------------------------------------------------------------------------------


def test_link_request(item: InboxItem, agent: User, service: Any) -> None:
    request = filed_request(service)
    assert link_request(item, request, agent=agent, now=NOW).service_request_id == request.pk
    assert list(request.inbox_items.all()) == [fresh(item)]


def test_link_request_refuses_another_citys_request(jurisdiction: Jurisdiction, agent: User, service: Any) -> None:
    request = filed_request(service)
    elsewhere = JurisdictionFactory(slug="elsewhere", name="Elsewhere", jurisdiction_id="elsewhere.gov")
    other = receive(elsewhere, Incoming(channel="email", external_id="<o@x>", sender="o@example.org"), now=NOW).item
    with pytest.raises(ValidationError):
        link_request(other, request, agent=agent)
    assert fresh(other).service_request_id is None


def test_dismissing_ends_the_open_contact_and_the_clock(item: InboxItem, agent: User) -> None:
    take(item, agent=agent, now=NOW)
    dismissed = dismiss(item, "  Not about   the city ", agent=agent, now=NOW + HOUR)
    assert dismissed.status == Status.DONE and dismissed.done_at == NOW + HOUR
    assert dismissed.response_due_at is None and dismissed.dismissed_reason == "Not about the city"
    contact = fresh(item).contact
    assert contact is not None and contact.outcome == Contact.Outcome.INFORMATION
    assert contact.ended_at == NOW + HOUR and "Not about the city" in contact.summary


def test_dismissing_an_item_nobody_took_is_a_contact_of_its_channel(item: InboxItem, agent: User) -> None:
    dismissed = dismiss(item, "Spam", agent=agent, now=NOW + HOUR)
    contact = dismissed.contact
    assert contact is not None and (contact.channel, contact.outcome, contact.agent_id) == (
        item.channel,
        Contact.Outcome.INFORMATION,
        agent.pk,
    )
    assert contact.ended_at == NOW + HOUR and "Spam" in contact.summary


def test_dismissing_keeps_an_outcome_already_recorded(item: InboxItem, agent: User) -> None:
    contact = take(item, agent=agent, now=NOW).contact
    assert contact is not None
    Contact.objects.filter(pk=contact.pk).update(outcome=Contact.Outcome.EXISTING_REQUEST)
    dismiss(item, "Duplicate", agent=agent, now=NOW + HOUR)
    kept = Contact.objects.get(pk=contact.pk)
    # It ends (no contact is left open with its item done) with the outcome the agent recorded.
    assert kept.outcome == Contact.Outcome.EXISTING_REQUEST and kept.ended_at == NOW + HOUR


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
def test_a_dismissal_needs_a_short_reason(item: InboxItem, agent: User, reason: str) -> None:
    with pytest.raises(ValidationError):
        dismiss(item, reason, agent=agent)
    assert fresh(item).status == Status.NEW


def test_the_resident_writing_again_reopens_a_dismissed_item(item: InboxItem, agent: User) -> None:
    take(item, agent=agent, now=NOW)
    dismiss(item, "Spam", agent=agent, now=NOW + HOUR)
    first = InboxMessage.objects.filter(item=item).first()
    assert first is not None
    again = receive(
        item.jurisdiction,
        Incoming(channel="email", external_id="<again@x>", sender="rosa@example.org", in_reply_to=[first.external_id]),
        now=NOW + 2 * HOUR,
    )
    assert again.reopened and again.item.status == Status.NEW
    assert again.item.response_due_at == NOW + 26 * HOUR
