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
from civic311.notifications.models import Subscription
from civic311.people.models import Customer, User
from civic311.people.selectors import survivor_of
from civic311.service_requests.lifecycle import OPEN_STATES
from civic311.service_requests.models import Contact, HistoryEntry, ServiceRequest

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


# --- contacts, customers and subscriptions (issue 18) -------------------------------------------------


def object_id(value: str) -> int | None:
    """An id from a URL, or None when it cannot name a row (not digits, or past what a column holds)."""
    text = value or ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 and int(text) > 0 else None


def contacts(
    jurisdiction: Jurisdiction,
    *,
    channels: Collection[str] = (),
    outcomes: Collection[str] = (),
    agent_username: str = "",
    started_after: dt.datetime | None = None,
    started_before: dt.datetime | None = None,
    tracking_number: str = "",
    only_agent: User | None = None,
) -> QuerySet[Contact]:
    """A jurisdiction's contacts, filtered, newest first; `only_agent`: that agent's own only."""
    queryset = Contact.objects.filter(jurisdiction=jurisdiction)
    if channels:
        queryset = queryset.filter(channel__in=list(channels))
    if outcomes:
        queryset = queryset.filter(outcome__in=list(outcomes))
    if agent_username:
        queryset = queryset.filter(agent__username=agent_username) if _usable_key(agent_username) else queryset.none()
    if started_after is not None:
        queryset = queryset.filter(started_at__gte=started_after)
    if started_before is not None:
        queryset = queryset.filter(started_at__lt=started_before)
    if tracking_number:
        number = "".join(tracking_number.split()).lstrip("#")
        usable = _usable_key(number)
        queryset = queryset.filter(service_request__tracking_number=number) if usable else queryset.none()
    if only_agent is not None:
        queryset = queryset.filter(agent=only_agent)
    return queryset.select_related("service", "service_request", "agent", "desk").order_by("-started_at", "-pk")


def contact(jurisdiction: Jurisdiction, pk: int, *, only_agent: User | None = None) -> Contact | None:
    return contacts(jurisdiction, only_agent=only_agent).filter(pk=pk).first()


def customer(jurisdiction: Jurisdiction, pk: int) -> Customer | None:
    """A customer of this jurisdiction; a merged record resolves to the one it was merged into."""
    found = Customer.objects.filter(jurisdiction=jurisdiction, pk=pk).select_related("merged_into").first()
    if found is None:
        return None
    survivor = survivor_of(found)
    return survivor if survivor.jurisdiction_id == jurisdiction.pk else None


def subscriptions(service_request: ServiceRequest) -> QuerySet[Subscription]:
    """Who follows a request by e-mail (pending, active and unsubscribed), oldest first."""
    return Subscription.objects.filter(service_request=service_request).order_by("created_at", "pk")


def subscription(service_request: ServiceRequest, pk: int) -> Subscription | None:
    return subscriptions(service_request).filter(pk=pk).first()
