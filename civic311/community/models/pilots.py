"""Pilot assessments of a new technology: the staff who use it answer the same feedback form before and
after (by default six dimensions, each a rating with a comment), focus groups add notes, and the report
compares the phases.

Write only through `civic311.community.services.pilots`; who may do what is
`civic311.people.roles.may_run_community_programmes`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.surveys.models import Instrument, InstrumentVersion, Response

from .youth import Phase


class PilotAssessment(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80)
    technology = models.CharField(_("technology"), max_length=200)
    goals = models.TextField(_("goals"), blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    # The feedback form (an instrument of the survey engine); each phase pinned to the version it was sent with.
    form = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("form")
    )
    before_version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    after_version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("pilot assessment")
        verbose_name_plural = _("pilot assessments")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "slug"], name="unique_pilot_slug"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="pilot_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PilotParticipant(models.Model):
    """A member of staff who uses the technology during the pilot."""

    assessment = models.ForeignKey(PilotAssessment, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pilot participant")
        verbose_name_plural = _("pilot participants")
        ordering = ["assessment", "user__first_name", "user__last_name", "pk"]
        constraints = [models.UniqueConstraint(fields=["assessment", "user"], name="unique_pilot_participant")]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.user_id}"


class PilotInvitation(models.Model):
    """A participant's link to answer the form in one phase: no account needed, one answer per phase."""

    participant = models.ForeignKey(PilotParticipant, on_delete=models.CASCADE, related_name="invitations")
    phase = models.CharField(_("phase"), max_length=6, choices=Phase.choices)
    token = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    response = models.OneToOneField(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="pilot_invitation"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("pilot invitation")
        verbose_name_plural = _("pilot invitations")
        constraints = [models.UniqueConstraint(fields=["participant", "phase"], name="one_pilot_invitation_per_phase")]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.phase}"


class FocusGroup(models.Model):
    assessment = models.ForeignKey(PilotAssessment, on_delete=models.CASCADE, related_name="focus_groups")
    held_on = models.DateField(_("held on"))
    phase = models.CharField(_("phase"), max_length=6, choices=Phase.choices)
    facilitator = models.CharField(_("facilitator"), max_length=200, blank=True)
    attendees = models.ManyToManyField(PilotParticipant, blank=True, related_name="focus_groups")
    notes = models.TextField(_("notes"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("focus group")
        verbose_name_plural = _("focus groups")
        ordering = ["assessment", "held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.held_on}"
