"""The inbox's personal data (docs/privacy.md): whose conversations they are, what a resident's export shows
of them, and what erasure and the retention sweep leave.

A conversation (`inbox.InboxItem`) is a resident's when it is linked to their customer record (directly, or
through the contact an agent worked it with) or when it came from one of their contact points: an e-mail
address or a phone number the city holds for them, or the sender (a social handle too) of one of their
linked conversations. Only conversations in the customer's own city count.

Anonymising a conversation blanks who wrote (`sender`, `sender_name`, `sender_key`), its subject, and of
every message the text, the quoted text, the subject, the link and place of a post, its media, the names of
attachments not kept and the ids that thread it (a post's URI names its author: it becomes a keyed hash of
itself, so it stays unique); its photos are deleted, and a text conversation's description and address are
blanked. The channel, status, times, assignment, the request it is linked to and the reason for dismissing
stay: the reports count them. The replies' outbox rows go through the notifications' own
`withhold_messages`/`anonymise_messages` (and lose their subject, which repeats the resident's); replies on
social media (public on the network anyway) lose their stored text and the post they answered, and one
still queued is never posted.

An anonymised conversation has `sender == ""`: nothing threads onto it again (its ids and sender key are
gone), so a resident writing again starts a new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.crypto import salted_hmac

from civic311.inbox.models import InboxAttachment, InboxChannel, InboxItem, InboxMessage, TextConversation
from civic311.inbox.services import sender_key
from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications import services as notifications
from civic311.notifications.models import OutboundMessage
from civic311.people.contact_details import normalize_email, phone_e164
from civic311.social.models import OutboundPost

# The default of CIVIC311_RETAIN_INBOX_DAYS: a finished conversation keeps who wrote and what they wrote for
# a year (long enough for the resident to come back to it, and for the reports' reviews of the year).
DEFAULT_RETAIN_INBOX_DAYS = 365
ANONYMISED_ID_PREFIX = "anonymised:"
WITHHELD_REASON = "erased on request"


def retain_days() -> int:
    return int(getattr(settings, "CIVIC311_RETAIN_INBOX_DAYS", DEFAULT_RETAIN_INBOX_DAYS))


def inbox_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=retain_days())


def _live() -> Q:
    """Conversations still naming someone (an anonymised one has no sender)."""
    return ~Q(sender="")


def items_of(
    jurisdiction: Jurisdiction | int, family: Iterable[int], emails: Iterable[str], phones: Iterable[str]
) -> QuerySet[InboxItem]:
    """The customer's conversations (`family`: the record and those merged into it) in their city: linked to
    them, or from one of their e-mail addresses or phone numbers, or from the sender of a linked one."""
    jurisdiction_id = jurisdiction.pk if isinstance(jurisdiction, Jurisdiction) else jurisdiction
    family = list(family)
    in_city = InboxItem.objects.filter(jurisdiction_id=jurisdiction_id)
    linked = Q(customer_id__in=family) | Q(contact__customer_id__in=family)
    email_keys = {normalize_email(email) for email in emails if email}
    phone_keys = {phone_e164(phone) or phone for phone in phones if phone}
    wanted = linked
    if email_keys:
        wanted |= Q(channel=InboxChannel.EMAIL, sender_key__in=email_keys)
    if phone_keys:
        wanted |= Q(channel=InboxChannel.SMS, sender_key__in=phone_keys)
    # The handles (and addresses) of their linked conversations: their other conversations from the same sender.
    for channel, key in in_city.filter(linked).exclude(sender_key="").values_list("channel", "sender_key").distinct():
        wanted |= Q(channel=channel, sender_key=key)
    return in_city.filter(wanted).distinct()


def items_from_sender(jurisdiction: Jurisdiction, channel: str, sender: str, network: str = "") -> QuerySet[InboxItem]:
    """A resident known only by what they wrote from (a social handle, an address, a number), not a customer."""
    return InboxItem.objects.filter(
        jurisdiction=jurisdiction, channel=channel, sender_key=sender_key(channel, sender, network)
    )


# --- retention ----------------------------------------------------------------------------------------------


def expired_items(cutoff: dt.datetime) -> QuerySet[InboxItem]:
    """Conversations done (finished or dismissed) before `cutoff`, with nothing since, still naming someone.
    Open ones, and those waiting for the resident, are never touched."""
    return InboxItem.objects.filter(
        _live(), status=InboxItem.Status.DONE, done_at__lte=cutoff, last_message_at__lte=cutoff
    )


# --- anonymising -------------------------------------------------------------------------------------------


def _hashed(external_id: str) -> str:
    if not external_id or external_id.startswith(ANONYMISED_ID_PREFIX):
        return external_id
    digest = salted_hmac("civic311.privacy.inbox.external_id", external_id, algorithm="sha256").hexdigest()
    return f"{ANONYMISED_ID_PREFIX}{digest}"


def anonymise_items(items: QuerySet[InboxItem], *, withhold: bool = False) -> int:
    """Make these conversations name nobody (see the module's docstring); returns how many this call
    anonymised. `withhold`: replies still waiting in an outbox are never sent (erasure)."""
    # Locked and read again: of two runs at once only one counts (and blanks) an item.
    ids = list(
        InboxItem.objects.select_for_update().filter(_live(), pk__in=items.values("pk")).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    messages = InboxMessage.objects.filter(item_id__in=ids)
    message_rows = list(messages.only("pk", "external_id"))
    for row in message_rows:
        row.external_id = _hashed(row.external_id)
        row.subject = row.body = row.quoted = row.link = row.dropped_attachments = ""
        row.in_reply_to, row.media_urls = [], []
        row.lat = row.long = None
    InboxMessage.objects.bulk_update(
        message_rows,
        [
            "external_id",
            "subject",
            "body",
            "quoted",
            "link",
            "dropped_attachments",
            "in_reply_to",
            "media_urls",
            "lat",
            "long",
        ],
        batch_size=500,
    )
    photos = InboxAttachment.objects.filter(message__item_id__in=ids)
    files = [(attachment.image.storage, str(attachment.image.name)) for attachment in photos if attachment.image]
    photos.delete()

    # The files go once the rows are gone for good: a rolled-back erasure must not leave rows without photos.
    def delete_files() -> None:
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(delete_files)
    TextConversation.objects.filter(item_id__in=ids).update(description="", address="", lat=None, long=None)
    sent = OutboundMessage.objects.filter(pk__in=messages.exclude(outbound_message=None).values("outbound_message"))
    posts = OutboundPost.objects.filter(pk__in=messages.exclude(outbound_post=None).values("outbound_post"))
    if withhold:
        notifications.withhold_messages(sent, reason=WITHHELD_REASON)
        posts.filter(state=OutboundPost.State.QUEUED).update(
            state=OutboundPost.State.FAILED, last_error=WITHHELD_REASON, next_attempt_at=None
        )
    # One a worker is sending at this very moment is left to finish (as erasure does for notifications).
    finished = sent.exclude(state=OutboundMessage.State.SENDING)
    notifications.anonymise_messages(finished)
    finished.exclude(subject="").update(subject="")  # a reply's subject repeats the resident's ("Re: …")
    posts.exclude(state=OutboundPost.State.QUEUED).update(text="", in_reply_to="")
    return InboxItem.objects.filter(pk__in=ids).update(sender="", sender_name="", sender_key="", subject="")


def anonymise_expired_items(ids: list[int]) -> int:
    """The retention sweep's batch (`privacy.retention.anonymise_expired`)."""
    return anonymise_items(InboxItem.objects.filter(pk__in=ids))


# --- the export ---------------------------------------------------------------------------------------------


def export_items(items: QuerySet[InboxItem], at: Callable[[dt.datetime | None], str | None]) -> list[dict[str, Any]]:
    """The conversations as a resident's export shows them: what they wrote, what the city answered, when."""
    rows = (
        items.select_related("service_request", "mailbox", "sms_number", "source")
        .prefetch_related("messages__attachments")
        .order_by("received_at", "pk")
    )
    return [
        {
            "channel": item.channel,
            "channel_label": str(item.get_channel_display()),
            "to": _door(item),
            "from": item.sender,
            "name": item.sender_name,
            "network": item.network,
            "language": item.language,
            "subject": item.subject,
            "status": item.status,
            "status_label": str(item.get_status_display()),
            "tracking_number": item.service_request.tracking_number if item.service_request else "",
            "received": at(item.received_at),
            "first_response": at(item.first_response_at),
            "done": at(item.done_at),
            "dismissed_because": item.dismissed_reason,
            "messages": [
                {
                    "direction": message.direction,
                    "from_the_city": message.direction == InboxMessage.Direction.OUT,
                    "automatic": message.automatic,
                    "at": at(message.sent_at),
                    "subject": message.subject,
                    "text": message.body,
                    "quoted_text": message.quoted,
                    "link": message.link,
                    "lat": message.lat,
                    "long": message.long,
                    "media": list(message.media_urls),
                    "photos": [attachment.image.name for attachment in message.attachments.all()],
                    "attachments_not_kept": message.dropped_attachments,
                }
                for message in item.messages.all()
            ],
        }
        for item in rows
    ]


def _door(item: InboxItem) -> str:
    """Where the resident wrote to: the city's address, number or stream (the city's, not personal)."""
    if item.mailbox is not None:
        return item.mailbox.address
    if item.sms_number is not None:
        return item.sms_number.number
    return item.source.name if item.source is not None else ""


__all__ = [
    "anonymise_expired_items",
    "anonymise_items",
    "expired_items",
    "export_items",
    "inbox_cutoff",
    "items_from_sender",
    "items_of",
]
