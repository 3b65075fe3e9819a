"""Reads for the staff API, always within one jurisdiction.

Staff see the whole catalogue (inactive and information-only services too) and every request of
their jurisdiction, private ones included; nothing of another jurisdiction is ever returned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from civic311.catalogue.models import Department, Service, ServiceAttribute
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import User
from civic311.service_requests.lifecycle import OPEN_STATES
from civic311.service_requests.models import HistoryEntry, ServiceRequest

KEY_MAX = 100


def _usable_key(value: str) -> bool:
    # PostgreSQL can neither store nor look up text with a NUL character.
    return bool(value) and len(value) <= KEY_MAX and "\x00" not in value


def departments(jurisdiction: Jurisdiction) -> QuerySet[Department]:
    return Department.objects.filter(jurisdiction=jurisdiction).order_by("name", "pk")


def department(jurisdiction: Jurisdiction, slug: str) -> Department | None:
    if not _usable_key(slug):
        return None
    return departments(jurisdiction).filter(slug=slug).first()


def services(jurisdiction: Jurisdiction) -> QuerySet[Service]:
    """The whole catalogue with its questions and their choices, in a fixed number of queries."""
    return (
        Service.objects.filter(jurisdiction=jurisdiction)
        .select_related("group", "department")
        .prefetch_related(Prefetch("attributes", queryset=ServiceAttribute.objects.prefetch_related("values")))
        .order_by("group__order", "group__name", "order", "name", "pk")
    )


def service(jurisdiction: Jurisdiction, code: str) -> Service | None:
    if not _usable_key(code):
        return None
    return services(jurisdiction).filter(code=code).first()


def _with_related(queryset: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    return queryset.select_related(
        "service",
        "department",
        "neighborhood",
        "assignee",
        "duplicate_of",
        "parent",
        "requester",
    ).prefetch_related("photos")


def service_requests(
    jurisdiction: Jurisdiction,
    *,
    statuses: Collection[str] = (),
    department_slug: str = "",
    service_code: str = "",
    updated_after: dt.datetime | None = None,
    overdue: bool | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[ServiceRequest]:
    """A jurisdiction's requests, filtered; the newest first."""
    queryset = ServiceRequest.objects.filter(jurisdiction=jurisdiction)
    if statuses:
        queryset = queryset.filter(status__in=list(statuses))
    if department_slug:
        queryset = queryset.filter(department__slug=department_slug)
    if service_code:
        queryset = queryset.filter(service__code=service_code)
    if updated_after is not None:
        queryset = queryset.filter(updated_at__gt=updated_after)
    if overdue is not None:
        late = Q(status__in=[status.value for status in OPEN_STATES], expected_at__lt=now or timezone.now())
        queryset = queryset.filter(late) if overdue else queryset.exclude(late)
    return _with_related(queryset).order_by("-requested_at", "-pk")


def service_request(jurisdiction: Jurisdiction, tracking_number: str) -> ServiceRequest | None:
    """The request a tracking number names in this jurisdiction ("#10000001" works too)."""
    number = "".join((tracking_number or "").split()).lstrip("#")
    if not _usable_key(number):
        return None
    return _with_related(ServiceRequest.objects.filter(jurisdiction=jurisdiction, tracking_number=number)).first()


def history(service_request: ServiceRequest) -> QuerySet[HistoryEntry]:
    """Everything that happened to a request, public and internal, oldest first."""
    return service_request.history.select_related("actor").order_by("created_at", "pk")


def staff_member(username: str) -> User | None:
    """A user by username; whether they may be assigned is the lifecycle service's rule."""
    if not _usable_key(username):
        return None
    return User.objects.filter(username=username).first()
