"""A liaison's own view of their work: the account an e-mailed sign-in link opens, the dashboard of their
neighborhoods (open, overdue and recently closed requests) and the history of what they filed. (The weekly
digest's figures are read in `services.digests`, which must not import the selectors.)

Least privilege: the rows handed to pages and e-mails here are built from the request's public fields
only (tracking number, service, status, address, dates), never from its requester, and only for public
requests of the neighborhoods the liaison serves (`roles.liaison_neighborhoods`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from civic311.jurisdictions.models import Neighborhood
from civic311.people import roles
from civic311.people.models import User
from civic311.service_requests.lifecycle import FINAL_STATES, OPEN_STATES
from civic311.service_requests.models import ServiceRequest

from ..models import Liaison, LiaisonFiling

ROWS_PER_LIST = 25
RECENTLY_CLOSED_DAYS = 14
FILINGS_ON_DASHBOARD = 20

# Liaisons who may still sign in with a link: accepted (not yet trained), active and lapsed. A withdrawn
# liaison's account opens nothing.
SIGNING_IN_STATUSES = (Liaison.Status.ACCEPTED, Liaison.Status.ACTIVE, Liaison.Status.LAPSED)


@dataclass(frozen=True)
class RequestRow:
    """A request as a liaison's pages show it: public fields only."""

    tracking_number: str
    service_name: str
    status: str
    status_label: str
    address: str
    requested_at: dt.datetime
    expected_at: dt.datetime | None
    closed_at: dt.datetime | None
    is_open: bool
    is_overdue: bool


@dataclass(frozen=True)
class NeighborhoodWork:
    neighborhood: Neighborhood
    open_count: int
    overdue_count: int
    closed_recently_count: int
    open_requests: list[RequestRow]
    overdue_requests: list[RequestRow]
    closed_recently: list[RequestRow]


@dataclass(frozen=True)
class FilingRow:
    request: RequestRow
    filed_at: dt.datetime
    meeting_name: str


# --- who a link signs in -----------------------------------------------------------------------------------


def liaison_of(user: User) -> Liaison | None:
    """The program's record of this account, if it has one."""
    if not user.is_authenticated:
        return None
    return Liaison.objects.filter(user_id=user.pk).first()


def may_sign_in_by_link(user: User) -> bool:
    """Whether an e-mailed link may sign into this account (`roles.may_sign_in_by_email_link`, told what the
    program's record says)."""
    record = Liaison.objects.filter(user_id=user.pk).values_list("status", flat=True).first()
    return roles.may_sign_in_by_email_link(
        user, in_programme=record in SIGNING_IN_STATUSES, withdrawn=record == Liaison.Status.WITHDRAWN
    )


def liaison_account_for_email(email: str) -> User | None:
    """The liaison's account a sign-in link for `email` opens, or None (the link is then a resident's)."""
    email = email.strip()
    if not email:
        return None
    for user in User.objects.filter(email__iexact=email, is_active=True).order_by("pk"):
        if may_sign_in_by_link(user):
            return user
    return None


# --- the dashboard ---------------------------------------------------------------------------------------


def _row(service_request: ServiceRequest, now: dt.datetime) -> RequestRow:
    is_open = service_request.status not in FINAL_STATES
    return RequestRow(
        tracking_number=service_request.tracking_number,
        service_name=service_request.service.localized("name"),
        status=service_request.status,
        status_label=str(service_request.get_status_display()),
        address=service_request.address,
        requested_at=service_request.requested_at,
        expected_at=service_request.expected_at,
        closed_at=service_request.closed_at,
        is_open=is_open,
        is_overdue=is_open and service_request.expected_at is not None and service_request.expected_at < now,
    )


_PUBLIC_FIELDS = (
    "tracking_number",
    "status",
    "address",
    "requested_at",
    "expected_at",
    "closed_at",
    "service__name",
    "service__translations",
)


def _public(requests: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    """Only the fields a liaison's pages show, so a requester is never loaded."""
    return requests.select_related("service").only(*_PUBLIC_FIELDS)


def _in_neighborhood(neighborhood: Neighborhood) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(
        jurisdiction_id=neighborhood.jurisdiction_id, neighborhood=neighborhood, is_private=False
    )


def _open(requests: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    return requests.filter(status__in=list(OPEN_STATES))


def _overdue(requests: QuerySet[ServiceRequest], now: dt.datetime) -> QuerySet[ServiceRequest]:
    return _open(requests).filter(expected_at__lt=now)


def _closed_between(
    requests: QuerySet[ServiceRequest], start: dt.datetime, end: dt.datetime
) -> QuerySet[ServiceRequest]:
    return requests.filter(status__in=list(FINAL_STATES), closed_at__gte=start, closed_at__lt=end)


def followed_neighborhoods(user: User) -> list[Neighborhood]:
    """The neighborhoods the liaison serves now, by name."""
    ids = roles.liaison_neighborhoods(user)
    return list(Neighborhood.objects.filter(pk__in=ids).order_by("name")) if ids else []


def neighborhood_work(user: User, *, now: dt.datetime | None = None) -> list[NeighborhoodWork]:
    """For each neighborhood the liaison serves: its open requests (newest first), the overdue ones (longest
    overdue first) and those closed in the last RECENTLY_CLOSED_DAYS days (latest first), with counts."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=RECENTLY_CLOSED_DAYS)
    work = []
    for neighborhood in followed_neighborhoods(user):
        if not roles.may_follow_neighborhood(user, neighborhood.pk):
            continue
        requests = _in_neighborhood(neighborhood)
        open_requests = _open(requests)
        overdue = _overdue(requests, now)
        closed = _closed_between(requests, since, now + dt.timedelta(seconds=1))
        work.append(
            NeighborhoodWork(
                neighborhood=neighborhood,
                open_count=open_requests.count(),
                overdue_count=overdue.count(),
                closed_recently_count=closed.count(),
                open_requests=[
                    _row(r, now) for r in _public(open_requests).order_by("-requested_at", "-pk")[:ROWS_PER_LIST]
                ],
                overdue_requests=[_row(r, now) for r in _public(overdue).order_by("expected_at", "pk")[:ROWS_PER_LIST]],
                closed_recently=[_row(r, now) for r in _public(closed).order_by("-closed_at", "-pk")[:ROWS_PER_LIST]],
            )
        )
    return work


def filings_of(
    user: User, *, limit: int | None = FILINGS_ON_DASHBOARD, now: dt.datetime | None = None
) -> list[FilingRow]:
    """What this liaison filed, newest first (`limit` None: all of it)."""
    now = now or timezone.now()
    filings = (
        LiaisonFiling.objects.filter(liaison__user_id=user.pk)
        .select_related("service_request__service", "meeting")
        .only(
            "filed_at",
            "meeting__name",
            *(f"service_request__{field}" for field in _PUBLIC_FIELDS),
        )
        .order_by("-filed_at", "-pk")
    )
    if limit is not None:
        filings = filings[:limit]
    return [
        FilingRow(
            request=_row(filing.service_request, now),
            filed_at=filing.filed_at,
            meeting_name=filing.meeting.name if filing.meeting is not None else "",
        )
        for filing in filings
    ]
