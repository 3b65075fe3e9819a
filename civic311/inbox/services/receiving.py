"""What every door does with what comes in: one message, onto one conversation, exactly once.

The e-mail, text-message and social doors (`services.email`, `services.sms`, `services.social`) read their
own format into an `Incoming` and call `receive`, which

- keeps a message delivered twice once (the channel's own id: Message-ID, the gateway's id, a post's URI);
- refuses a flood from one sender (`Flooded`, nothing written);
- threads it: an e-mail answering one of ours (its In-Reply-To or References) joins that conversation, or
  the conversation of the request our e-mail was about; a text joins the sender's open exchange; a post
  answering one we have joins that one; anything else starts a new item;
- keeps the photos that pass the requests' photo checks and says which attachments were not kept;
- reopens a finished conversation and starts the response clock (the channel's first-response target),
  except for an auto-reply or bounce, which is kept and changes nothing;
- reads a new conversation's first message once (`text_intelligence.reading.read_text`): its kind, its
  sentiment, the service it most likely asks for (only when the suggester is sure), and its place (the point
  the resident shared, else one named in the words) with the neighborhood there. The reading only helps a
  person decide: a reader that fails never stops a message from being kept.

It writes in one transaction; the door adds its own side effects (an acknowledgement) inside the same one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311 import rate_limits
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications.models import OutboundMessage
from civic311.people.contact_details import normalize_email, phone_e164
from civic311.service_requests.models import ServiceRequest
from civic311.service_requests.photos import process_photo
from civic311.text_intelligence.reading import Reading, read_text

from ..models import (
    DEFAULT_FIRST_RESPONSE_HOURS,
    FirstResponseTarget,
    InboxAttachment,
    InboxChannel,
    InboxItem,
    InboxMessage,
    Mailbox,
    PostSource,
    SmsNumber,
)

logger = logging.getLogger(__name__)

Status = InboxItem.Status

# At most this many messages from one sender on one channel in this many seconds; past it, `Flooded`.
SENDER_RATE = rate_limits.Rate("inbox-sender", 30, 10 * 60)
# A text from a number whose exchange finished longer ago than this starts a new conversation.
TEXT_THREAD_HOURS = 24


@dataclass(frozen=True)
class IncomingFile:
    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Incoming:
    """One message as a door read it, in the channel's terms."""

    channel: str  # an InboxChannel value
    external_id: str  # Message-ID, the gateway's message id, the post's URI
    sender: str  # an e-mail address, a phone number, a handle
    sender_name: str = ""
    subject: str = ""
    body: str = ""  # what the resident wrote, quotes and signature trimmed
    quoted: str = ""  # what was trimmed
    received_at: dt.datetime | None = None
    in_reply_to: Sequence[str] = ()  # ids this answers, the most direct first (In-Reply-To, then References)
    attachments: Sequence[IncomingFile] = ()
    dropped_attachments: Sequence[str] = ()  # names the door refused already (too large, wrong type)
    automatic: bool = False  # an auto-reply or a bounce
    language: str = ""
    network: str = ""
    link: str = ""
    lat: float | None = None
    long: float | None = None
    media_urls: Sequence[str] = ()
    mailbox: Mailbox | None = None
    sms_number: SmsNumber | None = None
    source: PostSource | None = None
    # Already known by the door (a post converted before, a request named in the text).
    service_request: ServiceRequest | None = None


@dataclass(frozen=True)
class Receipt:
    item: InboxItem
    message: InboxMessage
    created: bool  # False: this message was received before; nothing was written
    new_item: bool = False
    reopened: bool = False


class Flooded(Exception):
    """Too many messages from one sender: refuse (the door says so in its own format) and write nothing."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("flooded")
        self.retry_after = retry_after


def sender_key(channel: str, sender: str, network: str = "") -> str:
    """`sender` in one form per channel: what threads texts and counts floods."""
    sender = (sender or "").strip()
    if channel == InboxChannel.EMAIL:
        return normalize_email(sender)
    if channel == InboxChannel.SMS:
        return phone_e164(sender) or sender
    return f"{network}:{sender.lower()}"


def first_response_hours(jurisdiction: Jurisdiction, channel: str) -> int:
    target = FirstResponseTarget.objects.filter(jurisdiction=jurisdiction, channel=channel).first()
    return target.hours if target is not None else DEFAULT_FIRST_RESPONSE_HOURS.get(channel, 24)


def response_due(jurisdiction: Jurisdiction, channel: str, since: dt.datetime) -> dt.datetime:
    return since + dt.timedelta(hours=first_response_hours(jurisdiction, channel))


def message_id_reference(message_id: str) -> str:
    """The outbox reference inside one of our own Message-IDs (`<reference@our-domain>`), else ""."""
    local, _at, domain = message_id.strip().strip("<>").partition("@")
    return local if domain == settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN else ""


def _check(incoming: Incoming) -> None:
    errors: dict[str, list[str]] = {}
    if incoming.channel not in InboxChannel.values:
        errors["channel"] = [_("Choose e-mail, SMS or social media.")]
    if not (incoming.sender or "").strip():
        errors["sender"] = [_("Say who sent the message.")]
    if len(incoming.external_id) > 500:
        errors["external_id"] = [_("The message's id can be at most 500 characters.")]
    for text in (incoming.body, incoming.quoted, incoming.subject, incoming.sender, incoming.sender_name):
        if "\x00" in (text or ""):
            errors["body"] = [_("The message contains a NUL character, which cannot be stored.")]
    if errors:
        raise ValidationError(errors)


def _find_item(jurisdiction: Jurisdiction, incoming: Incoming, key: str, now: dt.datetime) -> InboxItem | None:
    """The conversation this message belongs to, or None for a new one. Locked for the caller."""
    items = InboxItem.objects.select_for_update().filter(jurisdiction=jurisdiction)
    replied = [value for value in incoming.in_reply_to if value]
    if replied:
        message = (
            InboxMessage.objects.filter(jurisdiction=jurisdiction, channel=incoming.channel, external_id__in=replied)
            .order_by("-sent_at")
            .first()
        )
        if message is not None:
            return items.get(pk=message.item_id)
    if incoming.channel == InboxChannel.SMS:
        since = now - dt.timedelta(hours=TEXT_THREAD_HOURS)
        latest = (
            items.filter(channel=InboxChannel.SMS, sender_key=key)
            .exclude(status=Status.DONE, done_at__lt=since)
            .order_by("-last_message_at")
            .first()
        )
        if latest is not None:
            return latest
    service_request = _about_request(jurisdiction, incoming)
    if service_request is not None:
        return (
            items.filter(channel=incoming.channel, service_request=service_request, sender_key=key)
            .order_by("-last_message_at")
            .first()
        )
    return None


def _about_request(jurisdiction: Jurisdiction, incoming: Incoming) -> ServiceRequest | None:
    """The request the message is about: the one the door knows, or the one our notification e-mail it
    answers was about; only ever one of this city's."""
    if incoming.service_request is not None:
        return incoming.service_request if incoming.service_request.jurisdiction_id == jurisdiction.pk else None
    return _request_we_wrote_about(jurisdiction, [value for value in incoming.in_reply_to if value])


def _request_we_wrote_about(jurisdiction: Jurisdiction, message_ids: Sequence[str]) -> ServiceRequest | None:
    """A reply to one of our notification e-mails: the request that e-mail was about."""
    references = [reference for reference in map(message_id_reference, message_ids) if reference]
    if not references:
        return None
    sent = (
        OutboundMessage.objects.filter(reference__in=references, service_request__jurisdiction=jurisdiction)
        .select_related("service_request")
        .first()
    )
    return sent.service_request if sent is not None else None


def _keep_photos(message: InboxMessage, files: Sequence[IncomingFile], dropped: list[str]) -> None:
    limit = settings.CIVIC311_PHOTOS_PER_REQUEST
    for index, incoming_file in enumerate(files):
        if index >= limit:
            dropped.append(incoming_file.name or _("a photo"))
            continue
        upload = SimpleUploadedFile(incoming_file.name or "photo", incoming_file.content, incoming_file.content_type)
        try:
            photo = process_photo(upload)
        except ValidationError:
            dropped.append(incoming_file.name or _("an attachment"))
            continue
        attachment = InboxAttachment(
            message=message, original_name=(incoming_file.name or "")[:200], width=photo.width, height=photo.height
        )
        attachment.image.save(f"photo.{photo.extension}", ContentFile(photo.content), save=False)
        attachment.save()


def receive(jurisdiction: Jurisdiction, incoming: Incoming, *, now: dt.datetime | None = None) -> Receipt:
    """Record one incoming message (see the module's docstring). ValidationError for what cannot be stored,
    Flooded for a sender over the limit; both write nothing."""
    _check(incoming)
    now = now or timezone.now()
    received_at = min(incoming.received_at or now, now)
    key = sender_key(incoming.channel, incoming.sender, incoming.network)
    external_id = (incoming.external_id or "").strip()
    if external_id:
        known = known_message(jurisdiction, incoming.channel, external_id)
        if known is not None:
            return Receipt(item=known.item, message=known, created=False)
    verdict = rate_limits.hit(SENDER_RATE, f"{jurisdiction.pk}:{incoming.channel}:{key}")
    if not verdict.allowed:
        logger.warning("inbox: a %s sender is over the limit; message refused", incoming.channel)
        raise Flooded(verdict.retry_after)
    try:
        with transaction.atomic():
            return _record(jurisdiction, incoming, key, external_id, received_at, now)
    except IntegrityError:
        # The same message arrived twice at once (two workers, a webhook retried mid-flight): keep one.
        known = known_message(jurisdiction, incoming.channel, external_id) if external_id else None
        if known is None:
            raise
        return Receipt(item=known.item, message=known, created=False)


def known_message(jurisdiction: Jurisdiction, channel: str, external_id: str) -> InboxMessage | None:
    """The message with this channel id received before (a door checks first to skip work for a retry)."""
    return (
        InboxMessage.objects.select_related("item")
        .filter(jurisdiction=jurisdiction, channel=channel, external_id=external_id)
        .first()
    )


def latest_answerable(item: InboxItem) -> InboxMessage | None:
    """The message a reply answers: the resident's newest that has an id, a person's before any auto-reply."""
    return (
        item.messages.filter(direction=InboxMessage.Direction.IN)
        .exclude(external_id="")
        .order_by("automatic", "-sent_at", "-pk")
        .first()
    )


def reading_text(subject: str, body: str) -> str:
    """What is read of a message: its subject and its words (an e-mail's subject often says it all)."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if subject and body and not body.startswith(subject):
        return f"{subject}. {body}"
    return body or subject


def read_message(
    jurisdiction: Jurisdiction,
    text: str,
    *,
    lat: float | None = None,
    long: float | None = None,
    language: str = "",
) -> Reading | None:
    """`read_text` of a message, or None when a reader fails: the message is kept unread then (the error
    is logged without the text, which is personal data)."""
    try:
        return read_text(jurisdiction, text, lat=lat, long=long, language=language or None)
    except Exception:  # a reader's bug must not lose a resident's message
        logger.exception("inbox: reading a message failed; it was kept unread")
        return None


def store_reading(
    item: InboxItem,
    reading: Reading | None,
    *,
    lat: float | None = None,
    long: float | None = None,
) -> None:
    """Put `reading` on `item` (not saved): kind, sentiment, the sure suggestion, and the place: the point
    the message shared, else the one its words name, with the neighborhood there (or the one named)."""
    if reading is not None:
        item.text_kind = str(reading.mood.kind)
        item.sentiment = str(reading.mood.sentiment)
        item.sentiment_score = round(float(reading.mood.score), 4)
        best = reading.suggestions.best
        item.suggested_service = best
        item.suggestion_confidence = (
            round(float(reading.suggestions.services[0].confidence), 4) if best is not None else None
        )
    neighborhood_id: int | None = None
    if lat is None or long is None:
        found = reading.place if reading is not None else None
        if found is not None:
            lat, long = found.lat, found.long
            neighborhood_id = found.neighborhood.pk if found.neighborhood is not None else None
        elif reading is not None:
            named = next((place for place in reading.places if place.neighborhood is not None), None)
            neighborhood_id = named.neighborhood.pk if named is not None and named.neighborhood else None
    item.lat, item.long = lat, long
    if neighborhood_id is None and lat is not None and long is not None:
        neighborhood_id = places.neighborhood_id_at(item.jurisdiction, lat, long)
    item.neighborhood_id = neighborhood_id


def _record(
    jurisdiction: Jurisdiction,
    incoming: Incoming,
    key: str,
    external_id: str,
    received_at: dt.datetime,
    now: dt.datetime,
) -> Receipt:
    item = _find_item(jurisdiction, incoming, key, now)
    new_item = item is None
    reopened = False
    if item is None:
        item = InboxItem.objects.create(
            jurisdiction=jurisdiction,
            channel=incoming.channel,
            subject=(incoming.subject or "")[:300],
            sender=incoming.sender.strip()[:320],
            sender_name=(incoming.sender_name or "")[:200],
            sender_key=key[:340],
            language=incoming.language,
            network=incoming.network,
            mailbox=incoming.mailbox,
            sms_number=incoming.sms_number,
            source=incoming.source,
            service_request=_about_request(jurisdiction, incoming),
            received_at=received_at,
            last_message_at=received_at,
            updated_at=now,
        )
        if not incoming.automatic:
            reading = read_message(
                jurisdiction,
                reading_text(incoming.subject, incoming.body),
                lat=incoming.lat,
                long=incoming.long,
                language=incoming.language,
            )
            store_reading(item, reading, lat=incoming.lat, long=incoming.long)
    message = InboxMessage.objects.create(
        item=item,
        jurisdiction=jurisdiction,
        channel=incoming.channel,
        direction=InboxMessage.Direction.IN,
        external_id=external_id,
        in_reply_to=[value for value in incoming.in_reply_to if value][:20],
        subject=(incoming.subject or "")[:300],
        body=incoming.body or "",
        quoted=incoming.quoted or "",
        automatic=incoming.automatic,
        link=(incoming.link or "")[:500],
        lat=incoming.lat,
        long=incoming.long,
        media_urls=list(incoming.media_urls)[:10],
        sent_at=received_at,
    )
    dropped = list(incoming.dropped_attachments)
    _keep_photos(message, incoming.attachments, dropped)
    if dropped:
        message.dropped_attachments = ", ".join(dropped)[:300]
        message.save(update_fields=["dropped_attachments"])
    if not incoming.automatic:
        reopened = item.status == Status.DONE
        if item.status in (Status.DONE, Status.WAITING):
            item.status = Status.NEW if item.contact_id is None or reopened else Status.IN_PROGRESS
            item.done_at = None
        if item.response_due_at is None:
            item.response_due_at = response_due(jurisdiction, item.channel, received_at)
        if incoming.language and not item.language:
            item.language = incoming.language
    item.last_message_at = max(item.last_message_at, received_at)
    item.updated_at = now
    item.save()
    return Receipt(item=item, message=message, created=True, new_item=new_item, reopened=reopened)
