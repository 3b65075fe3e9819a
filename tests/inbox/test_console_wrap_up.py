"""The contact of an inbox item from take to wrap-up, through the console's services: the survey question a
written contact cannot ask, the item finished by the wrap-up, an existing request linked, and a new contact
when the item is taken again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from civic311.console import services as console
from civic311.inbox.models import InboxItem, Mailbox
from civic311.inbox.services import Incoming, receive, take
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import services as people
from civic311.people.models import Customer, User
from civic311.service_requests.models import Contact

from ..factories import filed_request

NOW = dt.datetime(2025, 3, 4, 15, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def item(jurisdiction: Jurisdiction, mailbox: Mailbox) -> InboxItem:
    incoming = Incoming(
        channel="email", external_id="<wrap@example.org>", sender="rosa@example.org", body="A pothole.", mailbox=mailbox
    )
    return receive(jurisdiction, incoming, now=NOW).item


@pytest.fixture
def customer(jurisdiction: Jurisdiction) -> Customer:
    customer = people.create_customer(jurisdiction, first_name="Rosa", actor=None)
    return people.record_consent(customer, survey=True, actor=None)


def _taken(item: InboxItem, agent: User, customer: Customer) -> Contact:
    contact = take(item, agent=agent, now=NOW).contact
    assert contact is not None
    console.attach_customer(contact, customer, agent=agent)
    return console.answer_information(contact, summary="Told them when the crew comes.", agent=agent)


def test_a_written_contact_may_end_without_the_survey_question_and_keeps_the_customers_consent(
    item: InboxItem, agent: User, customer: Customer
) -> None:
    contact = _taken(item, agent, customer)
    finished = console.finish_contact(contact, agent=agent, survey_consent=None, now=NOW + HOUR)
    assert finished.ended_at == NOW + HOUR and finished.survey_consent is None
    customer.refresh_from_db()
    assert customer.consent_survey is True  # not turned into a "no" the resident never said
    done = InboxItem.objects.get(pk=item.pk)
    assert done.status == InboxItem.Status.DONE and done.done_at == NOW + HOUR and done.response_due_at is None


def test_a_written_contact_records_consent_when_the_resident_gave_it(
    item: InboxItem, agent: User, customer: Customer
) -> None:
    contact = _taken(item, agent, customer)
    console.finish_contact(contact, agent=agent, survey_consent=False, now=NOW + HOUR)
    customer.refresh_from_db()
    assert customer.consent_survey is False


def test_a_call_still_needs_the_survey_question(jurisdiction: Jurisdiction, agent: User) -> None:
    contact = console.start_contact(jurisdiction, agent, "phone", now=NOW)
    console.answer_information(contact, summary="Trash day is Tuesday.", agent=agent)
    with pytest.raises(ValidationError) as refused:
        console.finish_contact(contact, agent=agent, survey_consent=None, now=NOW + HOUR)
    assert "survey_consent" in refused.value.message_dict
    assert Contact.objects.get(pk=contact.pk).ended_at is None


def test_adding_the_resident_to_a_request_links_the_item_and_a_retake_opens_a_new_contact(
    item: InboxItem, agent: User, service
) -> None:
    request = filed_request(service)
    contact = take(item, agent=agent, now=NOW).contact
    assert contact is not None
    console.attach_to_existing(contact, request, agent=agent, now=NOW)
    assert InboxItem.objects.get(pk=item.pk).service_request_id == request.pk
    console.finish_contact(contact, agent=agent, survey_consent=None, now=NOW + HOUR)
    again = take(InboxItem.objects.get(pk=item.pk), agent=agent, now=NOW + 2 * HOUR)
    assert again.contact_id not in (None, contact.pk) and again.status == InboxItem.Status.IN_PROGRESS


def test_the_wrap_up_form_of_a_written_contact_offers_not_asked():
    from civic311.console.forms import WrapUpForm

    written = WrapUpForm({"survey_consent": "", "callback_phone": ""}, written=True)
    assert written.is_valid(), written.errors
    assert written.cleaned_data["survey_consent"] is None
    assert WrapUpForm({"survey_consent": "yes", "callback_phone": ""}, written=True).is_valid()
    spoken = WrapUpForm({"survey_consent": "", "callback_phone": ""})
    assert not spoken.is_valid() and "survey_consent" in spoken.errors
