"""The e-mail door: a resident's e-mail into the inbox, and the city's answers out through the outbox.

`receive_email` is what the IMAP poller (`inbox.imap_polling`) and the inbound-mail webhook
(`inbox.mail_hooks`) call with the raw message: it is read (`inbox.mail_parsing`), linked to the customer
whose e-mail address it came from (never a new customer), received (`receiving.receive`: dedup, flood limit,
threading, photos) and, for a NEW conversation from a person, acknowledged once in the sender's language
(their customer record's, else the language the message is written in, else the site's) with what happens
next: when an agent will answer, and the reference number. All in one transaction.

`send_reply` writes the e-mail that carries an agent's answer (or the acknowledgement) to the notifications
outbox, threaded onto the resident's latest message (In-Reply-To, References), and gives the conversation's
message the Message-ID that e-mail will carry, so the resident's answer to it finds the conversation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from civic311.notifications import channels as notification_channels
from civic311.notifications import services as notifications
from civic311.notifications.models import OutboundMessage
from civic311.people.contact_details import is_valid_email, normalize_email
from civic311.people.selectors import customer_for_contact_details, supported_language

from .. import languages, mail_parsing
from ..models import InboxChannel, InboxItem, InboxMessage, Mailbox
from .receiving import Incoming, IncomingFile, Receipt, first_response_hours, latest_answerable, receive
from .working import record_automatic_reply

logger = logging.getLogger(__name__)

# Addresses that read nothing sent to them: never acknowledged.
NO_REPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|bounces?)([+._-].*)?$", re.IGNORECASE
)
# At most this many acknowledgements to one address a day (RFC 3834: an automatic answer must not become a
# mail loop or a flood of its own, even with a sender that sets none of the automatic headers).
ACKNOWLEDGEMENTS_PER_DAY = 3
QUOTED_LINES = 40


# --- in --------------------------------------------------------------------------------------------------


def receive_email(
    mailbox: Mailbox, raw: bytes, *, now: dt.datetime | None = None, received_at: dt.datetime | None = None
) -> Receipt | None:
    """One raw e-mail into the mailbox's city's inbox. None when it is ignored (an inactive mailbox, a
    message from the mailbox's own address); `mail_parsing.TooLarge` or ValidationError for what cannot be
    read, `receiving.Flooded` for a sender over the limit: nothing is written then."""
    if not mailbox.is_active:
        return None
    return receive_incoming(mailbox, as_incoming(mail_parsing.parse(raw), received_at=received_at), now=now)


def as_incoming(mail: mail_parsing.ParsedMail, *, received_at: dt.datetime | None = None) -> Incoming:
    """A parsed e-mail as the `Incoming` the inbox receives."""
    return Incoming(
        channel=InboxChannel.EMAIL,
        external_id=mail.external_id,
        sender=mail.sender,
        sender_name=mail.sender_name,
        subject=mail.subject,
        body=mail.body,
        quoted=mail.quoted,
        received_at=received_at,
        in_reply_to=mail.in_reply_to,
        attachments=[IncomingFile(each.name, each.content_type, each.content) for each in mail.attachments],
        dropped_attachments=mail.dropped_attachments,
        automatic=mail.automatic,
    )


def receive_incoming(mailbox: Mailbox, incoming: Incoming, *, now: dt.datetime | None = None) -> Receipt | None:
    """`receive_email` for a message already read into an `Incoming`."""
    now = now or timezone.now()
    sender = normalize_email(incoming.sender)
    if sender == normalize_email(mailbox.address):
        logger.info("inbox: mailbox %s received a message from its own address; ignored (a mail loop)", mailbox.pk)
        return None
    jurisdiction = mailbox.jurisdiction
    customer = customer_for_contact_details(jurisdiction, email=sender)
    language = languages.answer_language(
        customer.preferred_language if customer is not None else "", f"{incoming.subject}\n{incoming.body}"
    )
    incoming = dataclasses.replace(incoming, language=language, mailbox=mailbox)
    with transaction.atomic():
        receipt = receive(jurisdiction, incoming, now=now)
        if not receipt.created:
            return receipt
        item = receipt.item
        if customer is not None and item.customer_id is None:
            item.customer = customer
            item.save(update_fields=["customer"])
        if receipt.new_item and _should_acknowledge(item, receipt.message, mailbox, now):
            acknowledge(item, now=now)
    logger.info("inbox: e-mail received into item %s (new: %s)", receipt.item.pk, receipt.new_item)
    return receipt


def _own_addresses(mailbox: Mailbox) -> set[str]:
    addresses = {normalize_email(each) for each in Mailbox.objects.values_list("address", flat=True)}
    addresses.add(normalize_email(parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
    addresses.add(normalize_email(mailbox.address))
    return addresses


def may_acknowledge_address(address: str) -> bool:
    """An address a person reads: not a no-reply, bounce or postmaster address."""
    return is_valid_email(address) and not NO_REPLY.match(address.partition("@")[0])


def _should_acknowledge(item: InboxItem, message: InboxMessage, mailbox: Mailbox, now: dt.datetime) -> bool:
    if message.automatic or not may_acknowledge_address(item.sender):
        return False
    if normalize_email(item.sender) in _own_addresses(mailbox):
        return False
    if item.messages.filter(direction=InboxMessage.Direction.OUT).exists():
        return False
    recent = InboxMessage.objects.filter(
        jurisdiction_id=item.jurisdiction_id,
        channel=InboxChannel.EMAIL,
        direction=InboxMessage.Direction.OUT,
        automatic=True,
        item__sender_key=item.sender_key,
        sent_at__gte=now - dt.timedelta(days=1),
    ).count()
    return recent < ACKNOWLEDGEMENTS_PER_DAY


def item_language(item: InboxItem) -> str:
    return supported_language(item.language) or settings.LANGUAGE_CODE


def acknowledge(item: InboxItem, *, now: dt.datetime | None = None) -> InboxMessage:
    """The automatic answer to a new conversation, in the item's language: received, when an agent will
    answer, the reference number. Call inside the transaction that received the message."""
    context = {
        "city": item.jurisdiction.name,
        "hours": first_response_hours(item.jurisdiction, item.channel),
        "reference": item.pk,
        "tracking_number": item.service_request.tracking_number if item.service_request is not None else "",
    }
    with translation.override(item_language(item)):
        text = render_to_string("inbox/email/acknowledgement.txt", context).strip()
    return record_automatic_reply(item, text, now=now)


# --- out -------------------------------------------------------------------------------------------------


def threading_headers(answered: InboxMessage | None) -> dict[str, str]:
    """In-Reply-To and References of an e-mail answering `answered` (RFC 5322 § 3.6.4)."""
    if answered is None or not answered.external_id:
        return {}
    earlier = [str(each) for each in reversed(answered.in_reply_to or [])]
    chain = list(dict.fromkeys([*earlier, answered.external_id]))[-mail_parsing.MAX_REFERENCES :]
    return {"In-Reply-To": answered.external_id, "References": " ".join(chain)}


def reply_subject(item: InboxItem, answered: InboxMessage | None) -> str:
    subject = " ".join(((answered.subject if answered is not None else "") or item.subject).split())
    if not subject:
        subject = _("Your message to %(city)s") % {"city": item.jurisdiction.name}
    return subject if subject.lower().startswith(("re:", "aw:")) else f"Re: {subject}"


def _quoted(answered: InboxMessage | None) -> str:
    if answered is None or not answered.body:
        return ""
    lines = answered.body.splitlines()[:QUOTED_LINES]
    return "\n".join(f"> {line}".rstrip() for line in lines)


def send_reply(item: InboxItem, message: InboxMessage) -> None:
    """The e-mail carrying `message` (an agent's reply or an acknowledgement), written to the notifications
    outbox in the caller's transaction: to the item's sender, threaded onto their latest message. Sets
    `message.outbound_message` and `message.external_id` (the Message-ID it will carry); the caller saves."""
    if not is_valid_email(item.sender):
        raise ValidationError({"text": _("This conversation has no e-mail address to answer.")})
    answered = latest_answerable(item)
    headers = threading_headers(answered)
    mailbox = item.mailbox
    if mailbox is not None:
        headers["From"] = formataddr((item.jurisdiction.name, mailbox.address))
        headers["Reply-To"] = mailbox.address
    if message.automatic:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: an auto-responder must not answer it
        headers["X-Auto-Response-Suppress"] = "All"
    language = item_language(item)
    with translation.override(language):
        subject = reply_subject(item, answered)
        context: dict[str, Any] = {
            "text": message.body,
            "city": item.jurisdiction.name,
            "reference": item.pk,
            "automatic": message.automatic,  # an acknowledgement says the reference number itself
            "quoted": _quoted(answered),
            "when": (
                date_format(timezone.localtime(answered.sent_at, item.jurisdiction.zone), "DATETIME_FORMAT")
                if answered is not None
                else ""
            ),
        }
        body = render_to_string("inbox/email/reply_body.txt", context).strip() + "\n"
    dedup_key = f"inbox:email:{message.pk}"
    row = notifications.queue(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=item.sender,
        dedup_key=dedup_key,
        subject=subject,
        body=body,
        headers=headers,
        service_request=item.service_request,
    )
    if row is None:  # written before (cannot happen for a new message; kept for the record's sake)
        row = OutboundMessage.objects.get(dedup_key=dedup_key)
    message.outbound_message = row
    message.external_id = notification_channels.message_id(row)
