"""The text-message conversation that files a request (`inbox.services.sms`): what, where, a photo, the tracking
number; keywords (STOP, START, HELP, STATUS, ES/EN); and what goes to an agent."""

from __future__ import annotations

import itertools

import pytest
import responses
from django.core.exceptions import ValidationError

from civic311.inbox.models import InboxItem, InboxMessage, TextConversation
from civic311.inbox.services import reply, take
from civic311.inbox.services.sms import receive_text
from civic311.notifications import services as notifications
from civic311.notifications.models import OutboundMessage, SmsOptOut
from civic311.people.models import Customer, CustomerPhone
from civic311.service_requests.models import Contact, HistoryEntry, Photo, ServiceRequest

from ..factories import JurisdictionFactory, ServiceAttributeFactory, ServiceFactory, filed_request, jpeg

RESIDENT = "+12155550123"
Step = TextConversation.Step
Status = InboxItem.Status
MEDIA_URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
CDN_URL = "https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/photo-1"

_ids = itertools.count(1)


@pytest.fixture
def pothole(jurisdiction, department):
    return ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="SR-ST03",
        name="Pothole Repair",
        description="A hole in the road or street.",
        keywords="pothole, hole, road",
        translations={"es": {"name": "Reparación de baches", "description": "Un bache en la calle."}},
    )


@pytest.fixture
def number(sms_number):
    sms_number.media_username = "AC1"
    sms_number.media_password = "auth-token"
    sms_number.save()
    return sms_number


def text(number, body, *, media=(), sender=RESIDENT, sid=None):
    return receive_text(number, sender=sender, body=body, external_id=sid or f"SM{next(_ids)}", media=media)


def replies(recipient=RESIDENT) -> list[str]:
    return list(
        OutboundMessage.objects.filter(channel="sms", recipient=recipient).order_by("pk").values_list("body", flat=True)
    )


def last_reply(recipient=RESIDENT) -> str:
    return replies(recipient)[-1]


def conversation(receipt) -> TextConversation:
    return TextConversation.objects.get(item=receipt.item)


# --- the whole conversation ----------------------------------------------------------------------------------------


def test_a_whole_conversation_in_english_files_a_request(number, pothole):
    first = text(number, "There is a huge pothole in the road outside my house")
    assert last_reply() == "Is this about Pothole Repair? Reply YES or NO."
    item = InboxItem.objects.get(pk=first.item.pk)
    assert item.language == "en" and item.status == Status.WAITING and item.response_due_at is None
    text(number, "Yes")
    assert "Where is it?" in last_reply()
    text(number, "1400 John F Kennedy Blvd")
    assert "photo" in last_reply()
    last = text(number, "skip")
    service_request = ServiceRequest.objects.get()
    assert service_request.channel == "sms"
    assert service_request.service == pothole
    assert service_request.address == "1400 John F Kennedy Blvd"
    assert service_request.description == "There is a huge pothole in the road outside my house"
    requester = service_request.requester
    assert requester is not None and requester.phone == RESIDENT and requester.language == "en"
    assert service_request.idempotency_key == f"inbox-sms:{item.pk}"
    assert service_request.tracking_number in last_reply()
    assert f"/track/{service_request.tracking_number}" in last_reply() or "track" in last_reply()
    item.refresh_from_db()
    assert last.item.pk == item.pk  # one conversation
    assert item.status == Status.DONE and item.response_due_at is None
    assert item.service_request == service_request
    assert (
        item.contact is not None and item.contact.channel == "sms" and item.contact.service_request == service_request
    )
    assert conversation(last).step == Step.FILED
    # Every machine message is part of the conversation and carried by an outbox row.
    machine = InboxMessage.objects.filter(item=item, direction=InboxMessage.Direction.OUT)
    assert machine.count() == 4 and all(message.automatic and message.outbound_message_id for message in machine)


def test_a_whole_conversation_in_spanish(number, pothole):
    first = text(number, "Hay un bache enorme en la calle delante de mi casa, es peligroso")
    assert InboxItem.objects.get(pk=first.item.pk).language == "es"
    assert "Reparación de baches" in last_reply()  # the service's own Spanish name
    text(number, "Sí")
    text(number, "https://maps.apple.com/?ll=39.9526,-75.1635&q=Dropped%20Pin")
    assert conversation(first).step == Step.PHOTO
    text(number, "omitir")
    service_request = ServiceRequest.objects.get()
    assert (service_request.lat, service_request.long) == (39.9526, -75.1635)
    assert (
        service_request.neighborhood is None or service_request.neighborhood.jurisdiction_id == number.jurisdiction_id
    )
    assert service_request.requester is not None and service_request.requester.language == "es"
    assert service_request.tracking_number in last_reply()
    assert conversation(first).step == Step.FILED


def test_a_known_customers_preferred_language_is_used(number, pothole, jurisdiction):
    customer = Customer.objects.create(jurisdiction=jurisdiction, first_name="Rosa", preferred_language="es")
    CustomerPhone.objects.create(customer=customer, number="(215) 555-0123", digits=RESIDENT, is_primary=True)
    receipt = text(number, "pothole on Main Street")  # English words, a Spanish-speaking customer
    item = InboxItem.objects.get(pk=receipt.item.pk)
    assert item.customer == customer and item.language == "es"
    assert "Reparación de baches" in last_reply()


def test_es_and_en_switch_the_language(number, pothole):
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "ES")
    item = InboxItem.objects.get(pk=receipt.item.pk)
    assert item.language == "es"
    assert "Reparación de baches" in last_reply()  # the question asked again, in Spanish
    assert conversation(receipt).step == Step.CONFIRM
    text(number, "en")
    assert InboxItem.objects.get(pk=receipt.item.pk).language == "en"
    assert "Pothole Repair" in last_reply()


def test_a_photo_sent_with_the_first_text_skips_the_photo_question(number, pothole):
    with responses.RequestsMock() as mock:
        mock.get(MEDIA_URL, status=307, headers={"Location": CDN_URL})
        mock.get(CDN_URL, body=jpeg().read(), content_type="image/jpeg")
        text(number, "A deep pothole in the road here", media=[(MEDIA_URL, "image/jpeg")])
        # The gateway's API host gets the number's credentials; the content host it redirects to does not.
        assert mock.calls[0].request.headers["Authorization"].startswith("Basic ")
        assert "Authorization" not in mock.calls[1].request.headers
    text(number, "yes")
    text(number, "Broad and Market")
    service_request = ServiceRequest.objects.get()
    assert Photo.objects.filter(service_request=service_request).count() == 1
    assert service_request.address == "Broad and Market"


def test_an_mms_photo_answers_the_photo_question(number, pothole):
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "yes")
    text(number, "1400 John F Kennedy Blvd")
    with responses.RequestsMock() as mock:
        mock.get(MEDIA_URL, body=jpeg().read(), content_type="image/jpeg")
        text(number, "", media=[(MEDIA_URL, "image/jpeg")])
    assert conversation(receipt).step == Step.FILED
    assert Photo.objects.filter(service_request=ServiceRequest.objects.get()).count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/photo.jpg",
        "http://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",  # not https
        "https://user:pw@api.twilio.com/x",
        "https://api.twilio.com.evil.example/x",
    ],
)
def test_a_photo_is_never_fetched_from_a_host_not_the_gateways(number, pothole, url):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(url, body=jpeg().read(), content_type="image/jpeg")
        receipt = text(number, "A pothole in the road", media=[(url, "image/jpeg")])
        assert len(mock.calls) == 0
    message = InboxMessage.objects.get(pk=receipt.message.pk)
    assert not message.attachments.exists()
    assert message.dropped_attachments  # said to the agent in words


def test_a_redirect_off_the_gateways_hosts_is_not_followed(number, pothole):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(MEDIA_URL, status=302, headers={"Location": "https://evil.example/x.jpg"})
        mock.get("https://evil.example/x.jpg", body=jpeg().read(), content_type="image/jpeg")
        receipt = text(number, "A pothole in the road", media=[(MEDIA_URL, "image/jpeg")])
        assert len(mock.calls) == 1
    assert not InboxMessage.objects.get(pk=receipt.message.pk).attachments.exists()


def test_a_photo_too_large_is_not_kept(number, pothole, settings):
    settings.CIVIC311_PHOTO_MAX_BYTES = 200
    with responses.RequestsMock() as mock:
        mock.get(MEDIA_URL, body=b"\xff" * 5000, content_type="image/jpeg")
        receipt = text(number, "A pothole in the road", media=[(MEDIA_URL, "image/jpeg")])
    message = InboxMessage.objects.get(pk=receipt.message.pk)
    assert not message.attachments.exists() and message.dropped_attachments


def test_a_location_card_says_where(number, pothole):
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nitem1.URL:https://maps.apple.com/?ll=39.9526\\,-75.1635\r\nEND:VCARD\r\n"
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "yes")
    with responses.RequestsMock() as mock:
        mock.get(MEDIA_URL, body=card, content_type="text/x-vcard")
        text(number, "", media=[(MEDIA_URL, "text/x-vcard")])
    conversation_now = conversation(receipt)
    assert conversation_now.step == Step.PHOTO
    assert (conversation_now.lat, conversation_now.long) == (39.9526, -75.1635)


def test_here_without_a_location_asks_for_the_address(number, pothole):
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "yes")
    text(number, "here")
    assert "address" in last_reply()
    assert conversation(receipt).step == Step.WHERE
    text(number, "geo:39.9526,-75.1635")
    assert conversation(receipt).step == Step.PHOTO


# --- what goes to an agent -----------------------------------------------------------------------------------------


def assert_handed_over(receipt):
    item = InboxItem.objects.get(pk=receipt.item.pk)
    assert conversation(receipt).step == Step.HANDED_OVER
    assert item.status == Status.NEW and item.response_due_at is not None  # in the agents' queue, clock running
    assert "An agent will read your messages" in last_reply()
    assert not ServiceRequest.objects.exists()


def test_no_service_matching_goes_to_an_agent(number, pothole):
    assert_handed_over(text(number, "The weather is lovely today, thanks everybody"))


def test_no_twice_goes_to_an_agent(number, pothole):
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "no")
    assert conversation(receipt).step == Step.WHAT
    text(number, "a hole in the road by the school")
    assert conversation(receipt).step == Step.CONFIRM
    text(number, "No")
    assert_handed_over(receipt)


def test_no_with_a_new_description_asks_again(number, pothole):
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "no, it is a hole in the road")
    assert conversation(receipt).step == Step.CONFIRM
    assert conversation(receipt).description.splitlines() == [
        "There is a huge pothole in the road outside my house",
        "it is a hole in the road",
    ]


def test_yes_with_the_place_answers_where_at_once(number, pothole):
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "Yes, at 1400 John F Kennedy Blvd")
    assert conversation(receipt).step == Step.PHOTO
    assert conversation(receipt).address == "at 1400 John F Kennedy Blvd"


def test_three_answers_not_understood_go_to_an_agent(number, pothole):
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "maybe")
    text(number, "what?")
    assert conversation(receipt).step == Step.CONFIRM
    text(number, "hmm")
    assert_handed_over(receipt)


def test_a_place_outside_the_city_goes_to_an_agent(number, pothole):
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "yes")
    text(number, "https://maps.google.com/?q=40.7128,-74.0060")  # New York
    assert_handed_over(receipt)
    assert "outside Philadelphia" in last_reply()


def test_a_report_the_intake_refuses_goes_to_an_agent(number, pothole):
    ServiceAttributeFactory(service=pothole, required=True, description="How deep is it?")
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "yes")
    text(number, "1400 John F Kennedy Blvd")
    text(number, "skip")
    assert_handed_over(receipt)


def test_after_a_hand_over_the_machine_is_silent_and_the_agent_answers(number, pothole, agent):
    receipt = text(number, "The weather is lovely today, thanks everybody")
    count = len(replies())
    text(number, "hello?")
    assert len(replies()) == count
    item = take(InboxItem.objects.get(pk=receipt.item.pk), agent=agent)
    message = reply(item, "Hello, how can we help?", agent=agent)
    sent = message.outbound_message
    assert sent is not None and sent.recipient == RESIDENT and sent.channel == "sms"
    assert last_reply() == "Hello, how can we help?"


def test_a_text_after_filing_goes_to_an_agent(number, pothole):
    text(number, "There is a huge pothole in the road outside my house")
    text(number, "yes")
    text(number, "1400 John F Kennedy Blvd")
    receipt = text(number, "skip")
    text(number, "thanks! also there is glass on the sidewalk")
    item = InboxItem.objects.get(pk=receipt.item.pk)
    assert conversation(receipt).step == Step.HANDED_OVER
    assert item.status == Status.NEW and item.service_request is not None
    assert ServiceRequest.objects.count() == 1


def test_the_same_text_twice_is_answered_once(number, pothole):
    first = text(number, "There is a huge pothole in the road outside my house", sid="SMsame")
    again = text(number, "There is a huge pothole in the road outside my house", sid="SMsame")
    assert first.created and not again.created
    assert len(replies()) == 1


# --- STATUS ----------------------------------------------------------------------------------------------------------


def test_status_answers_what_the_tracking_page_shows(number, pothole):
    service_request = filed_request(pothole)
    receipt = text(number, f"STATUS {service_request.tracking_number}")
    answer = last_reply()
    assert service_request.tracking_number in answer
    assert "Pothole Repair" in answer and "New" in answer
    assert "Mattresses" not in answer  # the description is not the tracking page's
    assert InboxItem.objects.get(pk=receipt.item.pk).status == Status.DONE  # nothing for an agent
    # The answer given is a contact of the channel, the machine's: the reports count it.
    contact = Contact.objects.get(channel="sms", outcome=Contact.Outcome.INFORMATION)
    assert contact.agent is None and contact.ended_at is not None and service_request.tracking_number in contact.summary
    text(number, f"estado #{service_request.tracking_number}")
    assert service_request.tracking_number in last_reply()


def test_status_of_an_unknown_or_another_citys_request_is_not_found(number, pothole):
    text(number, "STATUS 99999999")
    assert "We found no request 99999999" in last_reply()
    camden = JurisdictionFactory(
        slug="camden",
        name="Camden",
        jurisdiction_id="camden.gov",
        is_default=False,
        min_lat=39.89,
        max_lat=39.96,
        min_long=-75.14,
        max_long=-75.06,
    )
    elsewhere = filed_request(ServiceFactory(jurisdiction=camden), lat="39.93", long="-75.1")
    text(number, f"status {elsewhere.tracking_number}")
    assert f"We found no request {elsewhere.tracking_number}" in last_reply()


def test_status_of_a_private_request_says_only_that_it_is_private(number, pothole):
    service_request = filed_request(pothole, is_private=True)
    text(number, f"STATUS {service_request.tracking_number}")
    assert "private" in last_reply() and "Pothole" not in last_reply()


# --- STOP, START, HELP -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["STOP", "stop", " Stop. ", "STOPALL", "UNSUBSCRIBE", "cancel", "END", "quit", "PARAR"]
)
def test_stop_opts_out_with_one_confirmation(number, word):
    receipt = text(number, word)
    assert SmsOptOut.objects.filter(number=RESIDENT).exists()
    assert len(replies()) == 1 and "START" in last_reply()
    assert InboxItem.objects.get(pk=receipt.item.pk).status == Status.DONE


def test_after_stop_no_more_texts(number, pothole, agent):
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "STOP")
    count = len(replies())
    text(number, "1400 John F Kennedy Blvd")  # the conversation does not go on
    text(number, "stop")  # again: the opt-out was confirmed once, and is not again
    assert len(replies()) == count
    sent = count
    # An agent's reply is refused.
    item = take(InboxItem.objects.get(pk=receipt.item.pk), agent=agent)
    with pytest.raises(ValidationError):
        reply(item, "Are you there?", agent=agent)
    # Notifications about a request they filed are not texted either.
    service_request = filed_request(pothole, phone=RESIDENT)
    opened = service_request.history.get(kind=HistoryEntry.Kind.OPENED)
    assert notifications.history_recorded(opened) == []
    assert len(replies()) == sent
    # ... while another resident's are.
    other = filed_request(pothole, phone="+12155550999")
    assert [message.channel for message in notifications.history_recorded(other.history.get(kind="opened"))] == ["sms"]


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_start_opts_back_in(number, word):
    text(number, "STOP")
    text(number, word)
    assert not SmsOptOut.objects.exists()
    assert "again" in last_reply()
    text(number, "HELP")
    assert len(replies()) == 3


def test_help_says_whose_number_it_is_and_how_to_stop(number):
    receipt = text(number, "HELP")
    answer = last_reply()
    assert "Philadelphia" in answer and "STOP" in answer and "311" in answer and "STATUS" in answer
    assert InboxItem.objects.get(pk=receipt.item.pk).status == Status.DONE
    text(number, "STOP")
    text(number, "info")  # answered even after STOP, as carriers require
    assert "STOP" in last_reply() and len(replies()) == 3


def test_help_in_the_middle_of_a_conversation_keeps_it(number, pothole):
    receipt = text(number, "There is a huge pothole in the road outside my house")
    text(number, "help")
    assert conversation(receipt).step == Step.CONFIRM
    assert InboxItem.objects.get(pk=receipt.item.pk).status == Status.WAITING
    text(number, "yes")
    assert conversation(receipt).step == Step.WHERE


def test_an_inactive_number_takes_nothing(number):
    number.is_active = False
    number.save()
    assert text(number, "HELP") is None
    assert not InboxMessage.objects.exists()
