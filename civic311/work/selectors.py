"""Reads for department work: the queue, its counts and live changes, and what the request page shows.

Every query of requests starts from `roles.visible_requests`, so a queue never lists what its reader may
not open. See docs/department-work.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, DateTimeField, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.http import urlencode

from civic311.catalogue.models import Department, Service
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people import roles
from civic311.people.models import User
from civic311.service_requests.lifecycle import FINAL_STATES, OPEN_STATES, Status
from civic311.service_requests.models import Escalation, HistoryEntry, Photo, ServiceRequest

from .models import ResponseTemplate, SavedView

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

PAGE_SIZE = 50
AUDIT_WHERE = "department work"
# Undated requests sort after every dated one.
_FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)

SLA_FILTERS = ("overdue", "due_soon", "escalated", "overdue_or_escalated")
# The query-string keys of a queue view; a saved view keeps exactly these (never the page position).
FILTER_KEYS = ("department", "status", "service", "assignee", "sla", "priority", "neighborhood", "q", "sort")


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows; the defaults are a department's open work, most at risk first."""

    department: int | None = None
    status: str = "open"  # "open", "finished", "all" or one Status value
    service: int | None = None
    assignee: str = ""  # "", "me", "unassigned" or a user id
    sla: str = ""  # "", or one of SLA_FILTERS
    priority: bool = False
    neighborhood: int | None = None
    q: str = ""
    sort: str = "risk"
    after: str = ""  # the keyset cursor of the next page

    def params(self, *, with_cursor: bool = False) -> dict[str, str]:
        """The non-default filters as query-string parameters."""
        default = QueueFilters()
        out: dict[str, str] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name == "after" and not with_cursor:
                continue
            if value == getattr(default, spec.name):
                continue
            out[spec.name] = "1" if value is True else str(value)
        return out

    def query_string(self, *, with_cursor: bool = False) -> str:
        return urlencode(self.params(with_cursor=with_cursor))


def clean_query(query: str | Mapping[str, Any]) -> str:
    """A queue query string reduced to the filter keys, empty values and the page position dropped."""
    from django.http import QueryDict

    data = QueryDict(query) if isinstance(query, str) else query
    kept = [(key, str(data.get(key, "")).strip()[:200]) for key in FILTER_KEYS]
    return urlencode([(key, value) for key, value in kept if value])


# --- who works which queues ----------------------------------------------------------------------------


def works_every_department(user: User | AnonymousUser | None) -> bool:
    """Supervisors and admins work every department's queue of their city."""
    return roles.may_work_every_department(user)


def work_departments(user: User | AnonymousUser | None, jurisdiction: Jurisdiction | None) -> QuerySet[Department]:
    """The departments whose queues `user` may open (in `jurisdiction`, when given)."""
    departments = Department.objects.all()
    if jurisdiction is not None:
        departments = departments.filter(jurisdiction=jurisdiction)
    if works_every_department(user):
        home = getattr(user, "department", None)
        if home is not None and not roles.may_work_every_city(user):
            departments = departments.filter(jurisdiction_id=home.jurisdiction_id)
        return departments.order_by("name")
    return departments.filter(pk__in=roles.departments_of(user)).order_by("name")


# --- the queue ---------------------------------------------------------------------------------------------


def due_soon_until(jurisdiction: Jurisdiction, now: dt.datetime) -> dt.datetime:
    """'Due soon' ends at the close of business of the next business day (Friday afternoon: Monday's)."""
    calendar = places.business_calendar(jurisdiction)
    today = now.astimezone(calendar.zone).date()
    return calendar.close_of(calendar.next_business_day(today))


def risk_of(service_request: ServiceRequest, now: dt.datetime, soon: dt.datetime | None) -> str:
    """The SLA badge of a row: "overdue", "due_soon", "on_time", "undated", or "" once finished."""
    if not service_request.is_open:
        return ""
    if service_request.expected_at is None:
        return "undated"
    if service_request.expected_at < now:
        return "overdue"
    if soon is not None and service_request.expected_at <= soon:
        return "due_soon"
    return "on_time"


def _open_values() -> list[str]:
    return [status.value for status in OPEN_STATES]


def _escalated_now() -> Exists:
    # As the admin's overdue list: the ladder has climbed for the request's current due date.
    return Exists(Escalation.objects.filter(service_request=OuterRef("pk"), due_at=OuterRef("expected_at")))


def department_scope(user: User, jurisdiction: Jurisdiction | None, department: int | None) -> QuerySet[ServiceRequest]:
    """The visible requests of the chosen department, or of every department the user works."""
    requests = roles.visible_requests(user, ServiceRequest.objects.all())
    if jurisdiction is not None:
        requests = requests.filter(jurisdiction=jurisdiction)
    # A list, not a subquery: with plain ids the planner answers the queue's MAX(updated_at) from the
    # (jurisdiction, updated_at) index instead of reading the department's millions of rows.
    allowed = list(work_departments(user, jurisdiction).values_list("pk", flat=True))
    requests = requests.filter(department_id__in=allowed)
    if department is not None:
        requests = requests.filter(department_id=department)
    return requests


def queue(
    user: User, filters: QueueFilters, *, jurisdiction: Jurisdiction | None, now: dt.datetime | None = None
) -> QuerySet[ServiceRequest]:
    """The requests the queue lists, filtered and in the chosen order (not yet cut into a page)."""
    now = now or timezone.now()
    requests = department_scope(user, jurisdiction, filters.department)
    if filters.status == "open":
        requests = requests.filter(status__in=_open_values())
    elif filters.status == "finished":
        requests = requests.filter(status__in=[status.value for status in FINAL_STATES])
    elif filters.status in Status.values:
        requests = requests.filter(status=filters.status)
    if filters.service is not None:
        requests = requests.filter(service_id=filters.service)
    if filters.assignee == "me":
        requests = requests.filter(assignee_id=user.pk)
    elif filters.assignee == "unassigned":
        requests = requests.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        requests = requests.filter(assignee_id=int(filters.assignee))
    overdue = Q(status__in=_open_values(), expected_at__lt=now)
    if filters.sla == "overdue":
        requests = requests.filter(overdue)
    elif filters.sla == "due_soon" and jurisdiction is not None:
        requests = requests.filter(
            status__in=_open_values(), expected_at__gte=now, expected_at__lte=due_soon_until(jurisdiction, now)
        )
    elif filters.sla == "escalated":
        requests = requests.filter(_escalated_now())
    elif filters.sla == "overdue_or_escalated":
        requests = requests.filter(overdue | Q(_escalated_now()))
    if filters.priority:
        requests = requests.filter(is_priority=True)
    if filters.neighborhood is not None:
        requests = requests.filter(neighborhood_id=filters.neighborhood)
    text = filters.q.strip()
    if text:
        number = "".join(text.split()).lstrip("#")
        requests = requests.filter(
            Q(tracking_number=number) | Q(description__icontains=text) | Q(address__icontains=text)
        )
    requests = requests.annotate(
        risk_priority=Case(When(is_priority=True, then=Value(0)), default=Value(1), output_field=IntegerField()),
        risk_overdue=Case(When(overdue, then=Value(0)), default=Value(1), output_field=IntegerField()),
        risk_due=Coalesce("expected_at", Value(_FAR_FUTURE, output_field=DateTimeField())),
    )
    order = [("-" if descending else "") + name for name, descending in _sort_keys(filters.sort)]
    return requests.select_related("service", "department", "assignee", "neighborhood").order_by(*order)


def _sort_keys(sort: str) -> list[tuple[str, bool]]:
    """(field, descending) for each sort; the primary key last makes every order total (for the keyset)."""
    if sort == "newest":
        return [("requested_at", True), ("pk", True)]
    if sort == "oldest":
        return [("requested_at", False), ("pk", False)]
    if sort == "updated":
        return [("updated_at", True), ("pk", True)]
    # SLA risk: priority first, then overdue, then the nearest due date, undated last.
    return [("risk_priority", False), ("risk_overdue", False), ("risk_due", False), ("pk", False)]


@dataclass(frozen=True)
class QueuePage:
    requests: list[ServiceRequest]
    next_cursor: str  # "" on the last page


def page(requests: QuerySet[ServiceRequest], filters: QueueFilters, *, size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue after `filters.after` (keyset pagination: no OFFSET, stable under inserts)."""
    keys = _sort_keys(filters.sort)
    after = _decode_cursor(filters.after, keys)
    if after is not None:
        requests = requests.filter(_after(keys, after))
    # Sort narrow, then read wide: the first query sorts only the order keys and ids of the matching
    # requests (tens of thousands in a big department; sorting whole rows spilled to disk), the second
    # reads the page's rows with their related objects, in the same order.
    ids = list(requests.values_list("pk", flat=True)[: size + 1])
    rows = list(requests.filter(pk__in=ids)) if ids else []
    if len(rows) <= size:
        return QueuePage(rows, "")
    rows = rows[:size]
    return QueuePage(rows, _encode_cursor([getattr(rows[-1], name) for name, _descending in keys]))


def _after(keys: list[tuple[str, bool]], values: list[Any]) -> Q:
    condition = Q(pk__in=[])
    for index, (name, descending) in enumerate(keys):
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[index]})
        for earlier, (earlier_name, _descending) in enumerate(keys[:index]):
            step &= Q(**{earlier_name: values[earlier]})
        condition |= step
    return condition


def _encode_cursor(values: list[Any]) -> str:
    plain = [value.isoformat() if isinstance(value, dt.datetime) else value for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, keys: list[tuple[str, bool]]) -> list[Any] | None:
    """The values a cursor carries, or None for a missing or unreadable one (the first page)."""
    if not cursor or len(cursor) > 400:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(keys):
            return None
        decoded: list[Any] = []
        for (name, _descending), value in zip(keys, values, strict=True):
            if name in ("requested_at", "updated_at", "risk_due"):
                moment = dt.datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    return None
                decoded.append(moment)
            elif isinstance(value, int) and not isinstance(value, bool):
                decoded.append(value)
            else:
                return None
        return decoded
    except (ValueError, TypeError):
        return None


def queue_counts(
    user: User, *, jurisdiction: Jurisdiction | None, department: int | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """Open work by bucket (open, unassigned, overdue, due soon, mine), in one aggregate query."""
    now = now or timezone.now()
    soon = due_soon_until(jurisdiction, now) if jurisdiction is not None else now
    counts = (
        department_scope(user, jurisdiction, department)
        .filter(status__in=_open_values())
        .aggregate(
            open=Count("pk"),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            overdue=Count("pk", filter=Q(expected_at__lt=now)),
            due_soon=Count("pk", filter=Q(expected_at__gte=now, expected_at__lte=soon)),
            mine=Count("pk", filter=Q(assignee_id=user.pk)),
        )
    )
    return {name: int(value or 0) for name, value in counts.items()}


# --- live updates --------------------------------------------------------------------------------------


def queue_version(user: User, filters: QueueFilters, *, jurisdiction: Jurisdiction | None) -> str:
    """A token for the state of the queue's departments: the latest change of any request in them.

    The department scope, not the filtered list: a request that leaves the list (closed, reassigned)
    must also refresh it.
    """
    latest = department_scope(user, jurisdiction, filters.department).aggregate(latest=Max("updated_at"))["latest"]
    return latest.isoformat() if latest is not None else ""


def changes_since(
    user: User, filters: QueueFilters, since: str, *, jurisdiction: Jurisdiction | None
) -> QuerySet[ServiceRequest]:
    """The requests of the queue's departments changed after the version `since` (all, when unreadable)."""
    requests = department_scope(user, jurisdiction, filters.department)
    try:
        moment = dt.datetime.fromisoformat(since) if since else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        return requests
    return requests.filter(updated_at__gt=moment)


def request_version(service_request: ServiceRequest) -> str:
    """The state of one request for its page: its last change and its last history entry."""
    last_entry = service_request.history.aggregate(last=Max("pk"))["last"] or 0
    return f"{service_request.updated_at.isoformat()}~{last_entry}"


# --- the request page ----------------------------------------------------------------------------------


def request_for_work(user: User, jurisdiction: Jurisdiction | None, tracking_number: str) -> ServiceRequest | None:
    """The request a member of staff may open on the work pages; None when there is none for them.

    Another department's request is None as if it did not exist (the page answers 404).
    """
    number = "".join((tracking_number or "").split()).lstrip("#")
    if not number or len(number) > 32 or "\x00" in number:
        return None
    requests = roles.visible_requests(user, ServiceRequest.objects.filter(tracking_number=number))
    if jurisdiction is not None:
        requests = requests.filter(jurisdiction=jurisdiction)
    requests = requests.filter(department_id__in=work_departments(user, jurisdiction).values("pk"))
    return requests.select_related(
        "service", "department", "assignee", "neighborhood", "jurisdiction", "duplicate_of", "parent"
    ).first()


def history(service_request: ServiceRequest) -> QuerySet[HistoryEntry]:
    return service_request.history.select_related("actor").order_by("created_at", "pk")


def photos(service_request: ServiceRequest) -> QuerySet[Photo]:
    return service_request.photos.order_by("created_at", "pk")


def children(service_request: ServiceRequest) -> QuerySet[ServiceRequest]:
    return service_request.children.select_related("service", "department").order_by("pk")


def assignable_staff(service_request: ServiceRequest) -> QuerySet[User]:
    """The people a request may be given to: active staff of its department."""
    return assignable_staff_of([service_request.department_id] if service_request.department_id else [])


def assignable_staff_of(departments: Iterable[int]) -> QuerySet[User]:
    """The people the queue's bulk assignment offers: active staff of the given departments."""
    return (
        roles.assignable_department_staff(User.objects.all(), departments)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def follow_on_services(service_request: ServiceRequest) -> QuerySet[Service]:
    """Services of the request's city that another department handles (a follow-on is for them)."""
    return (
        Service.objects.filter(
            jurisdiction_id=service_request.jurisdiction_id, is_active=True, kind=Service.Kind.REQUEST
        )
        .exclude(department_id=service_request.department_id)
        .select_related("department")
        .order_by("department__name", "name")
    )


def response_templates_for(service_request: ServiceRequest) -> QuerySet[ResponseTemplate]:
    """Active templates of the request's city: its department's and the ones for every department."""
    return (
        ResponseTemplate.objects.filter(jurisdiction_id=service_request.jurisdiction_id, is_active=True)
        .filter(Q(department__isnull=True) | Q(department_id=service_request.department_id))
        .order_by("title", "pk")
    )


def response_templates_for_departments(
    jurisdiction: Jurisdiction | None, departments: Iterable[int]
) -> QuerySet[ResponseTemplate]:
    """Public templates the queue's bulk note offers: city-wide ones and the given departments'."""
    templates = ResponseTemplate.objects.filter(is_active=True, is_public=True)
    if jurisdiction is not None:
        templates = templates.filter(jurisdiction=jurisdiction)
    return templates.filter(Q(department__isnull=True) | Q(department_id__in=list(departments))).order_by("title", "pk")


def neighborhoods(jurisdiction: Jurisdiction | None) -> QuerySet[Neighborhood]:
    if jurisdiction is None:
        return Neighborhood.objects.none()
    return places.neighborhoods(jurisdiction)


def services_of(departments: Iterable[int]) -> QuerySet[Service]:
    return Service.objects.filter(department_id__in=list(departments)).order_by("name")


# --- saved views -------------------------------------------------------------------------------------


def saved_views_for(user: User, jurisdiction: Jurisdiction | None) -> QuerySet[SavedView]:
    """The user's own views and those shared with a department whose queue they work."""
    shared = work_departments(user, jurisdiction).values("pk")
    return (
        SavedView.objects.filter(Q(owner_id=user.pk) | Q(department_id__in=shared))
        .select_related("owner", "department")
        .order_by("name", "pk")
    )
