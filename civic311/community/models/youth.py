"""The Youth Engagement Program: cohorts at a school or recreation centre, their weekly sessions and partner
organizations, the participants (minors: only what the program needs, see `Participant`), attendance, the
requests they file on a session's field walk, their pre- and post-program surveys, their certificates.

Write only through `civic311.community.services.youth` (and `field_walks`, `youth_surveys`); who may do
what is `civic311.people.roles.may_run_community_programmes`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic311.catalogue.models import Department
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.service_requests.models import ServiceRequest
from civic311.surveys.models import Instrument, InstrumentVersion, Response


class Phase(models.TextChoices):
    """When a survey is answered: before the program (or the pilot) or after it."""

    BEFORE = "before", _("Before")
    AFTER = "after", _("After")


class YouthSettings(models.Model):
    """A city's rules for the minors' data: how long after a cohort ends the guardians' contacts are kept,
    and how long until the participants are anonymised (`services.youth.apply_retention`, nightly)."""

    jurisdiction = models.OneToOneField(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    guardian_contact_days = models.PositiveIntegerField(
        _("days the guardians' contacts are kept after a cohort ends"), default=30
    )
    retention_days = models.PositiveIntegerField(
        _("days until participants are anonymised after a cohort ends"), default=365
    )

    class Meta:
        verbose_name = _("youth program settings")
        verbose_name_plural = _("youth program settings")

    def __str__(self) -> str:
        return str(self.jurisdiction)


class Partner(models.Model):
    """A partner organization (Education Works, the Police Explorers, Junior Block Captains...)."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("organization"), max_length=200)
    website = models.URLField(_("website"), blank=True)
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact's e-mail"), blank=True)
    contact_phone = models.CharField(_("contact's phone"), max_length=40, blank=True)  # E.164
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("partner organization")
        verbose_name_plural = _("partner organizations")
        ordering = ["name"]
        constraints = [models.UniqueConstraint("jurisdiction", Lower("name"), name="unique_partner_name")]

    def __str__(self) -> str:
        return self.name


class Cohort(models.Model):
    """One run of the program at one site: dates, partners, weekly sessions, the completion rule, the survey
    asked before and after, the certificates' signatory."""

    class SiteKind(models.TextChoices):
        SCHOOL = "school", _("School")
        RECREATION_CENTRE = "recreation", _("Recreation center")
        LIBRARY = "library", _("Library")
        OTHER = "other", _("Other")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80)
    site_name = models.CharField(_("site"), max_length=200)
    site_kind = models.CharField(_("kind of site"), max_length=12, choices=SiteKind.choices)
    site_address = models.CharField(_("address"), max_length=300, blank=True)
    neighborhood = models.ForeignKey(
        Neighborhood, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("neighborhood")
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    partners = models.ManyToManyField(Partner, blank=True, related_name="cohorts", verbose_name=_("partners"))
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coordinator"),
    )
    # The completion rule: at least this many sessions attended, and (if set) the after survey answered.
    sessions_to_complete = models.PositiveIntegerField(_("sessions to attend to complete"), default=4)
    after_survey_to_complete = models.BooleanField(_("the after survey completes the program"), default=False)
    # The survey asked before and after (one instrument; each phase pinned to the version it was opened with).
    survey = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("survey")
    )
    before_version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    after_version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A phase's survey link for the participants' phones or a shared tablet: open while set.
    before_survey_token = models.CharField(max_length=64, blank=True)
    after_survey_token = models.CharField(max_length=64, blank=True)
    signatory_name = models.CharField(_("certificates signed by"), max_length=200, blank=True)
    signatory_title = models.CharField(_("signatory's title"), max_length=200, blank=True)
    # Philly311's certificates were signed by the Mayor and the Chief Customer Officer: a second, optional.
    second_signatory_name = models.CharField(_("also signed by"), max_length=200, blank=True)
    second_signatory_title = models.CharField(_("second signatory's title"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The retention job's marks: when the guardians' contacts were erased, when the participants anonymised.
    guardian_contacts_erased_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    class Meta:
        verbose_name = _("youth cohort")
        verbose_name_plural = _("youth cohorts")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "slug"], name="unique_cohort_slug"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="cohort_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CohortSession(models.Model):
    """One of a cohort's weekly sessions: its topic and presenters; some include a field walk."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveIntegerField(_("session"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    topic = models.CharField(_("topic"), max_length=300)
    presenting_departments = models.ManyToManyField(
        Department, blank=True, related_name="+", verbose_name=_("presenting departments")
    )
    presenting_partners = models.ManyToManyField(
        Partner, blank=True, related_name="+", verbose_name=_("presenting partners")
    )
    other_presenters = models.CharField(_("other presenters"), max_length=300, blank=True)
    has_field_walk = models.BooleanField(_("includes a field walk"), default=False)
    # The walk's reporting link for the participants' phones: open while set and before walk_closes_at.
    walk_token = models.CharField(max_length=64, blank=True)
    walk_closes_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cohort session")
        verbose_name_plural = _("cohort sessions")
        ordering = ["cohort", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "number"], name="unique_cohort_session_number"),
            models.UniqueConstraint(
                fields=["walk_token"], condition=~models.Q(walk_token=""), name="unique_walk_token"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="cohort_session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cohort} #{self.number}"


class AgeBand(models.TextChoices):
    UNDER_11 = "8-10", _("8 to 10")
    FROM_11 = "11-13", _("11 to 13")
    FROM_14 = "14-15", _("14 to 15")
    FROM_16 = "16-17", _("16 to 17")


class ConsentMethod(models.TextChoices):
    PAPER_FORM = "paper", _("Signed paper form")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    EMAIL = "email", _("By e-mail")


# Everything the program may keep about a participant, and nothing else (tests/community hold the list).
PARTICIPANT_FIELDS = (
    "id",
    "cohort",
    "first_name",
    "last_initial",
    "age_band",
    "guardian_name",
    "guardian_contact",
    "consent_method",
    "consented_on",
    "consent_recorded_by",
    "completed_at",
    "certificate_code",
    "certificate_issued_at",
    "anonymised_at",
    "created_at",
)


class Participant(models.Model):
    """A participant of a cohort, a minor: first name and last initial, an age band, the guardian's consent
    (who, when, how; the guardian's contact only until the cohort ends and `YouthSettings` days pass).
    Never public; anonymised on the city's schedule after the cohort ends (the figures stay)."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="participants")
    first_name = models.CharField(_("first name"), max_length=50)
    last_initial = models.CharField(_("last initial"), max_length=1)
    age_band = models.CharField(_("age"), max_length=5, choices=AgeBand.choices)
    guardian_name = models.CharField(_("guardian who consented"), max_length=100)
    guardian_contact = models.CharField(_("guardian's phone or e-mail"), max_length=200, blank=True)
    consent_method = models.CharField(_("consent given"), max_length=10, choices=ConsentMethod.choices)
    consented_on = models.DateField(_("consent date"))
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Printed on the certificate; its public page (`youth_certificate_check`) confirms it and shows nothing else.
    certificate_code = models.CharField(_("verification code"), max_length=20, null=True, blank=True, unique=True)
    certificate_issued_at = models.DateTimeField(_("certificate issued"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("youth participant")
        verbose_name_plural = _("youth participants")
        ordering = ["cohort", "first_name", "last_initial", "pk"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.anonymised_at is not None or not self.first_name:
            return str(_("Participant %(number)s") % {"number": self.pk})
        return f"{self.first_name} {self.last_initial}."


class Attendance(models.Model):
    session = models.ForeignKey(CohortSession, on_delete=models.CASCADE, related_name="attendance")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="attendance")
    present = models.BooleanField(_("present"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "participant"], name="unique_attendance")]

    def __str__(self) -> str:
        return f"{self.session} {self.participant_id} {self.present}"


class WalkReport(models.Model):
    """A request a participant filed on a session's field walk: the tag that ties it to the cohort."""

    service_request = models.OneToOneField(ServiceRequest, on_delete=models.CASCADE, related_name="walk_report")
    session = models.ForeignKey(CohortSession, on_delete=models.PROTECT, related_name="walk_reports")
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="walk_reports"
    )
    filed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("field walk report")
        verbose_name_plural = _("field walk reports")
        ordering = ["-filed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.session}: {self.service_request_id}"


class YouthSurveyResponse(models.Model):
    """A participant's answer to the cohort's survey in one phase (one per phase)."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="survey_responses")
    phase = models.CharField(_("phase"), max_length=6, choices=Phase.choices)
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="youth_response")
    entered_by = models.ForeignKey(  # staff typing in a paper form; empty when the participant answered
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("youth survey response")
        verbose_name_plural = _("youth survey responses")
        constraints = [models.UniqueConstraint(fields=["participant", "phase"], name="one_youth_response_per_phase")]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.phase}"
