"""The inbox: what residents send by e-mail, text message and social media, as conversations agents work.

An `InboxItem` is one conversation (an e-mail thread, a text-message exchange, a post and its replies) with a
status, an assignee and a response due date; its `InboxMessage`s are what came in and what went out. The
doors it comes through are configured per city: `Mailbox` (IMAP and the inbound-mail webhook),
`SmsNumber` (an SMS gateway's webhook), `PostSource` (social media streams). `FirstResponseTarget` is the
promised first-response time per channel, like a department's SLA. `WebhookReceipt` remembers the nonces of
signed webhooks so that a replayed one is refused.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civic311.jurisdictions.models import Jurisdiction
from civic311.text_intelligence.models import Sentiment, TextKind


class InboxChannel(models.TextChoices):
    """The inbox's channels: values of `service_requests.models.Channel`, so an item's contact has the same."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message (SMS)")
    SOCIAL = "social", _("Social media")


# Used when a city has set no target for a channel (hours to the first response).
DEFAULT_FIRST_RESPONSE_HOURS: dict[str, int] = {
    InboxChannel.EMAIL: 24,
    InboxChannel.SMS: 4,
    InboxChannel.SOCIAL: 2,
}


# The longest reply an agent writes; a text message's gateway joins at most 1600 characters into one message
# (Twilio), and a social network has its own limit (`social.models.text_limit`).
REPLY_MAX_CHARS = 10_000
SMS_REPLY_MAX_CHARS = 1600


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Mailbox(models.Model):
    """A city's e-mail address for residents: polled over IMAP, or fed by its mail provider's webhook."""

    class Security(models.TextChoices):
        SSL = "ssl", _("TLS (port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143)")
        NONE = "none", _("None (loopback and tests only)")

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.CASCADE, related_name="mailboxes", verbose_name=_("jurisdiction")
    )
    address = models.EmailField(_("address"), help_text=_("The address residents write to; replies come from it."))
    imap_host = models.CharField(_("IMAP server"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=10, choices=Security.choices, default=Security.SSL)
    imap_username = models.CharField(_("IMAP user name"), max_length=200, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=200, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    # The inbound-mail webhook: its URL carries `webhook_token`; its requests are signed with `signing_key`.
    webhook_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    signing_key = models.CharField(_("webhook signing key"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "address"], name="unique_mailbox_address")]

    def __str__(self) -> str:
        return self.address

    @property
    def polls_imap(self) -> bool:
        return self.is_active and bool(self.imap_host)


class SmsNumber(models.Model):
    """A city's number residents text, at an SMS gateway whose webhook posts each message here."""

    class Gateway(models.TextChoices):
        TWILIO = "twilio", _("Twilio (and gateways with its webhook format)")

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.CASCADE, related_name="sms_numbers", verbose_name=_("jurisdiction")
    )
    number = models.CharField(_("number"), max_length=20, unique=True, help_text=_("In E.164 form: +12155551234."))
    gateway = models.CharField(_("gateway"), max_length=20, choices=Gateway.choices, default=Gateway.TWILIO)
    # The gateway's secret its webhook signatures are made with (Twilio: the account's auth token).
    signing_secret = models.CharField(_("signing secret"), max_length=200)
    # For fetching a picture message's photo from the gateway (Twilio: the account SID and auth token).
    media_username = models.CharField(_("media user name"), max_length=200, blank=True)
    media_password = models.CharField(_("media password"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SMS number")
        verbose_name_plural = _("SMS numbers")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class PostSource(models.Model):
    """A stream of social media posts about the city, behind one interface (`inbox.post_sources`)."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", _("Signed JSON webhook")
        FEED = "feed", _("RSS or Atom feed")
        CSV = "csv", _("CSV import")
        MASTODON = "mastodon", _("Mastodon")
        BLUESKY = "bluesky", _("Bluesky")

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.CASCADE, related_name="post_sources", verbose_name=_("jurisdiction")
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The network replies go to (a value of social.models.Network); empty: replies are not possible here.
    network = models.CharField(_("network"), max_length=20, blank=True)
    # What to read: a feed's URL, a Mastodon server's URL, the Bluesky API's URL.
    url = models.URLField(_("URL"), max_length=500, blank=True)
    # What to look for: a hashtag or search words (Mastodon, Bluesky).
    query = models.CharField(_("search"), max_length=200, blank=True)
    # The city's own account on the network, replies are posted from it.
    account = models.CharField(_("our account"), max_length=200, blank=True)
    webhook_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    signing_secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    # Where the last read stopped (a feed's ETag, the newest id seen), so a poll reads only what is new.
    cursor = models.JSONField(default=dict, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("social media source")
        verbose_name_plural = _("social media sources")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "name"], name="unique_post_source_name")]

    def __str__(self) -> str:
        return self.name


class FirstResponseTarget(models.Model):
    """How soon the city promises a first response on a channel (the inbox's SLA)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.CASCADE, related_name="first_response_targets", verbose_name=_("jurisdiction")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=InboxChannel.choices)
    hours = models.PositiveIntegerField(_("hours"))

    class Meta:
        verbose_name = _("first-response target")
        verbose_name_plural = _("first-response targets")
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "channel"], name="unique_first_response_target")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.hours} h"

    def clean(self) -> None:
        if self.hours is not None and not 0 < self.hours <= 24 * 14:
            raise ValidationError({"hours": _("Give a number of hours from 1 to 336 (two weeks).")})


class InboxItem(models.Model):
    """One conversation with one resident (or one social media author) on one channel."""

    class Status(models.TextChoices):
        # In context: an item is "un elemento" in Spanish, where "New" has a gender.
        NEW = "new", pgettext_lazy("inbox item", "New")
        IN_PROGRESS = "in_progress", pgettext_lazy("inbox item", "In progress")
        WAITING = "waiting", pgettext_lazy("inbox item", "Waiting for the resident")
        DONE = "done", pgettext_lazy("inbox item", "Done")

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="inbox_items", verbose_name=_("jurisdiction")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=InboxChannel.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    # Who wrote: an e-mail address, an E.164 number, a handle ("@ana@mastodon.social"). Personal data.
    sender = models.CharField(_("from"), max_length=320)
    sender_name = models.CharField(_("name"), max_length=200, blank=True)
    # `sender` normalised (lower-case address, E.164, network:handle): threads texts and counts floods.
    sender_key = models.CharField(max_length=340, editable=False)
    # The language replies and acknowledgements are written in (a code of settings.LANGUAGES).
    language = models.CharField(_("language"), max_length=10, blank=True)
    network = models.CharField(_("network"), max_length=20, blank=True)  # social items
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="items", verbose_name=_("mailbox")
    )
    sms_number = models.ForeignKey(
        SmsNumber, on_delete=models.SET_NULL, null=True, blank=True, related_name="items", verbose_name=_("number")
    )
    source = models.ForeignKey(
        PostSource, on_delete=models.SET_NULL, null=True, blank=True, related_name="items", verbose_name=_("source")
    )
    customer = models.ForeignKey(
        "people.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_items",
        verbose_name=_("customer"),
    )
    # The request the conversation is about: a reply to our e-mail about it, or the request filed from it.
    service_request = models.ForeignKey(
        "requests.ServiceRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_items",
        verbose_name=_("service request"),
    )
    # The contact an agent is working (or last worked) for this item: every item counts as a contact.
    contact = models.ForeignKey(
        "requests.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_items",
        verbose_name=_("contact"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_items",
        verbose_name=_("agent"),
    )
    team = models.ForeignKey(
        "people.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_items",
        verbose_name=_("team"),
    )
    received_at = models.DateTimeField(_("received"))
    last_message_at = models.DateTimeField(_("last message"))
    # When the resident is owed an answer by (their message's arrival + the channel's target); None when
    # nothing of theirs awaits one. Overdue items come first in the inbox.
    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    dismissed_reason = models.CharField(_("reason for dismissing"), max_length=300, blank=True)
    # How text intelligence read the resident's first message (text_intelligence.reading): for the
    # inbox's filters and the social trends. A suggestion only: the agent decides.
    text_kind = models.CharField(_("kind of text"), max_length=10, choices=TextKind.choices, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(_("sentiment score"), null=True, blank=True)  # -1 … 1
    suggested_service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested service"),
    )
    suggestion_confidence = models.FloatField(_("confidence"), null=True, blank=True)  # 0 … 1
    # Where the message places the problem (its shared location, else a place named in its words).
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    long = models.FloatField(_("longitude"), null=True, blank=True)
    neighborhood = models.ForeignKey(
        "jurisdictions.Neighborhood",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("neighborhood"),
    )
    # Bumped by every change, so the inbox's live view knows what changed since it last looked.
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["jurisdiction", "status", "response_due_at"], name="inbox_item_queue_idx"),
            models.Index(fields=["jurisdiction", "channel", "sender_key"], name="inbox_item_sender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.DONE

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return self.response_due_at is not None and self.response_due_at < (now or timezone.now())


class InboxMessage(models.Model):
    """One message of a conversation: what the resident sent, or what the city answered."""

    class Direction(models.TextChoices):
        IN = "in", _("From the resident")
        OUT = "out", _("From the city")

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="messages", verbose_name=_("item"))
    # Copied from the item so that the unique constraint below can hold.
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=InboxChannel.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    # The channel's own id: an e-mail's Message-ID, the gateway's message id, a post's URI. The same message
    # delivered twice (an IMAP poll after a crash, a webhook retried) is one message.
    external_id = models.CharField(max_length=500, blank=True)
    # An e-mail's In-Reply-To and References ids (newest first), a post's parent: how a reply finds its thread.
    in_reply_to = models.JSONField(default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    # What the resident wrote, quoted text and signature trimmed; `quoted` keeps what was trimmed.
    body = models.TextField(_("message"), blank=True)
    quoted = models.TextField(_("quoted text"), blank=True)
    # An auto-reply or a bounce: kept for the record, never answered, never reopens the item.
    automatic = models.BooleanField(_("automatic"), default=False)
    # Attachments that were not kept (not a photo, too large), said to the agent in words.
    dropped_attachments = models.CharField(_("attachments not kept"), max_length=300, blank=True)
    # Social posts: the post's address, its place when it has one, its media.
    link = models.URLField(_("link"), max_length=500, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    long = models.FloatField(_("longitude"), null=True, blank=True)
    media_urls = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    # What carries an outgoing message: a row of the notifications outbox (e-mail, SMS) or the social outbox.
    outbound_message = models.ForeignKey(
        "notifications.OutboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outbound_post = models.ForeignKey(
        "social.OutboundPost", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="unique_inbox_message_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.pk}"


def attachment_path(instance: InboxAttachment, filename: str) -> str:
    return f"inbox/{instance.message.item_id}/{secrets.token_hex(8)}.jpg"


class InboxAttachment(models.Model):
    """A photo that came with a message, checked and re-encoded like a request's photos (their rules)."""

    message = models.ForeignKey(
        InboxMessage, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    image = models.ImageField(_("photo"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.original_name or str(self.pk)


class TextConversation(models.Model):
    """Where the machine is in a text-message conversation that files a request without an agent."""

    class Step(models.TextChoices):
        WHAT = "what", _("Asked what is wrong")
        CONFIRM = "confirm", _("Asked to confirm the service")
        WHERE = "where", _("Asked where")
        PHOTO = "photo", _("Asked for a photo")
        FILED = "filed", _("Request filed")
        HANDED_OVER = "handed_over", _("Handed to an agent")

    item = models.OneToOneField(InboxItem, on_delete=models.CASCADE, related_name="text_conversation")
    step = models.CharField(_("step"), max_length=12, choices=Step.choices, default=Step.WHAT)
    description = models.TextField(_("description"), blank=True)
    service = models.ForeignKey("catalogue.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(null=True, blank=True)
    long = models.FloatField(null=True, blank=True)
    # Answers the machine did not understand in a row; past a few the conversation goes to an agent.
    misunderstood = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("text conversation")
        verbose_name_plural = _("text conversations")

    def __str__(self) -> str:
        return f"{self.item_id}: {self.step}"


class WebhookReceipt(models.Model):
    """A signed webhook's nonce, remembered for a day: the same signed request twice is refused."""

    door = models.CharField(max_length=40)
    nonce = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["door", "nonce"], name="unique_webhook_nonce")]

    def __str__(self) -> str:
        return self.door
