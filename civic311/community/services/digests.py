"""The liaisons' weekly digest: one e-mail a week to each active liaison who wants it, summarising each of
their neighborhoods (new, closed, open, overdue) and what changed on the requests they filed.

A digest week starts on Monday at DIGEST_HOUR in the city's time zone and covers the whole calendar week
before (Monday 00:00 to Monday 00:00, city time). The sweep runs every hour and sends to whoever is due, so a
missed run (a worker down on Monday morning) is made up at the next one. Each e-mail is an outbox row with
a dedup key per liaison and ISO week, written in the transaction that sets `last_digest_on`: a liaison
gets one digest a week however often the sweep runs, and on however many workers.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.jurisdictions.selectors import public_site_url
from civic311.notifications import services as notifications
from civic311.people import roles
from civic311.service_requests.lifecycle import FINAL_STATES, OPEN_STATES
from civic311.service_requests.models import ServiceRequest

from ..models import Liaison, LiaisonFiling

logger = logging.getLogger(__name__)

DIGEST_HOUR = 7  # Monday 07:00 in the city's zone
CHANGED_FILINGS_LISTED = 25


# --- what a digest says (its reads live here: the selectors read the services' constants, so the services
# do not import the selectors) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeighborhoodWeek:
    neighborhood: Neighborhood
    new: int
    closed: int
    open: int
    overdue: int


@dataclass(frozen=True)
class FilingNews:
    """A request the liaison filed, as the digest lists it: public fields only."""

    tracking_number: str
    service_name: str
    status_label: str


@dataclass(frozen=True)
class Digest:
    neighborhoods: list[NeighborhoodWeek]
    # The liaison's own filings from before the week whose request changed in it (a status, a note).
    changed_filings: list[FilingNews]
    filed_this_week: int


def cities_with_active_liaisons() -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.filter(
        pk__in=Liaison.objects.filter(status=Liaison.Status.ACTIVE).values("jurisdiction_id")
    ).order_by("pk")


def liaisons_due_a_digest(jurisdiction: Jurisdiction, monday: dt.date) -> QuerySet[Liaison]:
    """The city's active liaisons who want the digest and have not had the one of the week from `monday`."""
    return (
        Liaison.objects.filter(
            jurisdiction=jurisdiction, status=Liaison.Status.ACTIVE, weekly_digest=True, user__is_active=True
        )
        .filter(Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=monday))
        .select_related("user", "jurisdiction")
        .order_by("pk")
    )


def digest_for(liaison: Liaison, start: dt.datetime, end: dt.datetime, *, now: dt.datetime | None = None) -> Digest:
    """What happened in [start, end) in the neighborhoods the liaison serves now (public requests only),
    and to the requests they filed. Open and overdue are as of `now` (when the digest is made; `end` when
    not given), as the e-mail says ("open now"): an overdue request is one of the open ones."""
    as_of = now or end
    ids = roles.liaison_neighborhoods(liaison.user)
    weeks = []
    for neighborhood in Neighborhood.objects.filter(pk__in=ids).order_by("name") if ids else []:
        requests = ServiceRequest.objects.filter(
            jurisdiction_id=neighborhood.jurisdiction_id, neighborhood=neighborhood, is_private=False
        )
        open_requests = requests.filter(status__in=list(OPEN_STATES))
        weeks.append(
            NeighborhoodWeek(
                neighborhood=neighborhood,
                new=requests.filter(requested_at__gte=start, requested_at__lt=end).count(),
                closed=requests.filter(status__in=list(FINAL_STATES), closed_at__gte=start, closed_at__lt=end).count(),
                open=open_requests.count(),
                overdue=open_requests.filter(expected_at__lt=as_of).count(),
            )
        )
    filings = LiaisonFiling.objects.filter(liaison=liaison)
    changed = (
        filings.filter(filed_at__lt=start, service_request__updated_at__gte=start, service_request__updated_at__lt=end)
        .select_related("service_request__service")
        .only(
            "service_request__tracking_number",
            "service_request__status",
            "service_request__service__name",
            "service_request__service__translations",
        )
        .order_by("-service_request__updated_at", "-pk")[:CHANGED_FILINGS_LISTED]
    )
    return Digest(
        neighborhoods=weeks,
        changed_filings=[
            FilingNews(
                tracking_number=filing.service_request.tracking_number,
                service_name=filing.service_request.service.localized("name"),
                status_label=str(filing.service_request.get_status_display()),
            )
            for filing in changed
        ],
        filed_this_week=filings.filter(filed_at__gte=start, filed_at__lt=end).count(),
    )


# --- sending -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestWeek:
    monday: dt.date  # the Monday the digest is sent from (its ISO week names it)
    start: dt.datetime  # the week summarised: [start, end), the calendar week before `monday`
    end: dt.datetime

    @property
    def key(self) -> str:
        year, week, _day = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


def digest_week(jurisdiction: Jurisdiction, now: dt.datetime) -> DigestWeek:
    """The digest week in force at `now` in the city: it begins on Monday at DIGEST_HOUR, city time."""
    local = timezone.localtime(now, jurisdiction.zone) - dt.timedelta(hours=DIGEST_HOUR)
    monday = local.date() - dt.timedelta(days=local.weekday())
    end = dt.datetime.combine(monday, dt.time(0, 0), tzinfo=jurisdiction.zone)
    start = dt.datetime.combine(monday - dt.timedelta(days=7), dt.time(0, 0), tzinfo=jurisdiction.zone)
    return DigestWeek(monday=monday, start=start, end=end)


def _language(value: str) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return value if value in codes else settings.LANGUAGE_CODE


def _site(jurisdiction: Jurisdiction) -> str:
    return public_site_url(jurisdiction) or settings.NOTIFICATIONS_FALLBACK_URL.rstrip("/")


def dedup_key(liaison: Liaison, week: DigestWeek) -> str:
    return f"liaison-digest:{liaison.pk}:{week.key}"


def send_digest(liaison: Liaison, week: DigestWeek, *, now: dt.datetime | None = None) -> bool:
    """Queue this liaison's digest of `week` and note it was sent, in one transaction; whether it was queued
    (not when they are no longer due, follow no neighborhood, or had it already)."""
    now = now or timezone.now()
    jurisdiction = liaison.jurisdiction
    language = _language(liaison.language)
    with transaction.atomic():
        locked = (
            Liaison.objects.select_for_update()
            .select_related("user", "jurisdiction")
            .filter(
                pk=liaison.pk,
                status=Liaison.Status.ACTIVE,
                weekly_digest=True,
                user__is_active=True,
            )
            .first()
        )
        if locked is None or (locked.last_digest_on is not None and locked.last_digest_on >= week.monday):
            return False
        with translation.override(language), timezone.override(jurisdiction.zone):
            digest = digest_for(locked, week.start, week.end, now=now)
            if not digest.neighborhoods:
                return False
            site = _site(jurisdiction)
            context = {
                "liaison": locked,
                "city": jurisdiction,
                "digest": digest,
                "week_start": week.start,
                "week_last_day": week.end - dt.timedelta(days=1),
                "dashboard_url": site + reverse("liaison:dashboard"),
                "site": site,
            }
            subject, body = notifications.render("liaison_digest", context, language)
        message = notifications.queue(
            channel="email",
            recipient=locked.email or locked.user.email,
            subject=subject,
            body=body,
            dedup_key=dedup_key(locked, week),
        )
        Liaison.objects.filter(pk=locked.pk).update(last_digest_on=timezone.localdate(now, jurisdiction.zone))
    return message is not None


def send_due_digests(*, now: dt.datetime | None = None) -> int:
    """Send the digest to every liaison due one in every city; how many were queued."""
    now = now or timezone.now()
    sent = 0
    for jurisdiction in cities_with_active_liaisons():
        week = digest_week(jurisdiction, now)
        for liaison in liaisons_due_a_digest(jurisdiction, week.monday):
            if send_digest(liaison, week, now=now):
                sent += 1
    logger.info("liaison digests queued: %d", sent)
    return sent
