"""The outbox (one row per message to send), resident subscriptions, and the webhooks of departments and
Open311 API clients."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic311.outbox import OutboxRow


class Subscription(models.Model):
    """A resident following a request by e-mail: pending until the confirmation link is opened."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        ACTIVE = "active", _("Active")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    service_request = models.ForeignKey(
        "requests.ServiceRequest", on_delete=models.CASCADE, related_name="subscriptions"
    )
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["service_request", "email"], name="subscription_unique_email"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} ({self.state})"


class Webhook(models.Model):
    """Another system told about requests by a signed POST: a department's (its requests, public and some
    internal events) or an Open311 API client's (the requests filed with its key, public events only)."""

    department = models.ForeignKey(
        "catalogue.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhooks",
        verbose_name=_("department"),
    )
    api_key = models.ForeignKey(
        "open311.ApiKey",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhooks",
        verbose_name=_("API client"),
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("secret"),
        max_length=200,
        help_text=_("Signs each body: X-Civic311-Signature is sha256=HMAC-SHA256(secret, body)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    events = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        help_text=_('Event names to send, e.g. ["request.status"]; empty for all.'),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(department__isnull=False, api_key__isnull=True)
                    | Q(department__isnull=True, api_key__isnull=False)
                ),
                name="webhook_department_or_api_key",
                violation_error_message=_("A webhook belongs to either a department or an API client."),
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.events, list) or not all(
            isinstance(event, str) and event.strip() for event in self.events
        ):
            raise ValidationError({"events": _('Give a list of event names, e.g. ["request.status"].')})

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events

    @property
    def may_send(self) -> bool:
        """Switched on, and its API key (if it is a client's) not revoked."""
        return self.is_active and (self.api_key is None or self.api_key.revoked_at is None)


class OutboundMessage(OutboxRow):
    """One message to one recipient on one channel. The dedup key makes the same event never two rows."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        WEBHOOK = "webhook", _("Webhook")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=500)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("body"), blank=True)
    payload = models.JSONField(_("payload"), null=True, blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    webhook = models.ForeignKey(Webhook, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages")
    service_request = models.ForeignKey(
        "requests.ServiceRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.reference} ({self.state})"


class SmsOptOut(models.Model):
    """A phone number that texted STOP to one of the city's numbers: no text goes to it (no notification about
    a request, no reply from the inbox) until it texts START, as carriers require. Kept per number, for
    every city of the installation: a resident who said stop is not texted by any of them."""

    number = models.CharField(_("number"), max_length=20, unique=True, help_text=_("In E.164 form: +12155551234."))
    created_at = models.DateTimeField(_("opted out"), default=timezone.now)

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number
