"""The text-message door: a resident texts the city's number, a short conversation files their request.

`receive_text` takes one text as the gateway posted it (`sms_hooks`), fetches a picture message's photo or
location card from the gateway (before any transaction: a network call), records the message (`receive`)
and answers it in the same transaction, every answer a machine message (`record_automatic_reply`) that the
notifications outbox sends through the SMS provider. What it answers:

1. keywords first, as carriers require: STOP (and STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT;
   and, for Spanish speakers, PARAR and ALTO) records the opt-out (`notifications.SmsOptOut`) and confirms it
   once; nothing else is texted to the number until it texts START (or UNSTOP, or YES while opted out). HELP
   (INFO, AYUDA) says whose number this is, what it does, how to stop, and to call 311. `STATUS N` (`ESTADO N`)
   answers the public status of request N of this city (what the public tracking page shows). "ES" or "EN"
   switches the conversation's language;
2. otherwise the conversation (`TextConversation` on the item): WHAT is wrong (free text; the catalogue's
   suggestion, CONFIRMed with YES or NO) → WHERE (an address, or a shared location: a map link or a
   location card; "here" alone asks for the address) → a PHOTO if the phone sends one (or SKIP) → the
   request is filed (`service_requests.services.submit`, channel `sms`, the sender as the requester's phone)
   and its tracking number texted back; the item is done and linked to the request;
3. what the machine cannot finish (no service matches, NO twice, three answers not understood, a place
   outside the city, a safety rule's answer, a report the intake refuses) goes to an agent: the resident is
   told an agent will answer, and the item stays open in the inbox (HANDED_OVER). Once an agent has taken
   the item, the machine only answers keywords.

Everything is written in the resident's language: the known customer's preferred language, else the one
their first text is written in (`guess_language`), else the site's; "ES"/"EN" switch it.

`send_reply(item, message)` writes the outbox SMS of an agent's reply or a machine message; it refuses an
opted-out number (ValidationError), except for the one confirmation of STOP and the answer to HELP.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications import services as notifications
from civic311.notifications.models import OutboundMessage, SmsOptOut
from civic311.people.contact_details import phone_e164
from civic311.people.selectors import customer_for_contact_details, supported_language
from civic311.service_requests import services as requests
from civic311.service_requests.models import Channel, Contact
from civic311.service_requests.selectors import request_for_tracking
from civic311.text_intelligence import suggesting
from civic311.text_intelligence.places import places_in_text

from .. import shared_locations, sms_gateways
from ..languages import answer_language
from ..models import (
    SMS_REPLY_MAX_CHARS,
    InboxAttachment,
    InboxChannel,
    InboxItem,
    InboxMessage,
    SmsNumber,
    TextConversation,
)
from .receiving import Incoming, IncomingFile, Receipt, known_message, receive, response_due
from .working import record_automatic_reply

logger = logging.getLogger(__name__)

Step = TextConversation.Step
Status = InboxItem.Status

# A gateway joins a long text's parts into one message of at most this many characters (Twilio: 1600).
BODY_MAX_CHARS = SMS_REPLY_MAX_CHARS
# Answers not understood in a row before the conversation goes to an agent.
MISUNDERSTOOD_MAX = 3
# Descriptions tried (each refused with NO) before the conversation goes to an agent.
DESCRIPTION_TRIES = 2
STEPS_IN_PROGRESS = frozenset({Step.WHAT, Step.CONFIRM, Step.WHERE, Step.PHOTO})

# Carriers (CTIA) require these English words to stop texts, whatever language the conversation is in
# (REVOKE and OPTOUT since the FCC's 2025 consent rule). PARAR and ALTO are honoured too, for Spanish
# speakers: honouring more ways of saying stop is always allowed; they are never the only ones offered.
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "parar", "alto"})
START_WORDS = frozenset({"start", "unstop"})
# Gateways (Twilio) also take YES as START from a number that opted out.
START_WHEN_STOPPED = frozenset({"yes"})
HELP_WORDS = frozenset({"help", "info", "ayuda"})
YES_WORDS = frozenset(
    {"yes", "y", "yeah", "yep", "ok", "okay", "correct", "right", "si", "s", "claro", "correcto", "vale"}
)
NO_WORDS = frozenset({"no", "n", "nope", "wrong", "incorrecto"})
SKIP_WORDS = frozenset({"skip", "no", "n", "none", "no photo", "omitir", "saltar", "sin foto", "no tengo", "later"})
LANGUAGE_WORDS = {
    "es": frozenset({"es", "espanol", "spanish"}),
    "en": frozenset({"en", "english", "ingles"}),
}
_STATUS = re.compile(r"^\s*(?:status|estado)\s*[:#]?\s*#?\s*([0-9A-Za-z-]{1,32})\s*[.!?]?\s*$", re.IGNORECASE)

# While set, `send_reply` writes to an opted-out number: the STOP confirmation and the HELP answer only.
_ANSWER_REQUIRED_BY_CARRIERS: contextvars.ContextVar[bool] = contextvars.ContextVar("sms_required", default=False)


# --- reading what the resident wrote ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: how keywords and answers are compared."""
    text = (text or "").lower().replace("'", "").replace("\u2019", "")
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(re.sub(r"[^\w\s]", " ", letters).replace("_", " ").split())


def opted_out(phone: str) -> bool:
    """Whether the number texted STOP (and not START since)."""
    number = phone_e164(phone) or (phone or "").strip()
    return bool(number) and SmsOptOut.objects.filter(number=number).exists()


def _looks_like_address(text: str) -> bool:
    """An address or a place described in words: a house number, or at least two words ("Broad and Market")."""
    folded = _fold(text)
    return len(folded) >= 4 and (any(character.isdigit() for character in folded) or len(folded.split()) >= 2)


# --- fetching what a picture message carries -------------------------------------------------------------------


@dataclass(frozen=True)
class _Media:
    photos: list[IncomingFile]
    dropped: list[str]
    point: shared_locations.Point | None


def _fetch_media(number: SmsNumber, media: Sequence[tuple[str, str]]) -> _Media:
    photos: list[IncomingFile] = []
    dropped: list[str] = []
    point: shared_locations.Point | None = None
    for index, (url, declared) in enumerate(media[: sms_gateways.MAX_MEDIA]):
        is_card = declared in shared_locations.VCARD_TYPES or url.lower().endswith(".vcf")
        if not is_card and not declared.startswith("image/"):
            dropped.append(_("a file of type %(type)s") % {"type": declared[:60] or "?"})
            continue
        if not is_card and len(photos) >= settings.CIVIC311_PHOTOS_PER_REQUEST:
            dropped.append(_("a photo"))
            continue
        limit = shared_locations.VCARD_MAX_BYTES if is_card else settings.CIVIC311_PHOTO_MAX_BYTES
        try:
            content, content_type = sms_gateways.fetch_media(number, url, max_bytes=limit)
        except sms_gateways.MediaRefused as refusal:
            logger.warning("inbox sms: a media item was not fetched (%s)", refusal)
            dropped.append(_("a location card") if is_card else _("a photo"))
            continue
        if is_card:
            point = point or shared_locations.point_in_vcard(content)
        else:
            photos.append(IncomingFile(f"photo-{index + 1}", content_type or declared, content))
    return _Media(photos, dropped, point)


# --- the answer to one text --------------------------------------------------------------------------------------


@dataclass
class _Turn:
    """One text being answered: the item, its conversation, where the resident is."""

    item: InboxItem
    message: InboxMessage
    number: SmsNumber
    body: str
    point: shared_locations.Point | None
    had_media: bool
    now: dt.datetime
    conversation: TextConversation | None = None

    @property
    def language(self) -> str:
        return self.item.language or settings.LANGUAGE_CODE

    @property
    def city(self) -> str:
        return self.item.jurisdiction.name

    def say(self, text: str, *, required: bool = False) -> None:
        """Text the resident (a machine message in the conversation, through the outbox). Nothing is texted to a
        number that opted out, except what carriers require (`required`)."""
        if not required and opted_out(self.item.sender_key):
            return
        token = _ANSWER_REQUIRED_BY_CARRIERS.set(required)
        try:
            record_automatic_reply(self.item, text, now=self.now)
        finally:
            _ANSWER_REQUIRED_BY_CARRIERS.reset(token)

    def waiting(self) -> None:
        """The machine answered: the item waits for the resident, and no agent owes an answer."""
        if self.item.assigned_to_id is None and self.item.status != Status.DONE:
            self.item.status = Status.WAITING
            self.item.response_due_at = None

    def done(self) -> None:
        """Nothing awaits anyone (a keyword answered, a request filed)."""
        if self.item.assigned_to_id is None:
            self.item.status = Status.DONE
            self.item.done_at = self.now
            self.item.response_due_at = None

    def in_progress(self) -> bool:
        return self.conversation is not None and self.conversation.step in STEPS_IN_PROGRESS


def receive_text(
    number: SmsNumber,
    *,
    sender: str,
    body: str,
    external_id: str,
    media: Sequence[tuple[str, str]] = (),
    now: dt.datetime | None = None,
) -> Receipt | None:
    """Record one text to the city's `number` and answer it (see the module's docstring). None: the number is
    not active. Raises ValidationError (the text cannot be stored) or Flooded (too many from this sender);
    both write nothing. The same `external_id` twice is one message, answered once."""
    now = now or timezone.now()
    if not number.is_active:
        return None
    jurisdiction = number.jurisdiction
    body = (body or "").strip()
    if len(body) > BODY_MAX_CHARS:
        raise ValidationError({"body": _("A text message has at most %(max)d characters.") % {"max": BODY_MAX_CHARS}})
    external_id = (external_id or "").strip()
    if not external_id:
        raise ValidationError({"external_id": _("The gateway's id of the message is missing.")})
    known = known_message(jurisdiction, InboxChannel.SMS, external_id)
    if known is not None:  # the gateway retried: nothing fetched, nothing answered again
        return Receipt(item=known.item, message=known, created=False)
    fetched = _fetch_media(number, media)
    customer = customer_for_contact_details(jurisdiction, phone=sender)
    language = answer_language(customer.preferred_language if customer else "", body)
    point = fetched.point or shared_locations.point_in_text(body)
    incoming = Incoming(
        channel=InboxChannel.SMS,
        external_id=external_id,
        sender=phone_e164(sender) or sender.strip(),
        body=body,
        received_at=now,
        attachments=fetched.photos,
        dropped_attachments=fetched.dropped,
        language=language,
        lat=point.lat if point else None,
        long=point.long if point else None,
        media_urls=[url for url, _type in media][:10],
        sms_number=number,
    )
    with transaction.atomic():
        receipt = receive(jurisdiction, incoming, now=now)
        if not receipt.created or receipt.message.automatic:
            return receipt
        item = receipt.item
        if receipt.new_item and customer is not None and item.customer_id is None:
            item.customer = customer
        turn = _Turn(
            item=item,
            message=receipt.message,
            number=number,
            body=body,
            point=point,
            had_media=bool(media),
            now=now,
            conversation=TextConversation.objects.select_for_update().filter(item=item).first(),
        )
        with translation.override(turn.language):
            _answer(turn)
        item.updated_at = now
        item.save()
        if turn.conversation is not None:
            turn.conversation.updated_at = now
            turn.conversation.save()
    return receipt


def _answer(turn: _Turn) -> None:
    folded = _fold(turn.body)
    status = _STATUS.match(turn.body)
    stopped = opted_out(turn.item.sender_key)
    if folded in STOP_WORDS:
        _stop(turn)
    elif folded in START_WORDS or (stopped and folded in START_WHEN_STOPPED):
        _start(turn)
    elif folded in HELP_WORDS:
        _help(turn)
    elif status is not None:
        _status(turn, status[1])
    elif any(folded in words for words in LANGUAGE_WORDS.values()):
        _switch_language(turn, folded)
    elif stopped:
        # They opted out and wrote anyway: kept for an agent to read; nothing is texted back.
        logger.info("inbox sms: item %s: a text from a number that opted out", turn.item.pk)
    else:
        _converse(turn)


def _keyword_answered(turn: _Turn) -> None:
    """After a keyword: the conversation, if one is under way, waits for the resident's next answer; without
    one, the item is done (a keyword needs no agent)."""
    if turn.in_progress():
        turn.waiting()
    elif turn.conversation is None or turn.conversation.step == Step.FILED:
        turn.done()


def _stop(turn: _Turn) -> None:
    number = turn.item.sender_key
    turn.done()  # a conversation under way ends: nothing more may be texted
    if SmsOptOut.objects.filter(number=number).exists():
        return  # confirmed once already: carriers allow one confirmation, not one per STOP
    SmsOptOut.objects.create(number=number, created_at=turn.now)
    turn.say(
        _("You will get no more texts from %(city)s 311. Reply START to get them again. For help, call 311.")
        % {"city": turn.city},
        required=True,
    )
    logger.info("inbox sms: item %s: the sender opted out", turn.item.pk)


def _start(turn: _Turn) -> None:
    SmsOptOut.objects.filter(number=turn.item.sender_key).delete()
    turn.say(_("You will get texts from %(city)s 311 again. Reply HELP for help, STOP to stop.") % {"city": turn.city})
    _keyword_answered(turn)


def help_text(city: str) -> str:
    return _(
        "%(city)s 311 by text: tell us what is wrong and where, and we file a service request. "
        "Text STATUS and a tracking number to follow one. Reply STOP to stop texts. For anything else, call 311."
    ) % {"city": city}


def _help(turn: _Turn) -> None:
    turn.say(help_text(turn.city), required=True)
    _keyword_answered(turn)


def status_text(jurisdiction: Jurisdiction, tracking_number: str) -> str:
    """The public status of the city's request `tracking_number` as a text: what its public tracking page shows
    (only that it exists, for a private one), or that there is no such request."""
    service_request = request_for_tracking(jurisdiction, tracking_number)
    if service_request is None:
        return _("We found no request %(number)s in %(city)s. Check the tracking number and try again.") % {
            "number": tracking_number,
            "city": jurisdiction.name,
        }
    number = service_request.tracking_number
    if service_request.is_private:  # the tracking page says only that it exists and is private
        return _("Request %(number)s is private: we cannot show its details here.") % {"number": number}
    zone = jurisdiction.zone
    parts = [
        _("Request %(number)s (%(service)s): %(status)s.")
        % {
            "number": number,
            "service": service_request.service.localized("name"),
            "status": service_request.get_status_display(),
        }
    ]
    if not service_request.is_open and service_request.closed_at:
        parts.append(_("Closed on %(date)s.") % {"date": date_format(service_request.closed_at.astimezone(zone))})
    elif service_request.is_open and service_request.expected_at:
        parts.append(_("Expected by %(date)s.") % {"date": date_format(service_request.expected_at.astimezone(zone))})
    notes = " ".join((service_request.status_notes or "").split())
    if notes:
        parts.append(notes[:200])
    parts.append(notifications.track_url(service_request))
    return " ".join(parts)


def _status(turn: _Turn, tracking_number: str) -> None:
    answer = status_text(turn.item.jurisdiction, tracking_number)
    turn.say(answer)
    # An answer given is a contact of the channel (the reports count it), the machine's, with no agent.
    requests.log_information_request(
        turn.item.jurisdiction,
        channel=Channel.SMS,
        summary=answer,
        started_at=turn.now,
        ended_at=turn.now,
    )
    _keyword_answered(turn)


def _switch_language(turn: _Turn, folded: str) -> None:
    language = next(code for code, words in LANGUAGE_WORDS.items() if folded in words)
    language = supported_language(language) or turn.language
    turn.item.language = language
    with translation.override(language):
        said = _("We will write to you in English.") if language == "en" else _("We will write to you in Spanish.")
        question = _question(turn) if turn.in_progress() else ""
        turn.say(f"{said} {question}".strip())
    _keyword_answered(turn)


# --- the conversation ---------------------------------------------------------------------------------------------


def _question(turn: _Turn) -> str:
    """The question the conversation is waiting on, asked again (after a language switch)."""
    conversation = turn.conversation
    if conversation is None:
        return ""
    if conversation.step == Step.WHAT:
        return _ask_what()
    if conversation.step == Step.CONFIRM and conversation.service is not None:
        return _ask_confirm(conversation.service)
    if conversation.step == Step.WHERE:
        return _ask_where()
    if conversation.step == Step.PHOTO:
        return _ask_photo()
    return ""


def _ask_what() -> str:
    return _("Tell us in a few words what is wrong.")


def _ask_confirm(service: Service) -> str:
    return _("Is this about %(service)s? Reply YES or NO.") % {"service": service.localized("name")}


def _ask_where() -> str:
    return _("Where is it? Reply with the address, or share your location from your map app.")


def _ask_photo() -> str:
    return _("If you can, send a photo of it. Or reply SKIP.")


def _converse(turn: _Turn) -> None:
    item = turn.item
    conversation = turn.conversation
    if item.assigned_to_id is not None:
        return  # an agent is working the item: they answer
    if conversation is None:
        conversation = turn.conversation = TextConversation.objects.create(item=item, updated_at=turn.now)
    step = conversation.step
    if step == Step.HANDED_OVER:
        return  # waiting for an agent, who answers
    if step == Step.FILED:
        # A text after the request was filed (a thank-you, something to add): an agent reads it.
        _hand_over(turn)
    elif step == Step.WHAT:
        _what(turn, turn.body)
    elif step == Step.CONFIRM:
        _confirm(turn)
    elif step == Step.WHERE:
        _where(turn)
    elif step == Step.PHOTO:
        _photo(turn)


def _hand_over(turn: _Turn, text: str = "") -> None:
    """The machine cannot finish: an agent will answer; the item stays open with its response clock running."""
    assert turn.conversation is not None
    turn.conversation.step = Step.HANDED_OVER
    turn.say(" ".join(filter(None, [text, _("Thank you. An agent will read your messages and answer you here.")])))
    if turn.item.status in (Status.WAITING, Status.DONE):
        turn.item.status = Status.NEW
        turn.item.done_at = None
    if turn.item.response_due_at is None:
        turn.item.response_due_at = response_due(turn.item.jurisdiction, turn.item.channel, turn.now)
    logger.info("inbox sms: item %s handed to an agent", turn.item.pk)


def _misunderstood(turn: _Turn, question: str) -> None:
    assert turn.conversation is not None
    turn.conversation.misunderstood += 1
    if turn.conversation.misunderstood >= MISUNDERSTOOD_MAX:
        _hand_over(turn)
        return
    turn.say(question)
    turn.waiting()


def _understood(turn: _Turn) -> None:
    assert turn.conversation is not None
    turn.conversation.misunderstood = 0


def _tries(conversation: TextConversation) -> int:
    return len([line for line in conversation.description.splitlines() if line.strip()])


def _what(turn: _Turn, text: str) -> None:
    conversation = turn.conversation
    assert conversation is not None
    text = " ".join(text.split())
    if shared_locations.has_link(text) and turn.point is not None:
        text = " ".join(word for word in text.split() if not shared_locations.has_link(word))
    if sum(character.isalpha() for character in text) < 3:
        _misunderstood(turn, _ask_what())
        return
    _understood(turn)
    lines = [*conversation.description.splitlines(), text]
    conversation.description = "\n".join(lines)[: settings.CIVIC311_DESCRIPTION_MAX_CHARS]
    if turn.point is not None and shared_locations.inside(turn.item.jurisdiction, turn.point):
        conversation.lat, conversation.long = turn.point.lat, turn.point.long
    elif conversation.lat is None and not conversation.address:
        _place_from_words(turn, text)
    service = suggesting.suggest(turn.item.jurisdiction, text, language=turn.language).best
    if service is None:
        _hand_over(turn)
        return
    conversation.service = service
    conversation.step = Step.CONFIRM
    turn.say(_ask_confirm(service))
    turn.waiting()


# The places in words a crew can go to (a neighborhood's name alone is not one).
STREET_PLACES = frozenset({"address", "intersection"})


def _place_from_words(turn: _Turn, text: str, *, address: str = "") -> bool:
    """A text without a shared location that names an address or an intersection of the city ("pothole at
    5th and Lehigh"): its point is the request's, and its address `address` (what the resident wrote) or else
    the place as the city writes it, so WHERE is not asked. A neighborhood alone is not a place a crew can go
    to. True when one was found."""
    conversation = turn.conversation
    assert conversation is not None
    try:
        named = places_in_text(turn.item.jurisdiction, text)
    except Exception:  # a reader's bug must not stop the conversation: WHERE is asked as before
        logger.exception("inbox sms: reading a place from a text failed")
        return False
    found = next((place for place in named if place.kind in STREET_PLACES and place.lat is not None), None)
    if found is None or found.lat is None or found.long is None:
        return False
    conversation.lat, conversation.long = found.lat, found.long
    conversation.address = (address or found.label)[:300]
    return True


def _confirm(turn: _Turn) -> None:
    conversation = turn.conversation
    assert conversation is not None
    folded = _fold(turn.body)
    first, _space, rest = folded.partition(" ")
    if folded in YES_WORDS:
        _understood(turn)
        _after_what(turn)
    elif first in YES_WORDS - {"y", "s"} and rest:  # "yes, at 1400 JFK Blvd": the place came with the YES
        _understood(turn)
        if conversation.lat is not None or conversation.address:
            _after_where(turn)
            return
        conversation.step = Step.WHERE
        turn.body = turn.body.split(None, 1)[1]
        _where(turn)
    elif folded in NO_WORDS or (first in NO_WORDS and rest):
        _understood(turn)
        conversation.service = None
        if _tries(conversation) >= DESCRIPTION_TRIES:
            _hand_over(turn)
            return
        conversation.step = Step.WHAT
        if rest:  # "no, it is a pothole": the new description came with the NO
            _what(turn, turn.body.split(None, 1)[1] if len(turn.body.split(None, 1)) > 1 else "")
            return
        turn.say(_("Sorry. Please describe the problem in other words."))
        turn.waiting()
    else:
        assert conversation.service is not None
        _misunderstood(turn, _ask_confirm(conversation.service))


def _after_what(turn: _Turn) -> None:
    conversation = turn.conversation
    assert conversation is not None
    if conversation.lat is not None or conversation.address:
        _after_where(turn)
        return
    conversation.step = Step.WHERE
    turn.say(_ask_where())
    turn.waiting()


def _where(turn: _Turn) -> None:
    conversation = turn.conversation
    assert conversation is not None
    point = turn.point
    if point is not None:
        if not shared_locations.inside(turn.item.jurisdiction, point):
            _hand_over(turn, _("That place is outside %(city)s.") % {"city": turn.city})
            return
        _understood(turn)
        conversation.lat, conversation.long = point.lat, point.long
        _after_where(turn)
    elif shared_locations.has_link(turn.body):
        _misunderstood(turn, _("We could not read a place from that link. Please send the address."))
    elif not turn.body or shared_locations.says_here(turn.body):
        _misunderstood(turn, _("We cannot see where you are. Please send the address, or share your location."))
    elif _looks_like_address(turn.body):
        _understood(turn)
        written = " ".join(turn.body.split())[:300]
        if not _place_from_words(turn, turn.body, address=written):
            conversation.address = written
        _after_where(turn)
    else:
        _misunderstood(turn, _ask_where())


def _has_photo(item: InboxItem) -> bool:
    return InboxAttachment.objects.filter(message__item=item).exists()


def _after_where(turn: _Turn) -> None:
    conversation = turn.conversation
    assert conversation is not None
    if _has_photo(turn.item):
        _file(turn)
        return
    conversation.step = Step.PHOTO
    turn.say(_ask_photo())
    turn.waiting()


def _photo(turn: _Turn) -> None:
    if turn.message.attachments.exists() or _fold(turn.body) in SKIP_WORDS:
        _understood(turn)
        _file(turn)
    elif turn.had_media:
        _misunderstood(turn, _("We could not use that photo. Send another, or reply SKIP."))
    else:
        _misunderstood(turn, _ask_photo())


def _photos_of(item: InboxItem) -> list[SimpleUploadedFile]:
    photos: list[SimpleUploadedFile] = []
    attachments = InboxAttachment.objects.filter(message__item=item).order_by("pk")
    for attachment in attachments[: settings.CIVIC311_PHOTOS_PER_REQUEST]:
        with attachment.image.open("rb") as handle:
            photos.append(SimpleUploadedFile(f"photo-{attachment.pk}.jpg", handle.read(), "image/jpeg"))
    return photos


def _file(turn: _Turn) -> None:
    conversation = turn.conversation
    assert conversation is not None
    item = turn.item
    service = conversation.service
    if service is None:
        _hand_over(turn)
        return
    report = requests.Report(
        service_code=service.code,
        description=conversation.description,
        address=conversation.address,
        lat=conversation.lat,
        long=conversation.long,
        photos=_photos_of(item),
        phone=item.sender_key,
        language=turn.language,
        channel=Channel.SMS,
        idempotency_key=f"inbox-sms:{item.pk}",
    )
    try:
        # Inside the receiving transaction (the tracking number's row lock is held until it commits, a few
        # statements later): the request, the item's link to it and the text saying its number stand or
        # fall together.
        submission = requests.submit(item.jurisdiction, report, actor=None, now=turn.now)
    except requests.CannedAnswer as answer:
        _hand_over(turn, answer.message)
        return
    except ValidationError:
        _hand_over(turn)
        return
    service_request = submission.service_request
    item.service_request = service_request
    if item.contact_id is None:
        item.contact = Contact.objects.filter(service_request=service_request, channel=Channel.SMS).first()
    conversation.step = Step.FILED
    turn.say(
        _("Thank you. Your service request is filed. Its tracking number is %(number)s. Follow it at %(url)s")
        % {"number": service_request.tracking_number, "url": notifications.track_url(service_request)}
    )
    turn.done()
    logger.info("inbox sms: item %s filed request %s", item.pk, service_request.tracking_number)


# --- replies ------------------------------------------------------------------------------------------------------


def send_reply(item: InboxItem, message: InboxMessage) -> None:
    """Write the outbox SMS carrying `message` to the item's sender (an agent's reply or a machine message),
    in the caller's transaction. ValidationError: the number opted out (STOP), or the text is too long."""
    recipient = phone_e164(item.sender_key) or item.sender_key
    if opted_out(recipient) and not _ANSWER_REQUIRED_BY_CARRIERS.get():
        raise ValidationError({"text": _("This number texted STOP: no text may be sent to it until it texts START.")})
    if len(message.body) > BODY_MAX_CHARS:
        raise ValidationError({"text": _("A text message has at most %(max)d characters.") % {"max": BODY_MAX_CHARS}})
    queued = notifications.queue(
        channel=OutboundMessage.Channel.SMS,
        recipient=recipient,
        body=message.body,
        dedup_key=f"inbox-sms:{message.pk}",
        service_request=item.service_request,
    )
    message.outbound_message = queued
