"""Service requests, their photos and history, and the contacts residents make with the city.

Write to these only through `civic311.service_requests.services`; the rules live there.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic311.catalogue.models import Department, EscalationStep, Service
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people.models import Requester

from .lifecycle import ACTOR_LABELS, FINAL_STATES, OPEN_STATES, PHOTO_STAGE_LABELS, Status, open311_status


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message (SMS)")
    WEB = "web", _("Web")
    MOBILE = "mobile", _("Mobile app")
    SOCIAL = "social", _("Social media")
    LIAISON = "liaison", _("Neighborhood liaison")
    OPEN311 = "open311", _("Open311 client")
    IMPORT = "import", _("Import")


class ServiceRequest(models.Model):
    # No index of their own for jurisdiction and department: the composite indexes below start with them,
    # and each index is one more write for every request filed or imported.
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="service_requests", db_index=False
    )
    tracking_number = models.CharField(_("tracking number"), max_length=32)
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="service_requests", verbose_name=_("service")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="service_requests",
        verbose_name=_("responsible department"),
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    zipcode = models.CharField(_("ZIP code"), max_length=10, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    long = models.FloatField(_("longitude"), null=True, blank=True)
    neighborhood = models.ForeignKey(
        Neighborhood,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("neighborhood"),
    )
    h3_cell = models.CharField(_("H3 cell"), max_length=16, blank=True)
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    requester = models.ForeignKey(
        Requester,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("requester"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
        verbose_name=_("assigned to"),
    )
    is_private = models.BooleanField(
        _("private"), default=False, help_text=_("Private requests never appear in public output.")
    )
    hazard = models.BooleanField(_("hazard"), default=False)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent request"),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, null=True, blank=True)
    media_url = models.URLField(
        _("photo link"),
        max_length=500,
        blank=True,
        help_text=_("A photo an Open311 client hosts itself; linked, never fetched."),
    )
    requested_at = models.DateTimeField(_("requested"), db_index=False)
    updated_at = models.DateTimeField(_("updated"))
    expected_at = models.DateTimeField(_("expected by"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    status_notes = models.TextField(
        _("public status note"),
        blank=True,
        help_text=_("The latest public note while open; the close reason once closed."),
    )
    # Set once the request misses its date (the redress follow-up, `civic311.service_requests.escalation`).
    is_priority = models.BooleanField(
        _("priority"),
        default=False,
        help_text=_("Missed the date the resident was given; a supervisor follows it up."),
    )
    # The missed due date the redress follow-up was made for: at most one follow-up per due date.
    redress_due_at = models.DateTimeField(_("missed date followed up"), null=True, blank=True)
    # Loaded by `import_requests` (whatever channel the source gave): history, never escalated or redressed.
    is_imported = models.BooleanField(
        _("imported"),
        default=False,
        help_text=_("Loaded from another system's records; its due date is history and is never escalated."),
    )

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "tracking_number"], name="unique_tracking_number"),
            models.UniqueConstraint(fields=["jurisdiction", "idempotency_key"], name="unique_idempotency_key"),
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "requested_at"], name="request_requested_idx"),
            models.Index(fields=["jurisdiction", "updated_at"], name="request_updated_idx"),
            # Open311's and the open data's reads by service: public requests only, so counting a busy
            # service's 90 days is an index-only scan.
            models.Index(
                fields=["service", "requested_at"],
                condition=models.Q(is_private=False),
                name="request_public_service_idx",
            ),
            # A neighborhood's public page (its requests, newest first) and the recount of its months and
            # backlog (`civic311.community.services.rollups`): public requests only.
            models.Index(
                fields=["neighborhood", "-requested_at"],
                condition=models.Q(is_private=False),
                name="request_public_nbhd_idx",
            ),
            models.Index(fields=["department", "status", "expected_at"], name="request_queue_idx"),
            # A department's open work (a few per cent of the table): the queue's counts and its SLA-risk
            # order read only this index, never the table (an index-only scan on PostgreSQL, which keeps
            # the other columns they read in it). At five million requests the counts took 70 ms from the
            # table and 11 ms from here; counters kept on every write would be a hot row for intake.
            models.Index(
                fields=["department", "expected_at"],
                include=["id", "is_priority", "assignee", "jurisdiction", "status"],
                condition=models.Q(status__in=sorted(OPEN_STATES)),
                name="request_open_work_idx",
            ),
            models.Index(fields=["h3_cell"], name="request_h3_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.tracking_number} {self.service.name}"

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATES

    @property
    def open311_status(self) -> str:
        return open311_status(self.status)

    def is_overdue(self, now) -> bool:
        return self.is_open and self.expected_at is not None and self.expected_at < now


def photo_path(instance: Photo, filename: str) -> str:
    # The name is ours, never the uploader's: it carries no personal data and cannot traverse paths.
    return f"photos/{instance.service_request.jurisdiction_id}/{instance.service_request_id}/{filename}"


class Photo(models.Model):
    class Stage(models.TextChoices):
        BEFORE = "before", PHOTO_STAGE_LABELS["before"]
        AFTER = "after", PHOTO_STAGE_LABELS["after"]

    service_request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("image"), upload_to=photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.BEFORE)
    is_public = models.BooleanField(_("public"), default=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.image.name or ""


class HistoryEntry(models.Model):
    """One thing that happened to a request: who, when, what, and whether the resident may see it."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        STATUS = "status", _("Status changed")
        NOTE = "note", _("Note")
        ASSIGNED = "assigned", _("Assigned")
        TRANSFERRED = "transferred", _("Transferred")
        HAZARD = "hazard", _("Hazard alert")
        PHOTO = "photo", _("Photo added")
        ESCALATED = "escalated", _("Escalated")
        REDRESS = "redress", _("Redress follow-up")

    # Indexed by history_request_idx, which starts with it.
    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="history", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_public = models.BooleanField(_("public"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # Who acted when it was not staff ("Resident", "System", an Open311 client's name).
    actor_label = models.CharField(_("by (not staff)"), max_length=100, blank=True)
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices, blank=True)
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["service_request", "created_at"], name="history_request_idx"),
            # FixMyStreet's servicerequestupdates lists every public update of a period.
            models.Index(fields=["created_at"], name="history_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def who(self) -> str:
        if self.actor_id:
            return str(self.actor)
        label = ACTOR_LABELS.get(self.actor_label)
        return str(label) if label is not None else self.actor_label


class Announcement(models.Model):
    """A history entry whose consequences are still to be made: the transactional outbox of requests.

    Written in the same transaction as its entry, so a crash at any instant after the commit loses
    nothing: the worker (`civic311.service_requests.announcements`) tells every listener about the entry (messages,
    webhooks, forwarding, surveys) in one transaction with deleting this row, and retries with backoff
    when a listener fails. Imports and the demo's bulk loads write history without announcements:
    history that is only loaded tells nobody.
    """

    history_entry = models.OneToOneField(
        HistoryEntry, on_delete=models.CASCADE, primary_key=True, related_name="announcement"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return f"{self.pk} ({self.attempts})"


class Contact(models.Model):
    """One time a resident reached the city, whatever came of it.

    Most contacts (about 60 % in Philadelphia) need only an answer: those are information requests,
    recorded here with no service request. A contact that filed a request points at it.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", _("In progress")  # an open contact in the agent console, nothing decided yet
        SERVICE_REQUEST = "service_request", _("Service request filed")
        INFORMATION = "information", _("Information given")
        DIRECTORY = "directory", _("Directory assistance")
        CANNED_ANSWER = "canned_answer", _("Answered by a safety rule")
        EXISTING_REQUEST = "existing_request", _("Added to an existing request")
        HUNG_UP = "hung_up", _("Caller hung up")  # the call dropped before anything was decided
        # An inbox item handed to another agent before its first agent had decided anything.
        HANDED_ON = "handed_on", _("Handed to another agent")

    # Indexed by contact_started_idx, which starts with it.
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="contacts", db_index=False)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts", verbose_name=_("service")
    )
    service_request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("service request"),
    )
    requester = models.ForeignKey(Requester, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts_handled",
        verbose_name=_("agent"),
    )
    customer = models.ForeignKey(
        "people.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("customer"),
    )
    summary = models.TextField(_("answer given"), blank=True)
    # A walk-in's service desk (the console asks which desk the agent sits at); empty on other channels.
    desk = models.ForeignKey(
        "jurisdictions.ServiceDesk",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("service desk"),
    )
    # Recorded at the end of a call: the number the survey team may call back, and whether they may.
    callback_phone = models.CharField(_("callback number"), max_length=40, blank=True)
    survey_consent = models.BooleanField(_("agreed to a survey call"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["jurisdiction", "started_at"], name="contact_started_idx"),
            # The survey work list's sweep: the few contacts that agreed to a call, by when they ended.
            models.Index(
                fields=["jurisdiction", "ended_at"],
                condition=models.Q(survey_consent=True),
                name="contact_survey_consent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_outcome_display()}"

    @property
    def has_outcome(self) -> bool:
        return self.outcome != self.Outcome.PENDING

    @property
    def handle_seconds(self) -> int | None:
        """How long the contact took, from the agent opening it to closing it (handle time)."""
        if self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.started_at).total_seconds()))


class Escalation(models.Model):
    """A step of the ladder that fired for a request, for one due date.

    The unique constraint is the guarantee against double escalations: whoever inserts the row first
    escalates; every other sweep gets an IntegrityError and leaves it. A reopened request has a new due
    date, so its ladder runs again.
    """

    service_request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="escalations")
    # The history entry that announces it: notifications tells the step's people from that entry (the
    # transactional outbox), so the escalation and its e-mails are kept together or not at all.
    history_entry = models.OneToOneField(
        "HistoryEntry", on_delete=models.SET_NULL, null=True, blank=True, related_name="escalation", editable=False
    )
    step = models.ForeignKey(
        EscalationStep, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("step")
    )
    due_at = models.DateTimeField(_("for the due date"))
    escalated_at = models.DateTimeField(_("escalated"))

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["escalated_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["service_request", "step", "due_at"], name="unique_escalation"),
        ]

    def __str__(self) -> str:
        return f"{self.step.label} {self.escalated_at:%Y-%m-%d %H:%M}"
