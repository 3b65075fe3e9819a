"""The console's own tables: the centre-wide customer-journey figures, one snapshot per city and month.

The figures count contacts, requests, their histories and surveys; counting them on every page view would
not scale, so a nightly task (`console.tasks`, `manage.py journey_snapshots`) stores them here and the page
reads one row (docs/customer-journeys.md).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic311.jurisdictions.models import Jurisdiction


class JourneySnapshot(models.Model):
    """A city's customer-journey figures for one month (`month` is its first day, in the city's zone)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.CASCADE, related_name="journey_snapshots", verbose_name=_("jurisdiction")
    )
    month = models.DateField(_("month"))
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)
    # Contacts of known customers in the month, and those that repeated an earlier one about the same
    # problem within 7 days.
    contacts = models.PositiveIntegerField(_("contacts of known customers"), default=0)
    repeat_contacts = models.PositiveIntegerField(_("repeat contacts"), default=0)
    # First contacts (not repeats) that ended with an answer or a request, and those resolved at once: no
    # repeat contact within 7 days after and no reopening of the request they filed.
    first_contacts = models.PositiveIntegerField(_("first contacts"), default=0)
    resolved_first_time = models.PositiveIntegerField(_("resolved at the first contact"), default=0)
    # {"paths": [...], "branches": [...], "satisfaction": [...], "requests": n, "open": n}: codes, not words,
    # so the page shows them in the reader's language.
    figures = models.JSONField(_("figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("customer-journey snapshot")
        verbose_name_plural = _("customer-journey snapshots")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "month"], name="one_journey_snapshot_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id} {self.month:%Y-%m}"

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat_contacts / self.contacts * 100 if self.contacts else None

    @property
    def first_contact_resolution(self) -> float | None:
        return self.resolved_first_time / self.first_contacts * 100 if self.first_contacts else None
