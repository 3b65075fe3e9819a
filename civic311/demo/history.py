"""A year of Philly311 history for the demo city, shaped like the real thing and inserted in bulk.

What it makes, for N service requests over the last D days:
- requests arriving on weekdays more than weekends, 08:00-17:00 carrying about 80 % and the peak hour
  about 12 %, with a mild seasonal swing per service (salting in winter, dumping and trees in summer) and
  a couple of snow storms;
- each request as `submit()` would have filed it: a point inside a neighborhood with its H3 cell, an
  address on a real street, answers valid against the service's own questions, the department its
  routing rules pick, hazard alerts, the SLA due date from the city's business calendar;
- a life after intake: time to close drawn per service from a log-normal around its SLA so that roughly
  80 % close on time, then the path through the lifecycle (acknowledged, assigned, in progress, on hold,
  closed with the City's reasons, duplicate, referred, cancelled, sometimes reopened), cut off at "now" —
  so recent requests are still open and a few are past due;
- a `HistoryEntry` for every step, and a `Contact` for every request plus 1.5 information contacts per
  request (Philadelphia: about 60 % of all contacts need only an answer).

Everything is generated batch by batch and written with `bulk_create`, so millions of requests never sit
in memory; tracking numbers come from `allocate_tracking_numbers`, one call per batch.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import multiprocessing
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import NamedTuple

import shapely
from asgiref.local import Local
from django.db import connection, connections, transaction
from django.db.models import Prefetch
from django.utils import timezone

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import RoutingRule, Service, ServiceAttribute
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.calendar import BusinessCalendar
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.people.models import Requester, RoleAssignment, StaffRole, User
from civic311.service_requests.lifecycle import FINAL_STATES, Status, can_move
from civic311.service_requests.models import Channel, Contact, HistoryEntry, ServiceRequest
from civic311.service_requests.services import RESIDENT, SYSTEM, allocate_tracking_numbers

from . import scale, texts
from .bulk import bulk_load, insert_rows, relaxed_for_bulk_load, reserve_ids
from .catalogue_extra import CONTACT_CENTER, DIRECTORY_ASSISTANCE_CODE
from .places import NEIGHBORHOODS_BY_SLUG, Place

# Share of all contacts by channel (Philly311: phone first, then web and the app).
CHANNEL_MIX = {
    Channel.PHONE: 45,
    Channel.WEB: 20,
    Channel.MOBILE: 20,
    Channel.EMAIL: 5,
    Channel.WALK_IN: 3,
    Channel.SOCIAL: 5,
    Channel.LIAISON: 2,
}
# Channels where an agent takes the contact and files on the resident's behalf.
AGENT_CHANNELS = frozenset({Channel.PHONE, Channel.WALK_IN, Channel.EMAIL, Channel.SOCIAL})
INFORMATION_CONTACTS_PER_REQUEST = 1.5
DIRECTORY_SHARE = 0.036  # Directory Assistance against Information Request in the City's counts

# Share of requests by local hour: 08:00-17:00 carries 80 %, the 10 o'clock peak 12 %.
HOUR_WEIGHTS = (
    0.6,
    0.4,
    0.3,
    0.3,
    0.3,
    0.6,
    1.2,
    2.8,  # night and early morning: 6.5
    7.0,
    11.0,
    12.0,
    11.0,
    9.0,
    9.5,
    8.5,
    7.0,
    5.0,  # 08:00-17:00: 80
    3.6,
    2.8,
    2.2,
    1.8,
    1.5,
    1.0,
    0.6,  # evening: 13.5
)
WEEKDAY_WEIGHTS = (1.15, 1.10, 1.05, 1.00, 0.90, 0.45, 0.35)  # Monday first
HOLIDAY_WEIGHT = 0.40
STORM_DAY, DAY_AFTER_STORM = 15.0, 6.0  # salting multipliers: a storm makes 4 to 6 times a normal day

SALTING, STREET_DEFECT, SMOKE_DETECTOR = "SR-ST18", "SR-ST01", "SR-FD02"
SUMMER_SERVICES = frozenset({"SR-ST02", "SR-PR08", "SR-CL02", "SR-CL01", "SR-LI21", "SR-LI06"})
# Services with no published volume still get a trickle, so every service has some history.
MINIMUM_VOLUME = 1_000

# How answers are spread where an even spread would look wrong (few signals are dark, few buildings
# occupied); every other choice is even.
ANSWER_WEIGHTS: dict[tuple[str, str], dict[str, float]] = {
    ("SR-ST25", "signal_state"): {"dark": 3, "flashing": 4, "stuck": 2, "damaged": 1},
    ("SR-LI03", "occupied"): {"yes": 2, "no": 5, "unknown": 3},
    ("SR-PR08", "blocking"): {"street": 1, "sidewalk": 3, "nothing": 6},
    ("SR-PR08", "request_type"): {"fallen": 2, "hanging_limb": 3, "dead": 3, "pruning": 5, "stump": 2, "planting": 1},
    ("SR-ST01", "defect_type"): {"pothole": 7, "cave_in": 1, "utility_cover": 1, "trench": 1},
    ("SR-CL01", "offensive"): {"yes": 1, "no": 9},
    ("SR-ST02", "seen_dumping"): {"yes": 1, "no": 4},
    ("SR-ST04", "problem"): {"out": 7, "flickering": 2, "day_burner": 1, "knocked_down": 0.5},
}
OPTIONAL_ANSWERED = 0.6

# Fates. Many people report the same dark signal, icy hill or dumped pile.
DUPLICATE_SHARE = 0.05
OFTEN_DUPLICATED = frozenset({"SR-ST25", "SR-ST04", "SR-ST02", "SR-ST18"})
CANCELLED_SHARE = 0.02
REOPENED_SHARE = 0.035  # of requests that close: about 3 % of all
FIXED_ON_SIGHT = 0.10  # closed straight from "new"
NOT_FOUND_SHARE, NOT_NEEDED_SHARE = 0.10, 0.05
PRIVATE_SHARE = 0.01
WITH_REQUESTER = 0.45
GAS_CALLS_PER_DEFECT = 0.02  # "I smell gas" reports that the safety rule answers instead
RECENT_ORIGINALS = 25  # how far back a duplicate looks for its original, per service

MINUTE, HOUR, DAY = 60, 3600, 86400

# Column order of the plain rows written for history entries and contacts.
REQUEST_FIELDS = (
    "id",
    "jurisdiction",
    "tracking_number",
    "service",
    "department",
    "channel",
    "status",
    "description",
    "address",
    "zipcode",
    "lat",
    "long",
    "neighborhood",
    "h3_cell",
    "attributes",
    "requester",
    "assignee",
    "is_private",
    "hazard",
    "duplicate_of",
    "requested_at",
    "updated_at",
    "expected_at",
    "closed_at",
    "status_notes",
)
REQUESTER_FIELDS = ("id", "first_name", "last_name", "email", "phone", "created_at")
HISTORY_FIELDS = (
    "service_request",
    "kind",
    "is_public",
    "actor",
    "actor_label",
    "from_status",
    "to_status",
    "text",
    "created_at",
)
CONTACT_FIELDS = (
    "jurisdiction",
    "channel",
    "outcome",
    "service",
    "service_request",
    "requester",
    "agent",
    "summary",
    "started_at",
    "ended_at",
)


class DemoHistoryExists(Exception):
    """The jurisdiction already has service requests; the generator never adds a second history."""


@dataclass
class HistoryStats:
    requests: int = 0
    contacts: int = 0
    history_entries: int = 0
    requesters: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.requests + self.contacts + self.history_entries + self.requesters

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def add(self, other: HistoryStats) -> None:
        self.requests += other.requests
        self.contacts += other.contacts
        self.history_entries += other.history_entries
        self.requesters += other.requesters


def generate_history(
    jurisdiction: Jurisdiction,
    requests: int = 15_000,
    days: int = 365,
    seed: int = 311,
    *,
    now: dt.datetime | None = None,
    batch_size: int = 5_000,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> HistoryStats:
    """Make `requests` service requests (and their contacts and history) over the `days` before `now`.

    Needs the catalogue, neighborhoods and staff loaded first. Refuses a jurisdiction that already has
    requests, so running it twice can never double the history.

    On PostgreSQL, `workers` processes share the batches (each writes every n-th batch), a history of
    BULK_LOAD_FROM requests or more is loaded the way PostgreSQL loads fastest (the tables' secondary
    indexes are dropped first and built once at the end, always, even if the load fails; then analysed),
    and beyond `scale.GENERATED_AT_MOST` requests a generated year is copied in SQL (`civic311.demo.scale`).
    """
    if ServiceRequest.objects.filter(jurisdiction=jurisdiction).exists():
        raise DemoHistoryExists(f"{jurisdiction.name} already has service requests.")
    started = time.monotonic()
    now = (now or timezone.now()).replace(microsecond=0)
    on_postgresql = connection.vendor == "postgresql"
    workers = max(1, workers) if on_postgresql else 1
    generated, copies = scale.copies_needed(requests) if on_postgresql else (requests, 1)
    plan = _Share(jurisdiction.pk, generated, days, seed, now, batch_size, started, progress)
    with bulk_load(BULK_TABLES, enabled=on_postgresql and requests >= BULK_LOAD_FROM, progress=progress):
        if workers == 1:
            stats = plan.write(0, 1)
        else:
            # Each child opens its own connection: none may be inherited across fork(). The children find
            # the plan in a module global they inherit (the progress callback cannot be pickled).
            global _forked_share  # noqa: PLW0603 - fork() hands children module globals, not arguments
            connections.close_all()
            _forked_share = plan
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    parts = pool.starmap(_write_forked_share, [(share, workers) for share in range(workers)])
            finally:
                _forked_share = None
            stats = HistoryStats()
            for part in parts:
                stats.add(part)
        if copies > 1:
            made_requests, made_history, made_contacts = scale.copy_history(
                jurisdiction, target=requests, progress=progress
            )
            stats.requests += made_requests
            stats.history_entries += made_history
            stats.contacts += made_contacts
    stats.seconds = time.monotonic() - started
    return stats


def _write_forked_share(share: int, shares: int) -> HistoryStats:
    assert _forked_share is not None
    # A forked child must never use a connection object it inherited (its socket, if the parent still had
    # one open, is the parent's): start from fresh ones, and keep the inherited ones referenced so they are
    # never finalized here, which would end the parent's session.
    _inherited_connections.append(connections._connections)  # type: ignore[attr-defined]
    connections._connections = Local(connections.thread_critical)  # type: ignore[attr-defined]
    return _forked_share.write(share, shares)


_inherited_connections: list = []


# From this many requests on PostgreSQL, indexes are built after the load instead of during it.
BULK_LOAD_FROM = 300_000
BULK_TABLES = (ServiceRequest, HistoryEntry, Contact, Requester)
_forked_share: _Share | None = None


@dataclass
class _Share:
    """What every worker needs to write its share of the batches (picklable, for the worker processes)."""

    jurisdiction_id: int
    requests: int
    days: int
    seed: int
    now: dt.datetime
    batch_size: int
    started: float
    progress: Callable[[str], None] | None

    def write(self, share: int, shares: int) -> HistoryStats:
        """Write batches share, share + shares, … of the whole arrival schedule."""
        if shares == 1:
            return self._write(share, shares)
        with relaxed_for_bulk_load():  # a worker process's own connection
            stats = self._write(share, shares)
        connections.close_all()
        return stats

    def _write(self, share: int, shares: int) -> HistoryStats:
        jurisdiction = Jurisdiction.objects.get(pk=self.jurisdiction_id)
        # Every worker sees the same city and the same arrivals (same seeds); each plans its own batches.
        city = _City.load(jurisdiction, random.Random(self.seed))
        writer = _Generator(city, random.Random(self.seed * 1_000 + share), self.now)
        stats = HistoryStats()
        label = f"worker {share + 1}/{shares}: " if shares > 1 else ""
        batches = _arrivals(city, random.Random(self.seed + 1), self.requests, self.days, self.now, self.batch_size)
        for index, (arrivals, information_times) in enumerate(batches):
            if index % shares != share:
                continue
            # Numbers are taken outside the batch's transaction, so workers never wait on each other's batch.
            numbers = allocate_tracking_numbers(jurisdiction, len(arrivals))
            with transaction.atomic():
                writer.write_batch(arrivals, information_times, stats, numbers)
            stats.seconds = time.monotonic() - self.started
            if self.progress:
                self.progress(
                    f"{label}{stats.requests:,} of about {self.requests // shares:,} requests, "
                    f"{stats.rows:,} rows, {stats.rows_per_second:,.0f} rows/s"
                )
        return stats


# --- what the generator knows about the city ------------------------------------------------------


@dataclass
class _ServiceModel:
    """One request service and how its requests behave."""

    service: Service
    volume: float
    season: list[float]  # by day of year, mean 1
    canned_values: frozenset[tuple[str, str]]  # answers that stop a report instead of filing it
    canned_message: str
    on_time_mu: float
    on_time_sigma: float
    duplicate_share: float
    referral: tuple[str, float]
    originals: deque = field(default_factory=lambda: deque(maxlen=RECENT_ORIGINALS))

    @property
    def code(self) -> str:
        return self.service.code


@dataclass
class _Area:
    """A neighborhood, with where its reports come from."""

    pk: int
    shape: shapely.Geometry
    place: Place


@dataclass
class _City:
    jurisdiction: Jurisdiction
    calendar: BusinessCalendar
    services: list[_ServiceModel]
    information_service_id: int | None
    directory_service_id: int | None
    areas: list[_Area]
    area_weights: list[float]
    staff_by_department: dict[int, list[User]]
    agents: list[User]
    staff_names: dict[int, str]
    # Business-day due dates by (day the clock starts, SLA days): a year has only a few hundred.
    _due_by_start_day: dict[tuple[dt.date, int], dt.datetime] = field(default_factory=dict)

    @classmethod
    def load(cls, jurisdiction: Jurisdiction, rng: random.Random) -> _City:
        calendar = places.business_calendar(jurisdiction)
        services = list(
            Service.objects.filter(jurisdiction=jurisdiction, is_active=True)
            .select_related("department", "jurisdiction")
            .prefetch_related(
                Prefetch("attributes", queryset=ServiceAttribute.objects.prefetch_related("values")),
                Prefetch("routing_rules", queryset=RoutingRule.objects.select_related("department")),
            )
            .order_by("order", "code")
        )
        request_services = [_service_model(service, rng) for service in services if service.accepts_requests]
        if not request_services:
            raise ValueError("Load the catalogue before generating history.")
        information = [s for s in services if s.kind == Service.Kind.INFORMATION]
        directory = next((s.pk for s in information if s.code == DIRECTORY_ASSISTANCE_CODE), None)
        information_id = next((s.pk for s in information if s.pk != directory), directory)

        areas = []
        for neighborhood in Neighborhood.objects.filter(jurisdiction=jurisdiction).order_by("pk"):
            place = NEIGHBORHOODS_BY_SLUG.get(neighborhood.slug) or _generic_place(neighborhood)
            area_shape = neighborhood.boundary_shape
            shapely.prepare(area_shape)
            areas.append(_Area(neighborhood.pk, area_shape, place))
        if not areas:
            raise ValueError("Load the neighborhoods before generating history.")

        staff = list(
            User.objects.filter(is_active=True, is_staff=True, department__jurisdiction=jurisdiction)
            .select_related("department")
            .order_by("pk")
        )
        by_department: dict[int, list[User]] = {}
        for user in staff:
            by_department.setdefault(user.department_id, []).append(user)  # type: ignore[arg-type]
        # Calls are answered by the contact centre's agents and supervisors (not its surveyor, community
        # staff or leadership), so the satisfaction reports' teams have the calls.
        answering = set(
            RoleAssignment.objects.filter(role__in=(StaffRole.AGENT, StaffRole.SUPERVISOR)).values_list(
                "user_id", flat=True
            )
        )
        agents = [
            user
            for user in staff
            if user.department and user.department.name == CONTACT_CENTER and user.pk in answering
        ]
        return cls(
            jurisdiction=jurisdiction,
            calendar=calendar,
            services=request_services,
            information_service_id=information_id,
            directory_service_id=directory,
            areas=areas,
            area_weights=[area.place.density for area in areas],
            staff_by_department=by_department,
            agents=agents,
            staff_names={user.pk: str(user) for user in staff},
        )

    def due_at(self, service: Service, received_at: dt.datetime) -> dt.datetime | None:
        """What `sla_due_at` says, without walking the calendar for every request."""
        if service.sla_unit == Service.SlaUnit.NONE or not service.sla_value:
            return None
        if service.sla_unit == Service.SlaUnit.HOURS:
            return self.calendar.due_after_hours(received_at, service.sla_value)
        # A business-day due date depends only on the day the clock starts.
        key = (self.calendar.clock_start_day(received_at), service.sla_value)
        due = self._due_by_start_day.get(key)
        if due is None:
            due = self._due_by_start_day[key] = self.calendar.due_after_business_days(received_at, service.sla_value)
        return due


def _service_model(service: Service, rng: random.Random) -> _ServiceModel:
    canned = [rule for rule in service.routing_rules.all() if rule.kind == RoutingRule.Kind.CANNED_ANSWER]
    # Each service gets its own on-time rate between 76 % and 86 % and its own spread of times.
    on_time = rng.uniform(0.76, 0.86)
    sigma = rng.uniform(0.6, 0.9)
    curve = [_season(service.code, day) for day in range(366)]
    mean = sum(curve[:365]) / 365
    code = service.code
    return _ServiceModel(
        service=service,
        volume=max(service.typical_volume, MINIMUM_VOLUME),
        season=[value / mean for value in curve],
        canned_values=frozenset((rule.attribute_code, rule.attribute_value) for rule in canned),
        canned_message=canned[0].message if canned else "",
        on_time_mu=-NormalDist().inv_cdf(on_time) * sigma,
        on_time_sigma=sigma,
        duplicate_share=DUPLICATE_SHARE * (2.5 if code in OFTEN_DUPLICATED else 1),
        referral=texts.REFERRALS.get(code, texts.DEFAULT_REFERRAL),
    )


def _season(code: str, day_of_year: int) -> float:
    """How busy a service is on a day of the year, before normalising to a mean of 1."""
    winter = math.cos(2 * math.pi * (day_of_year - 20) / 365.25)  # 1 in late January, -1 in late July
    if code == SALTING:
        return 0.02 + 4 * max(0.0, winter) ** 3
    if code in SUMMER_SERVICES:
        return 1 - 0.35 * winter
    if code == STREET_DEFECT:  # freeze and thaw: potholes peak in March
        return 1 + 0.4 * math.cos(2 * math.pi * (day_of_year - 70) / 365.25)
    if code == SMOKE_DETECTOR:
        return 1 + 0.2 * winter
    return 1.0


def _generic_place(neighborhood: Neighborhood) -> Place:
    """A neighborhood the demo table does not know (added by hand): report from around its middle."""
    middle = neighborhood.boundary_shape.representative_point()
    return Place(
        neighborhood.slug,
        neighborhood.name,
        middle.y,
        middle.x,
        1.0,
        0.5,
        ("19107",),
        ("Market St", "Broad St"),
        (100, 2000),
    )


# --- when contacts arrive ---------------------------------------------------------------------------


def _arrivals(
    city: _City, rng: random.Random, total: int, days: int, now: dt.datetime, batch_size: int
) -> Iterator[tuple[list[tuple[dt.datetime, _ServiceModel]], list[dt.datetime]]]:
    """Batches of (request arrival times with their service, information contact times), oldest first."""
    zone = city.calendar.zone
    start = now - dt.timedelta(days=days)
    first_day, last_day = start.astimezone(zone).date(), now.astimezone(zone).date()
    dates = [first_day + dt.timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    winter_days = [day for day in dates if day.month in (12, 1, 2)]
    storms = set(rng.sample(winter_days, min(2, len(winter_days))))
    after_storms = {day + dt.timedelta(days=1) for day in storms}

    day_plans = []
    for day in dates:
        hours = _hour_weights(day, zone, start, now)
        weights = []
        for model in city.services:
            weight = model.volume * model.season[day.timetuple().tm_yday - 1]
            if model.code == SALTING:
                weight *= STORM_DAY if day in storms else DAY_AFTER_STORM if day in after_storms else 1
            weights.append(weight)
        busy = HOLIDAY_WEIGHT if day in city.calendar.holidays else WEEKDAY_WEIGHTS[day.weekday()]
        day_plans.append((day, hours, list(itertools.accumulate(weights)), busy * sum(weights) * sum(hours)))

    counts = _share_out(total, [plan[3] for plan in day_plans])
    pending: list[tuple[dt.datetime, _ServiceModel]] = []
    pending_information: list[dt.datetime] = []
    information_owed = 0.0
    for (day, hours, cumulative, _), count in zip(day_plans, counts, strict=True):
        if not count:
            continue
        information_owed += count * INFORMATION_CONTACTS_PER_REQUEST
        information_count = int(information_owed)
        information_owed -= information_count
        pending_information.extend(_times_on(day, hours, information_count, zone, start, now, rng))
        for moment in sorted(_times_on(day, hours, count, zone, start, now, rng)):
            pending.append((moment, rng.choices(city.services, cum_weights=cumulative)[0]))
            if len(pending) == batch_size:
                yield pending, pending_information
                pending, pending_information = [], []
    if pending or pending_information:
        yield pending, pending_information


def _hour_weights(day: dt.date, zone, start: dt.datetime, end: dt.datetime) -> list[float]:
    """The hour curve for one local day, with hours outside [start, end) taken out (the first and last day)."""
    weights = []
    for hour, weight in enumerate(HOUR_WEIGHTS):
        begins = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
        inside = (min(begins + dt.timedelta(hours=1), end) - max(begins, start)).total_seconds() / HOUR
        weights.append(weight * min(1.0, max(0.0, inside)))
    return weights


def _share_out(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers that add up exactly (largest remainder)."""
    whole = sum(weights)
    exact = [total * weight / whole for weight in weights]
    counts = [int(value) for value in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _times_on(
    day: dt.date, hours: list[float], count: int, zone, start: dt.datetime, end: dt.datetime, rng: random.Random
) -> list[dt.datetime]:
    moments = []
    for hour in rng.choices(range(24), weights=hours, k=count):
        begins = dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)
        # Only the first and last hour of the window are partly outside it; draw again there.
        for _ in range(50):
            moment = begins + dt.timedelta(seconds=rng.randrange(HOUR))
            if start <= moment < end:
                break
        moments.append(min(max(moment, start), end - dt.timedelta(seconds=1)))
    return moments


# --- one request's life ------------------------------------------------------------------------------


class _Step(NamedTuple):
    at: dt.datetime
    kind: str  # a HistoryEntry kind
    to_status: str = ""
    public: bool = False
    text: str = ""
    actor_id: int | None = None
    actor_label: str = ""
    assignee_id: int | None = None


@dataclass
class _Planned:
    """A request before it is written: what was reported, and every step of its life."""

    model: _ServiceModel
    requested_at: dt.datetime
    tracking_number: str
    channel: str
    agent_id: int | None
    area: _Area
    lat: float
    long: float
    address: str
    zipcode: str
    answers: dict
    department_id: int
    hazard_alerts: list[str]
    description: str
    is_private: bool
    requester: tuple[str, str, str, str] | None  # first name, last name, e-mail, phone
    steps: list[_Step] = field(default_factory=list)
    original: _Planned | None = None
    request_id: int = 0  # reserved before the batch is written, so duplicates can point at originals
    requester_id: int | None = None


class _Generator:
    def __init__(self, city: _City, rng: random.Random, now: dt.datetime) -> None:
        self.city = city
        self.rng = rng
        self.now = now
        self.channels = list(CHANNEL_MIX)
        self.channel_weights = list(itertools.accumulate(CHANNEL_MIX.values()))
        self.area_weights = list(itertools.accumulate(city.area_weights))

    # The batch: plan every request, then write requesters, requests, history and contacts in bulk.

    def write_batch(
        self,
        arrivals: list[tuple[dt.datetime, _ServiceModel]],
        information_times: list[dt.datetime],
        stats: HistoryStats,
        numbers: list[int],
    ) -> None:
        planned: list[_Planned] = []
        contacts: list[tuple] = []
        for number, (requested_at, model) in zip(numbers, arrivals, strict=True):
            planned.append(self._plan(model, requested_at, str(number), contacts))

        # Every row is a plain tuple with its primary key reserved first, so a request can point at its
        # requester and a duplicate at its original before either is written; then COPY (PostgreSQL).
        with_requester = [plan for plan in planned if plan.requester is not None]
        for plan, requester_id in zip(with_requester, reserve_ids(Requester, len(with_requester)), strict=True):
            plan.requester_id = requester_id
        for plan, request_id in zip(planned, reserve_ids(ServiceRequest, len(planned)), strict=True):
            plan.request_id = request_id
        insert_rows(
            Requester,
            REQUESTER_FIELDS,
            [
                (plan.requester_id, *plan.requester, plan.requested_at)  # type: ignore[misc]
                for plan in with_requester
            ],
        )
        history: list[tuple] = []
        insert_rows(ServiceRequest, REQUEST_FIELDS, [self._row(plan, history) for plan in planned])
        insert_rows(HistoryEntry, HISTORY_FIELDS, history)

        contacts.extend(self._request_contact(plan) for plan in planned)
        contacts.extend(self._information_contact(moment) for moment in information_times)
        insert_rows(Contact, CONTACT_FIELDS, contacts)

        stats.requests += len(planned)
        stats.requesters += len(with_requester)
        stats.history_entries += len(history)
        stats.contacts += len(contacts)

    def _plan(
        self, model: _ServiceModel, requested_at: dt.datetime, tracking_number: str, contacts: list[tuple]
    ) -> _Planned:
        rng = self.rng
        service = model.service
        channel = self._channel()
        agent_id = self._agent_for(channel)

        original = None
        if model.originals and rng.random() < model.duplicate_share:
            original = rng.choice(model.originals)
        if original is not None:
            # Someone else reporting the same problem: same place, same answers.
            area, lat, long = original.area, original.lat, original.long
            address, zipcode, answers = original.address, original.zipcode, original.answers
        else:
            area = rng.choices(self.city.areas, cum_weights=self.area_weights)[0]
            lat, long = self._point_in(area)
            address, zipcode = self._address(area)
            answers = self._answers(model, area, requested_at)
        routing = catalogue.route(service, area.pk, answers)

        plan = _Planned(
            model=model,
            requested_at=requested_at,
            tracking_number=tracking_number,
            channel=channel,
            agent_id=agent_id,
            area=area,
            lat=lat,
            long=long,
            address=address,
            zipcode=zipcode,
            answers=answers,
            department_id=routing.department.pk,
            hazard_alerts=routing.hazard_alerts,
            description=self._description(model),
            is_private=rng.random() < PRIVATE_SHARE,
            requester=self._requester() if rng.random() < WITH_REQUESTER else None,
            original=original,
        )
        plan.steps = self._life(plan)
        if original is None:
            model.originals.append(plan)
        if model.canned_values and rng.random() < GAS_CALLS_PER_DEFECT:
            contacts.append(self._canned_contact(model, requested_at))
        return plan

    def _life(self, plan: _Planned) -> list[_Step]:
        """Every step of the request's life, as planned; steps after `now` are cut off later."""
        rng = self.rng
        model = plan.model
        opened_at = plan.requested_at
        steps = [
            _Step(
                opened_at,
                HistoryEntry.Kind.OPENED,
                Status.NEW,
                True,
                "",
                plan.agent_id,
                "" if plan.agent_id else RESIDENT,
            )
        ]
        steps += [
            _Step(opened_at, HistoryEntry.Kind.HAZARD, text=alert, actor_label=SYSTEM) for alert in plan.hazard_alerts
        ]
        staff: list[User | None] = [*self.city.staff_by_department.get(plan.department_id, [])] or [None]
        worker = rng.choice(staff)
        worker_id = worker.pk if worker else None

        if plan.original is not None:
            marked = opened_at + self._lognormal(DAY, 1.0, minimum=30 * MINUTE)
            # A private request's number is never published (requests.services.change_status says the same).
            text = (
                "Duplicate of another request."
                if plan.original.is_private
                else f"Duplicate of request {plan.original.tracking_number}."
            )
            return [*steps, _Step(marked, HistoryEntry.Kind.STATUS, Status.DUPLICATE, True, text, worker_id)]
        roll = rng.random()
        referral, referral_share = model.referral
        if roll < referral_share:
            referred = opened_at + self._lognormal(2 * DAY, 0.8, minimum=HOUR)
            acknowledged = _to_second(opened_at + (referred - opened_at) * rng.uniform(0.1, 0.5))
            return [
                *steps,
                _Step(acknowledged, HistoryEntry.Kind.STATUS, Status.ACKNOWLEDGED, True, "", worker_id),
                _Step(referred, HistoryEntry.Kind.STATUS, Status.REFERRED, True, referral, worker_id),
            ]
        if roll < referral_share + CANCELLED_SHARE:
            cancelled = opened_at + self._lognormal(1.5 * DAY, 1.0, minimum=10 * MINUTE)
            reason = rng.choice(texts.CANCEL_REASONS)
            return [*steps, _Step(cancelled, HistoryEntry.Kind.STATUS, Status.CANCELLED, True, reason, worker_id)]

        steps += self._work(plan, opened_at, Status.NEW, worker_id)
        if rng.random() < REOPENED_SHARE:
            closed_at = steps[-1].at
            reopened = closed_at + self._lognormal(3 * DAY, 0.8, minimum=HOUR)
            steps.append(
                _Step(
                    reopened,
                    HistoryEntry.Kind.STATUS,
                    Status.REOPENED,
                    True,
                    rng.choice(texts.REOPEN_NOTES),
                    actor_label=RESIDENT,
                )
            )
            steps += self._work(plan, reopened, Status.REOPENED, worker_id)
        return steps

    def _work(self, plan: _Planned, begins: dt.datetime, status: str, worker_id: int | None) -> list[_Step]:
        """From `begins` to closed: how long it takes, and the steps on the way."""
        rng = self.rng
        model = plan.model
        due = self.city.due_at(model.service, begins) or begins + dt.timedelta(days=5)
        sla = (due - begins).total_seconds()
        # Time to close, as a share of the SLA: log-normal, below 1 for the service's on-time share.
        ratio = math.exp(rng.gauss(model.on_time_mu, model.on_time_sigma))
        closed = begins + dt.timedelta(seconds=int(max(20 * MINUTE, ratio * sla)))
        if model.service.sla_unit == Service.SlaUnit.BUSINESS_DAYS:
            closed = self._during_working_hours(closed)
        took = closed - begins
        reason = self._close_reason(model)

        def at(low: float, high: float) -> dt.datetime:
            return _to_second(begins + took * rng.uniform(low, high))

        steps = []
        if status == Status.NEW and rng.random() < FIXED_ON_SIGHT:
            return [_Step(closed, HistoryEntry.Kind.STATUS, Status.CLOSED, True, reason, worker_id)]
        if status == Status.NEW and rng.random() < 0.7:
            steps.append(_Step(at(0.02, 0.08), HistoryEntry.Kind.STATUS, Status.ACKNOWLEDGED, True, "", worker_id))
        if worker_id:
            steps.append(
                _Step(
                    at(0.1, 0.3), HistoryEntry.Kind.STATUS, Status.ASSIGNED, True, "", worker_id, assignee_id=worker_id
                )
            )
        note = rng.choice(texts.PROGRESS_NOTES) if rng.random() < 0.5 else ""
        steps.append(_Step(at(0.35, 0.6), HistoryEntry.Kind.STATUS, Status.IN_PROGRESS, True, note, worker_id))
        if rng.random() < 0.08:
            steps.append(
                _Step(
                    at(0.62, 0.72),
                    HistoryEntry.Kind.STATUS,
                    Status.ON_HOLD,
                    True,
                    rng.choice(texts.ON_HOLD_NOTES),
                    worker_id,
                )
            )
            steps.append(_Step(at(0.78, 0.88), HistoryEntry.Kind.STATUS, Status.IN_PROGRESS, True, "", worker_id))
        if rng.random() < 0.25:
            steps.append(
                _Step(at(0.4, 0.95), HistoryEntry.Kind.NOTE, text=rng.choice(texts.INTERNAL_NOTES), actor_id=worker_id)
            )
        steps.sort(key=lambda step: step.at)
        steps.append(_Step(closed, HistoryEntry.Kind.STATUS, Status.CLOSED, True, reason, worker_id))
        return steps

    def _close_reason(self, model: _ServiceModel) -> str:
        roll = self.rng.random()
        if roll < NOT_FOUND_SHARE:
            return texts.NOT_FOUND
        if roll < NOT_FOUND_SHARE + NOT_NEEDED_SHARE:
            return texts.NOT_NEEDED
        return texts.REPAIRED if model.code in texts.REPAIR_SERVICES else texts.RESOLVED

    def _during_working_hours(self, moment: dt.datetime) -> dt.datetime:
        """Crews on business-day services close work between 07:00 and 18:00 on a business day."""
        calendar = self.city.calendar
        local = moment.astimezone(calendar.zone)
        if calendar.is_business_day(local.date()) and 7 <= local.hour < 18:
            return moment
        day = local.date()
        if not (calendar.is_business_day(day) and local.hour < 7):
            day = calendar.next_business_day(day)
        morning = dt.datetime.combine(day, dt.time(7), tzinfo=calendar.zone).astimezone(dt.UTC)
        return morning + dt.timedelta(seconds=self.rng.randrange(9 * HOUR))

    # Writing the rows.

    def _row(self, plan: _Planned, history: list[tuple]) -> tuple:
        """The request as it stands now (REQUEST_FIELDS), folding its steps up to now as `change_status` would.

        Appends the history columns (HISTORY_FIELDS) of each step that has happened.
        """
        service = plan.model.service
        request_id = plan.request_id
        expected_at = self.city.due_at(service, plan.requested_at)
        status: str = Status.NEW
        notes, closed_at, assignee_id, updated_at = "", None, None, plan.requested_at
        for step in plan.steps:
            if step.at > self.now:
                break
            from_status = ""
            if step.kind == HistoryEntry.Kind.STATUS:
                if not can_move(status, step.to_status):
                    raise AssertionError(f"{status} → {step.to_status} is not a lifecycle move")
                from_status, status = status, step.to_status
                if status in FINAL_STATES:
                    closed_at, notes = step.at, step.text
                elif step.text:
                    notes = step.text
                if status == Status.REOPENED:
                    closed_at = None
                    expected_at = self.city.due_at(service, step.at)
            # As `_record` does: with no member of staff, the resident opened it and the system did the rest.
            label = (
                ""
                if step.actor_id
                else step.actor_label or (RESIDENT if step.kind == HistoryEntry.Kind.OPENED else SYSTEM)
            )
            history.append(
                (
                    request_id,
                    step.kind,
                    step.public,
                    step.actor_id,
                    label,
                    from_status,
                    step.to_status,
                    step.text,
                    step.at,
                )
            )
            if step.assignee_id:
                assignee_id = step.assignee_id
                history.append(
                    (
                        request_id,
                        HistoryEntry.Kind.ASSIGNED,
                        False,
                        step.actor_id,
                        "",
                        "",
                        "",
                        f"Assigned to {self.city.staff_names[assignee_id]}.",
                        step.at,
                    )
                )
            updated_at = step.at
        original = plan.original
        return (
            request_id,
            self.city.jurisdiction.pk,
            plan.tracking_number,
            service.pk,
            plan.department_id,
            plan.channel,
            status,
            plan.description,
            plan.address,
            plan.zipcode,
            plan.lat,
            plan.long,
            plan.area.pk,
            places.h3_cell(plan.lat, plan.long),
            json.dumps(plan.answers),
            plan.requester_id,
            assignee_id,
            plan.is_private,
            bool(plan.hazard_alerts),
            original.request_id if original else None,
            plan.requested_at,
            updated_at,
            expected_at,
            closed_at,
            notes,
        )

    # Contacts, as rows in CONTACT_FIELDS order.

    def _request_contact(self, plan: _Planned) -> tuple:
        started, ended = self._call_around(plan.requested_at, plan.channel)
        return (
            self.city.jurisdiction.pk,
            plan.channel,
            Contact.Outcome.SERVICE_REQUEST,
            plan.model.service.pk,
            plan.request_id,
            plan.requester_id,
            plan.agent_id,
            "",
            started,
            ended,
        )

    def _information_contact(self, moment: dt.datetime) -> tuple:
        rng = self.rng
        channel = self._channel()
        directory = rng.random() < DIRECTORY_SHARE and self.city.directory_service_id is not None
        started, ended = self._call_around(moment, channel)
        return (
            self.city.jurisdiction.pk,
            channel,
            Contact.Outcome.DIRECTORY if directory else Contact.Outcome.INFORMATION,
            self.city.directory_service_id if directory else self.city.information_service_id,
            None,
            None,
            self._agent_for(channel),
            rng.choice(texts.DIRECTORY_ANSWERS if directory else texts.INFORMATION_ANSWERS),
            started,
            ended,
        )

    def _canned_contact(self, model: _ServiceModel, moment: dt.datetime) -> tuple:
        channel = self._channel()
        started, ended = self._call_around(moment, channel)
        return (
            self.city.jurisdiction.pk,
            channel,
            Contact.Outcome.CANNED_ANSWER,
            model.service.pk,
            None,
            None,
            self._agent_for(channel),
            model.canned_message,
            started,
            ended,
        )

    def _agent_for(self, channel: str) -> int | None:
        if channel in AGENT_CHANNELS and self.city.agents:
            return self.rng.choice(self.city.agents).pk
        return None

    def _call_around(self, moment: dt.datetime, channel: str) -> tuple[dt.datetime, dt.datetime]:
        """A contact lasts a few minutes (a call, a visit, a chat) and is logged when it ends."""
        if channel not in AGENT_CHANNELS:
            return moment, moment
        took = dt.timedelta(seconds=self.rng.randrange(90, 12 * MINUTE))
        return moment - took, moment

    # Details of a report.

    def _channel(self) -> str:
        return self.rng.choices(self.channels, cum_weights=self.channel_weights)[0]

    def _point_in(self, area: _Area) -> tuple[float, float]:
        place = area.place
        lat_spread = place.spread_km / 111.0
        long_spread = place.spread_km / (111.0 * math.cos(math.radians(place.lat)))
        for _ in range(100):
            lat = round(self.rng.gauss(place.lat, lat_spread), 6)
            long = round(self.rng.gauss(place.long, long_spread), 6)
            # Strictly inside, so the neighborhood lookup can never pick the one next door.
            if shapely.contains_xy(area.shape, long, lat) and self.city.jurisdiction.contains(lat, long):
                return lat, long
        middle = area.shape.representative_point()
        return round(middle.y, 6), round(middle.x, 6)

    def _address(self, area: _Area) -> tuple[str, str]:
        place = area.place
        low, high = place.house_numbers
        return f"{self.rng.randint(low, high)} {self.rng.choice(place.streets)}", self.rng.choice(place.zipcodes)

    def _description(self, model: _ServiceModel) -> str:
        variants = texts.DESCRIPTIONS.get(model.code)
        if not variants or self.rng.random() < 0.12:
            return ""
        return self.rng.choice(variants)

    def _requester(self) -> tuple[str, str, str, str]:
        rng = self.rng
        first, last = rng.choice(texts.FIRST_NAMES), rng.choice(texts.LAST_NAMES)
        email = ""
        if rng.random() < 0.6:
            local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
            email = f"{local}{rng.randrange(100)}@example.org"  # reserved domain: demo mail goes nowhere
        phone = f"+1215555{rng.randrange(100, 200):04d}" if rng.random() < 0.7 else ""  # stored as E.164
        return first, last, email, phone

    def _answers(self, model: _ServiceModel, area: _Area, requested_at: dt.datetime) -> dict:
        """Answers to the service's own questions: required ones always, others often."""
        answers: dict[str, str | list[str]] = {}
        for attribute in model.service.attributes.all():
            if not attribute.variable or (not attribute.required and self.rng.random() > OPTIONAL_ANSWERED):
                continue
            answers[attribute.code] = self._answer(model, attribute, area, requested_at)
        return answers

    def _answer(
        self, model: _ServiceModel, attribute: ServiceAttribute, area: _Area, requested_at: dt.datetime
    ) -> str | list[str]:
        rng = self.rng
        kind = ServiceAttribute.Datatype
        if attribute.datatype in ServiceAttribute.LIST_DATATYPES:
            keys = [
                value.key for value in attribute.values.all() if (attribute.code, value.key) not in model.canned_values
            ]
            if attribute.datatype == kind.MULTIVALUELIST:
                chosen = set(rng.sample(keys, min(len(keys), 1 + (rng.random() < 0.35) + (rng.random() < 0.1))))
                return [key for key in keys if key in chosen]
            preferred = ANSWER_WEIGHTS.get((model.code, attribute.code), {})
            return rng.choices(keys, weights=[preferred.get(key, 1) for key in keys])[0]
        if attribute.datatype == kind.NUMBER:
            return str(rng.randint(1, 7) if attribute.code == "residents" else rng.randint(4, 48))
        if attribute.datatype == kind.DATETIME:
            seen = requested_at.astimezone(self.city.calendar.zone) - dt.timedelta(hours=rng.randint(6, 45 * 24))
            return seen.replace(tzinfo=None).isoformat(timespec="minutes")
        if attribute.datatype == kind.TEXT:
            return rng.choice(texts.VEHICLES) if attribute.code == "vehicle_description" else "See description."
        return self._string_answer(attribute.code, area)

    def _string_answer(self, code: str, area: _Area) -> str:
        rng = self.rng
        if code == "plate":
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
            return f"{letters}-{rng.randrange(10_000):04d}"
        if code == "pole_number":
            return f"S-{rng.randrange(10_000, 99_999)}"
        if code == "business_name":
            return rng.choice(texts.BUSINESS_NAMES)
        if code == "alley_between":
            first, second = rng.sample(area.place.streets, 2)
            return f"{first} and {second}"
        return rng.choice(area.place.streets)

    def _lognormal(self, median_seconds: float, sigma: float, minimum: float) -> dt.timedelta:
        seconds = median_seconds * math.exp(self.rng.gauss(0, sigma))
        return dt.timedelta(seconds=int(max(minimum, seconds)))


def _to_second(moment: dt.datetime) -> dt.datetime:
    # Whole seconds, like the rest of the history; rounding down keeps the steps in order.
    return moment.replace(microsecond=0)
