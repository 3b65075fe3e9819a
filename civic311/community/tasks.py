"""The community app's periodic sweeps (needs the Huey consumer, `manage.py run_huey`); each is safe to run
twice or on several workers. The jobs that deliver messages are the notifications app's."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from civic311.jurisdictions.models import Jurisdiction

from .services import digests, rollups, training, youth

# --- neighborhood figures (rollups) ---


@db_periodic_task(crontab(minute="*/5"))
def sweep_neighborhood_figures() -> int:
    """Every five minutes: recount the neighborhood figures of the requests changed since the last sweep
    (each city's watermark row is locked while it counts, so two workers never count at once)."""
    counted = 0
    for jurisdiction in Jurisdiction.objects.all():
        counted += rollups.sweep(jurisdiction).months
    return counted


@db_periodic_task(crontab(minute="40", hour="3"))
def rebuild_neighborhood_figures() -> int:
    """Nightly: recount every city's figures from scratch (catches a request moved to another neighborhood,
    whose old month the sweep cannot know)."""
    counted = 0
    for jurisdiction in Jurisdiction.objects.all():
        counted += rollups.rebuild(jurisdiction).months
    return counted


# --- the programme: refreshers overdue ---


@db_periodic_task(crontab(minute="25", hour="*/6"))
def lapse_overdue_liaisons() -> int:
    """Four times a day (so a missed run is made up the same day): in every city, active liaisons whose
    refresher was due before today (in the city's zone) become lapsed and lose the liaison role."""
    lapsed = 0
    for jurisdiction in Jurisdiction.objects.all():
        lapsed += training.lapse_overdue(jurisdiction, timezone.localdate(timezone=jurisdiction.zone))
    return lapsed


# --- liaisons' weekly digest ---


@db_periodic_task(crontab(minute="10"))
def send_liaison_digests() -> int:
    """Hourly: the weekly digest to every liaison due one (from Monday 07:00 in their city's zone; a missed
    run is made up by the next, and a liaison gets one a week however often this runs)."""
    return digests.send_due_digests()


# --- the youth program: the minors' data kept no longer than the city's settings say ---


@db_periodic_task(crontab(minute="55", hour="2"))
def apply_youth_retention() -> int:
    """Nightly: in every city, erase the guardians' contacts and anonymise the participants of the cohorts
    whose time is up (`services.youth.apply_retention`; safe to run twice)."""
    counts = youth.apply_retention(None)
    return counts.contacts_erased + counts.participants_anonymised
