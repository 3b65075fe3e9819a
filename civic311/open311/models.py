"""Open311: the keys clients post with, what they did, batch tokens, FixMyStreet update ids, and the
client side that forwards requests to a department's own work-order system.

Write to these only through `civic311.open311.services` (server) and `civic311.open311.forwarding` (client).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civic311.catalogue.models import Department, Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.service_requests.models import HistoryEntry, ServiceRequest


class ApiKey(models.Model):
    """A key an Open311 client posts with. Only a hash is stored; the key is shown once, when issued."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(
        _("client name"), max_length=200, help_text=_("Who uses this key, e.g. “FixMyStreet” or “City mobile app”.")
    )
    # The first characters of the key, so staff can tell keys apart without seeing them.
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    requests_per_minute = models.PositiveIntegerField(_("rate limit (requests per minute)"), default=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiKeyActivity(models.Model):
    """The audit of what a key did: each request it created and each update it posted."""

    class Action(models.TextChoices):
        CREATED_REQUEST = "created_request", _("Created a service request")
        POSTED_UPDATE = "posted_update", _("Posted an update")
        REFUSED = "refused", _("Refused (rate limit)")

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="activity")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    service_request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service request"),
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("API key activity")
        verbose_name_plural = _("API key activity")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["api_key", "created_at"], name="apikey_activity_idx")]

    def __str__(self) -> str:
        return f"{self.api_key} {self.get_action_display()}"


class BatchToken(models.Model):
    """What a POST for a `batch` service answers with; `tokens/{token}` resolves it to the request."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(_("token"), max_length=64, unique=True)
    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        verbose_name = _("batch token")
        verbose_name_plural = _("batch tokens")

    def __str__(self) -> str:
        return self.token


class ReceivedUpdate(models.Model):
    """A FixMyStreet `servicerequestupdates` POST, kept so a repeated `update_id` is refused."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    update_id = models.CharField(_("update id"), max_length=100)
    service_request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="+")
    history_entry = models.ForeignKey(HistoryEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # What the client said (FIXED, INVESTIGATING…) and the photo it linked: `servicerequestupdates` GET
    # gives them back as sent, so a client reads its own updates the way it wrote them.
    status = models.CharField(_("status sent"), max_length=40, blank=True)
    media_url = models.URLField(_("photo link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("received update")
        verbose_name_plural = _("received updates")
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "update_id"], name="unique_update_id")]

    def __str__(self) -> str:
        return self.update_id


class WorkOrderSystem(models.Model):
    """A department's own work-order system that speaks GeoReport v2: chosen services are forwarded to it."""

    department = models.OneToOneField(
        Department, on_delete=models.CASCADE, related_name="work_order_system", verbose_name=_("department")
    )
    name = models.CharField(_("name"), max_length=200)
    endpoint = models.URLField(
        _("GeoReport v2 endpoint"), help_text=_("The base URL, e.g. https://workorders.example.gov/open311/v2/")
    )
    remote_jurisdiction_id = models.CharField(_("their jurisdiction id"), max_length=200, blank=True)
    api_key = models.CharField(_("their API key"), max_length=200, blank=True)
    services = models.ManyToManyField(Service, blank=True, related_name="+", verbose_name=_("services forwarded"))
    # Some systems take a code of their own for our service: {"SR-ST02": "DUMPING"}.
    service_code_map = models.JSONField(_("service codes there"), default=dict, blank=True)
    is_active = models.BooleanField(_("forwarding on"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)

    class Meta:
        verbose_name = _("work-order system")
        verbose_name_plural = _("work-order systems")

    def __str__(self) -> str:
        return self.name


class ForwardedRequest(models.Model):
    """One request sent (or being sent) to a work-order system, and what came back."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        AWAITING_ID = "awaiting_id", _("Sent; waiting for their id")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Gave up")

    service_request = models.OneToOneField(ServiceRequest, on_delete=models.CASCADE, related_name="forwarding")
    system = models.ForeignKey(WorkOrderSystem, on_delete=models.CASCADE, related_name="forwarded")
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    external_id = models.CharField(_("their id"), max_length=100, blank=True)
    token = models.CharField(_("their token"), max_length=100, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    first_sent_at = models.DateTimeField(_("first sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    remote_status = models.CharField(_("their status"), max_length=40, blank=True)
    remote_updated_at = models.DateTimeField(_("their last update"), null=True, blank=True)
    alerted_at = models.DateTimeField(_("alert raised"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("forwarded request")
        verbose_name_plural = _("forwarded requests")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="forwarded_due_idx")]

    def __str__(self) -> str:
        return f"{self.service_request.tracking_number} → {self.external_id or '?'}"
