"""Community programs: neighborhood accounts (the public figures of each neighborhood, kept as rollups)
and the Neighborhood Liaison Program (applications, liaisons, training, community meetings, the requests
liaisons file, messages to them), here; the Youth Engagement Program in `youth.py`; pilot assessments of a
new technology in `pilots.py` (both imported below, so `community.models.X` names every model).

Write to these only through `civic311.community.services`; the rules live there, and who may do what in
`civic311.people.roles` (`may_run_community_programmes`, `may_file_as_liaison`, ...).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.service_requests.models import ServiceRequest

# --- neighborhood accounts: rollups ------------------------------------------------------------------------
# The public neighborhood page must be fast on a city of five million requests, so its figures are read
# from these small tables, never counted from the requests per view. `services.rollups` keeps them: a
# full rebuild (`manage.py rebuild_neighborhood_figures`) and a periodic sweep that recounts only the
# (neighborhood, month) buckets whose requests changed since the last one. Public requests only (a private
# request never shows on a public page, so it is not counted there either).


class NeighborhoodMonth(models.Model):
    """One service's requests in one neighborhood in one month of the city's calendar."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    # Empty: the requests of the city that fall in no neighborhood (they count for the city's figures).
    neighborhood = models.ForeignKey(Neighborhood, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))  # its first day, in the city's time zone
    # Every figure is of the requests *filed* this month (a cohort), so that a request only ever counts in
    # the bucket of its filing month and a sweep recounts exactly the buckets whose requests changed.
    filed = models.PositiveIntegerField(_("filed"), default=0)
    closed = models.PositiveIntegerField(_("closed"), default=0)  # of those filed this month, closed since
    # Of those closed that had a due date: how many were closed by it.
    closed_with_due_date = models.PositiveIntegerField(default=0)
    closed_on_time = models.PositiveIntegerField(default=0)
    # Days to close of those closed, as counts per whole day ([n closed in 0 days, n in 1 day, ...], the last
    # bucket holding everything longer): medians merge from these, never from rows.
    days_to_close = models.JSONField(default=list)

    class Meta:
        verbose_name = _("neighborhood month")
        verbose_name_plural = _("neighborhood months")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "neighborhood", "service", "month"], name="unique_neighborhood_month"
            ),
            models.UniqueConstraint(
                fields=["jurisdiction", "service", "month"],
                condition=models.Q(neighborhood__isnull=True),
                name="unique_city_remainder_month",
            ),
        ]
        indexes = [
            models.Index(fields=["neighborhood", "month"], name="neighborhood_month_idx"),
            models.Index(fields=["jurisdiction", "month"], name="city_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.neighborhood_id or '-'} {self.service_id} {self.month:%Y-%m}"


class NeighborhoodBacklog(models.Model):
    """The open requests of one service in one neighborhood now, and how old they are."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    neighborhood = models.ForeignKey(Neighborhood, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    open_requests = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    # Open requests by age in days, in the buckets of `services.rollups.AGE_BUCKETS`.
    by_age = models.JSONField(default=list)
    oldest_requested_at = models.DateTimeField(null=True, blank=True)
    counted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("neighborhood backlog")
        verbose_name_plural = _("neighborhood backlogs")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "neighborhood", "service"], name="unique_backlog"),
            models.UniqueConstraint(
                fields=["jurisdiction", "service"],
                condition=models.Q(neighborhood__isnull=True),
                name="unique_city_remainder_backlog",
            ),
        ]
        indexes = [models.Index(fields=["neighborhood"], name="backlog_neighborhood_idx")]

    def __str__(self) -> str:
        return f"{self.neighborhood_id or '-'} {self.service_id}: {self.open_requests}"


class RollupWatermark(models.Model):
    """How far the rollups of a city are counted: requests changed after `counted_through` are not yet."""

    jurisdiction = models.OneToOneField(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    counted_through = models.DateTimeField()
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    # When the figures were last counted (a rebuild or a sweep): the "figures as of" of the public pages.
    swept_at = models.DateTimeField(null=True, blank=True)

    # --- the Neighborhood Liaison Program --------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.jurisdiction_id}: {self.counted_through:%Y-%m-%d %H:%M}"


class HeardAbout(models.TextChoices):
    NEIGHBOR = "neighbor", _("A neighbor or friend")
    CIVIC_ASSOCIATION = "civic_association", _("A civic association or town watch")
    MEETING = "meeting", _("A community meeting")
    PHILLY311 = "311", _("Calling or visiting 311")
    SOCIAL = "social", _("Social media")
    ELECTED_OFFICIAL = "elected_official", _("An elected official's office")
    OTHER = "other", _("Somewhere else")


class LiaisonApplication(models.Model):
    """A resident's application to become a neighborhood liaison, from the public form."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        # In context: Spanish says "accepted" and "declined" of an application (feminine) in words of their own.
        ACCEPTED = "accepted", pgettext_lazy("an application", "Accepted")
        DECLINED = "declined", pgettext_lazy("an application", "Declined")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)  # E.164
    neighborhoods = models.ManyToManyField(Neighborhood, related_name="+", verbose_name=_("neighborhoods"))
    # Codes of the languages they speak (any, not only those the site is in): ["en", "es", "zh"].
    languages = models.JSONField(_("languages spoken"), default=list)
    heard_about = models.CharField(_("heard about the program"), max_length=20, choices=HeardAbout.choices)
    heard_about_detail = models.CharField(_("more about where"), max_length=200, blank=True)
    # The version of the programme's terms they agreed to, and when: no application without it.
    terms_version = models.CharField(_("terms agreed"), max_length=20)
    agreed_at = models.DateTimeField(_("agreed"))
    # Whether their first name and last initial may appear on their neighborhoods' public pages.
    show_on_neighborhood_page = models.BooleanField(_("shown on the neighborhood page"), default=False)
    language = models.CharField(_("language of the form"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    created_at = models.DateTimeField(_("applied"), default=timezone.now)

    class Meta:
        verbose_name = _("liaison application")
        verbose_name_plural = _("liaison applications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["jurisdiction", "status", "created_at"], name="application_status_idx")]
        constraints = [
            # One application waiting for review per address (services.applications says so in words first).
            models.UniqueConstraint(
                Lower("email"),
                "jurisdiction",
                condition=models.Q(status="pending"),
                name="one_pending_application_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name[:1]}."


class Liaison(models.Model):
    """A resident in the program, from their accepted application on. Active once trained; lapsed when a
    refresher is overdue; withdrawn when they leave. Their account (`user`, a resident's, not staff) holds
    the liaison role for their neighborhoods only while active (`services.training.sync_access`)."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted, not yet trained")
        ACTIVE = "active", pgettext_lazy("a liaison", "Active")
        LAPSED = "lapsed", _("Lapsed (refresher overdue)")
        WITHDRAWN = "withdrawn", pgettext_lazy("a liaison", "Withdrawn")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="liaison")
    application = models.OneToOneField(
        LiaisonApplication, on_delete=models.SET_NULL, null=True, blank=True, related_name="liaison"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    neighborhoods = models.ManyToManyField(Neighborhood, related_name="liaisons", verbose_name=_("neighborhoods"))
    languages = models.JSONField(_("languages spoken"), default=list)
    language = models.CharField(_("language for messages"), max_length=10, blank=True)
    show_on_neighborhood_page = models.BooleanField(_("shown on the neighborhood page"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    joined_at = models.DateTimeField(_("accepted"), default=timezone.now)
    trained_at = models.DateTimeField(_("trained"), null=True, blank=True)
    refresher_due_on = models.DateField(_("refresher due"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("lapsed"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True)
    weekly_digest = models.BooleanField(_("weekly digest e-mail"), default=True)
    last_digest_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("liaison")
        verbose_name_plural = _("liaisons")
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["jurisdiction", "status"], name="liaison_status_idx")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name[:1]}."

    @property
    def public_name(self) -> str:
        """First name and last initial: all a public page ever shows, and only with their consent."""
        return f"{self.first_name} {self.last_name[:1]}.".strip()


class TrainingSession(models.Model):
    """A training for liaisons: the first one makes a liaison active; refreshers keep them so."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial training")
        REFRESHER = "refresher", _("Refresher")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INITIAL)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    trainer = models.CharField(_("trainer"), max_length=200)
    capacity = models.PositiveIntegerField(_("capacity"))
    language = models.CharField(_("language"), max_length=10)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["jurisdiction", "starts_at"], name="training_starts_idx")]

    def __str__(self) -> str:
        return self.title


class TrainingRegistration(models.Model):
    """A liaison's place in a training session, and whether they came and completed it."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="registrations")
    liaison = models.ForeignKey(Liaison, on_delete=models.CASCADE, related_name="trainings")
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)
    attended = models.BooleanField(_("attended"), null=True, blank=True)  # empty until the register is taken
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Printed on the certificate; unique in the city, so a certificate can be checked.
    certificate_number = models.CharField(_("certificate number"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("training registration")
        verbose_name_plural = _("training registrations")
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "liaison"], name="unique_training_registration"),
        ]

    def __str__(self) -> str:
        return f"{self.liaison} @ {self.session}"


class CommunityMeeting(models.Model):
    """A community meeting: one that community staff attended, or one whose notes a liaison turned into
    requests (the requests are tagged with it through `LiaisonFiling.meeting`)."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    neighborhood = models.ForeignKey(
        Neighborhood, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("neighborhood")
    )
    name = models.CharField(_("meeting"), max_length=200)
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    attendance = models.PositiveIntegerField(_("people attending"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("community meeting")
        verbose_name_plural = _("community meetings")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.name


class LiaisonFiling(models.Model):
    """That a liaison filed a request (channel `liaison`): on behalf of a neighbor, or from a meeting's
    notes. Written in the request's own filing transaction."""

    service_request = models.OneToOneField(ServiceRequest, on_delete=models.CASCADE, related_name="liaison_filing")
    liaison = models.ForeignKey(Liaison, on_delete=models.PROTECT, related_name="filings")
    meeting = models.ForeignKey(
        CommunityMeeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="filings"
    )
    # When the neighbour's contact details were given: that they agreed to the city having them.
    neighbour_consented_at = models.DateTimeField(null=True, blank=True)
    filed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("request filed by a liaison")
        verbose_name_plural = _("requests filed by liaisons")
        ordering = ["-filed_at", "-pk"]
        indexes = [models.Index(fields=["liaison", "filed_at"], name="filing_liaison_idx")]

    def __str__(self) -> str:
        return f"{self.liaison}: {self.service_request_id}"


class ProgrammeMessage(models.Model):
    """A message community staff sent to the liaisons of a neighborhood or of the whole program; one
    outbox row per liaison is written with it."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    neighborhood = models.ForeignKey(
        Neighborhood, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("neighborhood")
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("message to liaisons")
        verbose_name_plural = _("messages to liaisons")
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


# The other two programs, each in its own module (imported last: they use nothing above).
from .pilots import FocusGroup, PilotAssessment, PilotInvitation, PilotParticipant  # noqa: E402
from .youth import (  # noqa: E402
    PARTICIPANT_FIELDS,
    AgeBand,
    Attendance,
    Cohort,
    CohortSession,
    ConsentMethod,
    Participant,
    Partner,
    Phase,
    WalkReport,
    YouthSettings,
    YouthSurveyResponse,
)

__all__ = [
    "PARTICIPANT_FIELDS",
    "AgeBand",
    "Attendance",
    "Cohort",
    "CohortSession",
    "CommunityMeeting",
    "ConsentMethod",
    "FocusGroup",
    "HeardAbout",
    "Liaison",
    "LiaisonApplication",
    "LiaisonFiling",
    "NeighborhoodBacklog",
    "NeighborhoodMonth",
    "Participant",
    "Partner",
    "Phase",
    "PilotAssessment",
    "PilotInvitation",
    "PilotParticipant",
    "ProgrammeMessage",
    "RollupWatermark",
    "TrainingRegistration",
    "TrainingSession",
    "WalkReport",
    "YouthSettings",
    "YouthSurveyResponse",
]
