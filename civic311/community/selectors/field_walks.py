"""Reads of the Youth Engagement Program's field walks: what a cohort's participants reported on their walks
(`WalkReport`) and what became of it.

The figures (`cohort_outcomes`) use the same definitions as the liaison program's (`selectors.figures`):

- **filed**: the cohort's walk reports; **closed**: their request has a `closed_at` (closed, or ended as a
  duplicate, referral or cancellation); **open**: the others;
- **median days to close**: the median of `closed_at - requested_at` in days (one decimal) of the closed;
- **on-time share**: of the closed requests that had a due date (`expected_at`), the share (0 to 1) closed at
  or before it; None when no closed request had one;
- **with before and after**: the requests with at least one "before" photo and one "after" photo (public or
  not: the figure is for staff and the impact report, which show no photo).

The participants (minors) are named only on staff pages (`display_name`); the map's JSON and anything public
carry no participant, no description, no contact.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.service_requests.models import Photo, ServiceRequest

from ..models import Cohort, CohortSession, Participant, WalkReport


class ServiceOutcome(NamedTuple):
    """One service's walk requests: (service name in the reader's language, filed, closed)."""

    service: str
    filed: int
    closed: int


@dataclass(frozen=True)
class SessionOutcomes:
    """The walk requests of one session (a session with a field walk, or any session that has reports)."""

    session_id: int
    number: int
    topic: str
    starts_at: dt.datetime
    filed: int
    closed: int
    open: int
    by_service: list[ServiceOutcome]
    median_days_to_close: float | None
    closed_with_due_date: int
    closed_on_time: int
    on_time_share: float | None  # 0 to 1
    with_before_and_after: int


@dataclass(frozen=True)
class WalkOutcomes:
    """All of a cohort's walk requests and what became of them; `by_session` in session order."""

    filed: int
    closed: int
    open: int
    by_service: list[ServiceOutcome]  # most filed first, then by name
    median_days_to_close: float | None
    closed_with_due_date: int
    closed_on_time: int
    on_time_share: float | None  # 0 to 1
    with_before_and_after: int
    by_session: list[SessionOutcomes] = field(default_factory=list)

    @property
    def on_time_percent(self) -> float | None:
        return None if self.on_time_share is None else self.on_time_share * 100


@dataclass
class _Tally:
    filed: int = 0
    closed: int = 0
    closed_with_due_date: int = 0
    closed_on_time: int = 0
    with_before_and_after: int = 0
    days: list[float] = field(default_factory=list)
    services: dict[int, list[int]] = field(default_factory=dict)  # service id -> [filed, closed]

    def add(self, row: _Row) -> None:
        self.filed += 1
        counts = self.services.setdefault(row.service_id, [0, 0])
        counts[0] += 1
        self.with_before_and_after += row.has_before and row.has_after
        if row.closed_at is None:
            return
        self.closed += 1
        counts[1] += 1
        self.days.append(max((row.closed_at - row.requested_at).total_seconds(), 0) / 86_400)
        if row.expected_at is not None:
            self.closed_with_due_date += 1
            self.closed_on_time += row.closed_at <= row.expected_at

    @property
    def median_days(self) -> float | None:
        return round(statistics.median(self.days), 1) if self.days else None

    @property
    def on_time_share(self) -> float | None:
        return self.closed_on_time / self.closed_with_due_date if self.closed_with_due_date else None

    def by_service(self, names: dict[int, str]) -> list[ServiceOutcome]:
        rows = [ServiceOutcome(names.get(pk, "?"), filed, closed) for pk, (filed, closed) in self.services.items()]
        return sorted(rows, key=lambda row: (-row.filed, row.service))


class _Row(NamedTuple):
    session_id: int
    service_id: int
    requested_at: dt.datetime
    closed_at: dt.datetime | None
    expected_at: dt.datetime | None
    has_before: bool
    has_after: bool


def _rows(cohort: Cohort) -> list[_Row]:
    reports = list(
        WalkReport.objects.filter(session__cohort=cohort)
        .order_by()
        .values_list(
            "session_id",
            "service_request_id",
            "service_request__service_id",
            "service_request__requested_at",
            "service_request__closed_at",
            "service_request__expected_at",
        )
    )
    stages: dict[int, set[str]] = {}
    for request_id, stage in (
        Photo.objects.filter(service_request_id__in=[report[1] for report in reports])
        .order_by()
        .values_list("service_request_id", "stage")
        .distinct()
    ):
        stages.setdefault(request_id, set()).add(stage)
    return [
        _Row(
            session_id,
            service_id,
            requested_at,
            closed_at,
            expected_at,
            Photo.Stage.BEFORE in stages.get(request_id, ()),
            Photo.Stage.AFTER in stages.get(request_id, ()),
        )
        for session_id, request_id, service_id, requested_at, closed_at, expected_at in reports
    ]


def _service_names(service_ids: Iterable[int]) -> dict[int, str]:
    # In the reader's language, as the public form and the liaison figures name the services.
    return {
        service.pk: str(service.localized("name"))
        for service in Service.objects.filter(pk__in=list(service_ids)).only("pk", "name", "translations")
    }


def cohort_outcomes(cohort: Cohort) -> WalkOutcomes:
    """What the cohort's participants reported on their field walks and what became of it (three queries)."""
    rows = _rows(cohort)
    total = _Tally()
    per_session: dict[int, _Tally] = {}
    for row in rows:
        total.add(row)
        per_session.setdefault(row.session_id, _Tally()).add(row)
    names = _service_names(total.services)
    sessions = CohortSession.objects.filter(cohort=cohort).order_by("number")
    by_session: list[SessionOutcomes] = []
    for session in sessions:
        tally = per_session.get(session.pk)
        if tally is None and not session.has_field_walk:
            continue
        tally = tally or _Tally()
        by_session.append(
            SessionOutcomes(
                session_id=session.pk,
                number=session.number,
                topic=session.topic,
                starts_at=session.starts_at,
                filed=tally.filed,
                closed=tally.closed,
                open=tally.filed - tally.closed,
                by_service=tally.by_service(names),
                median_days_to_close=tally.median_days,
                closed_with_due_date=tally.closed_with_due_date,
                closed_on_time=tally.closed_on_time,
                on_time_share=tally.on_time_share,
                with_before_and_after=tally.with_before_and_after,
            )
        )
    return WalkOutcomes(
        filed=total.filed,
        closed=total.closed,
        open=total.filed - total.closed,
        by_service=total.by_service(names),
        median_days_to_close=total.median_days,
        closed_with_due_date=total.closed_with_due_date,
        closed_on_time=total.closed_on_time,
        on_time_share=total.on_time_share,
        with_before_and_after=total.with_before_and_after,
        by_session=by_session,
    )


# --- the cohort's requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WalkRequest:
    """One request a participant filed on a walk, for the cohort's staff page."""

    service_request: ServiceRequest
    session_number: int
    participant_name: str  # display_name, "" when none was chosen; staff pages only
    before_photos: list[Photo]
    after_photos: list[Photo]

    @property
    def is_closed(self) -> bool:
        return self.service_request.closed_at is not None

    @property
    def closed_on_time(self) -> bool | None:
        """None when not closed or without a due date."""
        request = self.service_request
        if request.closed_at is None or request.expected_at is None:
            return None
        return request.closed_at <= request.expected_at

    @property
    def days_to_close(self) -> float | None:
        request = self.service_request
        if request.closed_at is None:
            return None
        return round(max((request.closed_at - request.requested_at).total_seconds(), 0) / 86_400, 1)

    @property
    def has_before_and_after(self) -> bool:
        return bool(self.before_photos and self.after_photos)


def _reports(cohort: Cohort, *, public_photos_only: bool) -> QuerySet[WalkReport]:
    photos = Photo.objects.order_by("created_at", "pk")
    if public_photos_only:
        photos = photos.filter(is_public=True)
    return (
        WalkReport.objects.filter(session__cohort=cohort)
        .select_related("session", "participant", "service_request__service", "service_request__department")
        .prefetch_related(Prefetch("service_request__photos", queryset=photos, to_attr="walk_photos"))
        .order_by("-filed_at", "-pk")
    )


def cohort_requests(cohort: Cohort, *, public_photos_only: bool = False) -> list[WalkRequest]:
    """The cohort's walk requests, newest first, with their before and after photos (only the public ones
    when `public_photos_only`, for anything shown outside staff pages)."""
    found: list[WalkRequest] = []
    for report in _reports(cohort, public_photos_only=public_photos_only):
        photos: list[Photo] = getattr(report.service_request, "walk_photos", [])
        found.append(
            WalkRequest(
                service_request=report.service_request,
                session_number=report.session.number,
                participant_name=report.participant.display_name if report.participant is not None else "",
                before_photos=[photo for photo in photos if photo.stage == Photo.Stage.BEFORE],
                after_photos=[photo for photo in photos if photo.stage == Photo.Stage.AFTER],
            )
        )
    return found


def map_features(cohort: Cohort) -> dict[str, Any]:
    """The cohort's walk requests that have a point, as a GeoJSON FeatureCollection for the staff map.

    Only what a public request page shows anyway (number, service, status, dates, whether it has before and
    after photos) and the walk's session number: no participant, no description, no contact, no address
    (a point is enough), and a private request has no point here at all.
    """
    features: list[dict[str, Any]] = []
    for walk in cohort_requests(cohort):
        request = walk.service_request
        if request.lat is None or request.long is None or request.is_private:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(request.long, 6), round(request.lat, 6)]},
                "properties": {
                    # The keys the neighborhood map's script reads (civic311/js/neighborhood.js), and a few more.
                    "kind": "request",
                    "number": request.tracking_number,
                    "service": str(request.service.localized("name")),
                    "open": request.closed_at is None,
                    "url": reverse("public:track_request", args=[request.tracking_number]),
                    "status": str(request.get_status_display()),
                    "on_time": walk.closed_on_time,
                    "session": walk.session_number,
                    "requested": timezone.localdate(request.requested_at, cohort.jurisdiction.zone).isoformat(),
                    "before_and_after": walk.has_before_and_after,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def walk_state(session: CohortSession, *, now: dt.datetime) -> str:
    """How the session's walk link stands, for staff: "none" (no field walk), "not_opened" (never opened),
    "open", "closed" (closed by staff), "expired" (past its closing time), "anonymised" (the cohort's)."""
    if not session.has_field_walk:
        return "none"
    if session.cohort.anonymised_at is not None:
        return "anonymised"
    if not session.walk_token:
        return "closed" if session.walk_closes_at is not None else "not_opened"
    if session.walk_closes_at is not None and now >= session.walk_closes_at:
        return "expired"
    return "open"


# --- the walk's page ----------------------------------------------------------------------------------------

# What a walk is about, in the order offered first: each picks the first service the city offers whose
# keywords (or name) hold it; the rest of the catalogue is under "Something else".
WALK_TOPICS = ("graffiti", "illegal dumping", "street light", "pothole", "abandoned car", "vacant lot")


def walk_services(jurisdiction: Jurisdiction) -> tuple[list[Service], list[Service]]:
    """(the few services a walk is about, every service the city takes reports for), from its catalogue."""
    offered = list(catalogue.offered_services(jurisdiction))
    featured: list[Service] = []
    for topic in WALK_TOPICS:
        for service in offered:
            words = [word.lower() for word in service.keyword_list()]
            if service not in featured and (topic in words or topic in service.name.lower()):
                featured.append(service)
                break
    return featured, offered


def walk_participants(session: CohortSession) -> list[tuple[int, str]]:
    """The cohort's participants a walker may pick as themselves: (pk, display_name), the anonymised left out."""
    participants = Participant.objects.filter(cohort_id=session.cohort_id, anonymised_at__isnull=True).order_by(
        "first_name", "last_initial", "pk"
    )
    return [(participant.pk, participant.display_name) for participant in participants]


# --- lookups of the staff pages -----------------------------------------------------------------------------


def cohort_by_slug(jurisdiction: Jurisdiction, slug: str) -> Cohort | None:
    return Cohort.objects.select_related("jurisdiction").filter(jurisdiction=jurisdiction, slug=slug[:80]).first()


def session_of(cohort: Cohort, number: int) -> CohortSession | None:
    return (
        CohortSession.objects.select_related("cohort", "cohort__jurisdiction")
        .filter(cohort=cohort, number=number)
        .first()
    )


def walk_sessions(cohort: Cohort) -> list[CohortSession]:
    """The cohort's sessions with a field walk, in order."""
    return list(
        CohortSession.objects.filter(cohort=cohort, has_field_walk=True).select_related("cohort").order_by("number")
    )
