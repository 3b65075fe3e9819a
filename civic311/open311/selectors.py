"""The queries behind Open311's GET methods: the public catalogue and the public requests.

Nothing here returns a private request, and every page is read with a fixed number of queries
whatever its size (the COUNT, one SELECT for the page, one per prefetched relation, one each for the
page's services and departments). Without extensions a page is read as tuples, never as model objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import operator
import time
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field
from functools import reduce
from typing import NamedTuple

from django.core.cache import cache
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Exists, ExpressionWrapper, F, FloatField, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Cos, Power, Radians, Sin
from django.utils import timezone

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Department, Service, ServiceAttribute
from civic311.jurisdictions.models import Jurisdiction
from civic311.service_requests.lifecycle import FINAL_STATES
from civic311.service_requests.models import HistoryEntry, Photo, ServiceRequest

from .models import ApiKey

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG), the one haversine distances are usually quoted in
TRACKING_NUMBER_MAX = 32
# The most service_request_id values one GET requests call may ask for (a page's worth).
MAX_REQUEST_IDS = 1000


# --- API keys -----------------------------------------------------------------------------------


PRESENTED_KEY_MAX = 200  # characters of a presented key that are looked at; a longer one is no key of ours


def hash_key(key: str) -> str:
    """What an API key is stored and looked up as (the key itself is shown once and never kept)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_jurisdiction(presented: str) -> int | None:
    """The jurisdiction (pk) of the active API key presented, None for no key or not one of ours.

    Only says which city a call is for (`jurisdictions.selectors.resolve_jurisdiction`); whether the
    key may post is `services.authenticate`'s to decide.
    """
    presented = (presented or "").strip()
    if not presented or len(presented) > PRESENTED_KEY_MAX:
        return None
    return (
        ApiKey.objects.filter(key_hash=hash_key(presented), revoked_at__isnull=True)
        .values_list("jurisdiction_id", flat=True)
        .first()
    )


# --- the catalogue ------------------------------------------------------------------------------


def catalogue_changeset() -> dt.datetime | None:
    """When the deployed code last changed the schema: the newest applied migration.

    The catalogue rows carry no timestamps, so discovery's `changeset` is the deploy time.
    """
    return MigrationRecorder.Migration.objects.order_by("-applied").values_list("applied", flat=True).first()


def services_at(
    jurisdiction: Jurisdiction,
    lat: float | None = None,
    long: float | None = None,
) -> QuerySet[Service]:
    """The services offered at a point (every offered service when no point is given).

    Each carries `has_attributes`, for `metadata`. Every service of a jurisdiction is offered in all of
    it, so a point only has to lie inside the jurisdiction; the caller checks that with
    `Jurisdiction.contains` and reports a point outside as an error.
    """
    services = catalogue.offered_services(jurisdiction).annotate(
        has_attributes=Exists(ServiceAttribute.objects.filter(service=OuterRef("pk")))
    )
    if lat is not None and long is not None and not jurisdiction.contains(lat, long):
        return services.none()
    return services


def service_definition(jurisdiction: Jurisdiction, code: str) -> Service | None:
    """An offered service with its questions and their choices; None for an unknown or inactive code."""
    code = (code or "").strip()
    if not code or len(code) > 40:
        return None
    return (
        catalogue.offered_services(jurisdiction)
        .filter(code=code)
        .prefetch_related(
            Prefetch("attributes", queryset=ServiceAttribute.objects.order_by("order", "pk").prefetch_related("values"))
        )
        .first()
    )


# --- requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Circle:
    lat: float
    long: float
    radius_m: float


@dataclass(frozen=True)
class Box:
    min_long: float
    min_lat: float
    max_long: float
    max_lat: float


@dataclass
class RequestFilter:
    """What a GET requests call asks for, already checked. Lower bounds are inclusive, upper exclusive."""

    tracking_numbers: list[str] = field(default_factory=list)  # when given, every other filter is ignored
    service_codes: list[str] = field(default_factory=list)
    requested_from: dt.datetime | None = None
    requested_before: dt.datetime | None = None
    updated_from: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    statuses: set[str] = field(default_factory=set)  # Open311's: "open", "closed"
    box: Box | None = None
    circle: Circle | None = None

    @property
    def filters_status(self) -> bool:
        """Whether `statuses` leaves any request out (both, like none, keeps every one)."""
        return bool(self.statuses) and self.statuses != {"open", "closed"}

    @property
    def ordering(self) -> tuple[str, str]:
        """Oldest filed first; but by last change when harvesting with updated_after/updated_before, so
        a client resuming from the newest updated_datetime it saw never passes over a change."""
        harvesting = not self.tracking_numbers and (self.updated_from is not None or self.updated_before is not None)
        return ("updated_at", "pk") if harvesting else ("requested_at", "pk")


class PlainRow(NamedTuple):
    """One request with exactly the columns the plain output (no extensions) shows, read as a tuple.

    The ordering fields (requested_at, updated_at) and pk are among them: the next page's cursor.
    """

    pk: int
    tracking_number: str
    service_id: int
    department_id: int
    status: str
    status_notes: str
    description: str
    address: str
    zipcode: str
    lat: float | None
    long: float | None
    media_url: str
    is_private: bool
    requested_at: dt.datetime
    updated_at: dt.datetime
    expected_at: dt.datetime | None


# What the plain output reads (`serializers.plain_request`), as tuples here and as model fields for one request.
PLAIN_OUTPUT_FIELDS = PlainRow._fields


@dataclass
class PlainRequests:
    """A page without extensions: its rows as tuples and what they refer to, each read once for the page."""

    rows: list[PlainRow] = field(default_factory=list)
    services: dict[int, Service] = field(default_factory=dict)
    departments: dict[int, Department] = field(default_factory=dict)
    photos: dict[int, list[str]] = field(default_factory=dict)  # request pk: its public photos' stored names


@dataclass
class Page:
    requests: list[ServiceRequest]  # with extensions: model objects (`fetch_for_output`); else empty
    total: int
    number: int
    size: int
    next_cursor: str = ""  # where the next page starts (keyset), "" on the last page
    plain: PlainRequests | None = None  # without extensions: the page as tuples (`fetch_plain`)

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.size) if self.size else 0


def public_requests(jurisdiction: Jurisdiction) -> QuerySet[ServiceRequest]:
    """Every request the public may see: the jurisdiction's, never a private one."""
    return ServiceRequest.objects.filter(jurisdiction=jurisdiction, is_private=False)


def service_ids_of(jurisdiction: Jurisdiction, wanted: RequestFilter) -> list[int] | None:
    """The ids of the services `service_code` names (None when it names none: every service)."""
    if wanted.tracking_numbers or not wanted.service_codes:
        return None
    return sorted(
        Service.objects.filter(jurisdiction=jurisdiction, code__in=wanted.service_codes).values_list("pk", flat=True)
    )


def filtered_requests(
    jurisdiction: Jurisdiction, wanted: RequestFilter, *, service_ids: list[int] | None = None
) -> QuerySet[ServiceRequest]:
    """`service_ids`: `service_ids_of`'s answer when the caller has it already."""
    requests = public_requests(jurisdiction)
    if wanted.tracking_numbers:
        return requests.filter(tracking_number__in=[normalize_tracking_number(n) for n in wanted.tracking_numbers])
    if wanted.service_codes:
        # By id, not by a join on the code: the planner can then walk the public (service, requested_at)
        # index in order instead of sorting every match of a busy service to reach a deep page. The
        # services are the jurisdiction's own, so the jurisdiction filter goes: the COUNT then reads only
        # that index (an index-only scan), never the table.
        if service_ids is None:
            service_ids = service_ids_of(jurisdiction, wanted) or []
        requests = ServiceRequest.objects.filter(is_private=False, service_id__in=service_ids)
    if wanted.requested_from is not None:
        requests = requests.filter(requested_at__gte=wanted.requested_from)
    if wanted.requested_before is not None:
        requests = requests.filter(requested_at__lt=wanted.requested_before)
    if wanted.updated_from is not None:
        requests = requests.filter(updated_at__gte=wanted.updated_from)
    if wanted.updated_before is not None:
        requests = requests.filter(updated_at__lt=wanted.updated_before)
    if wanted.filters_status:
        closed = Q(status__in=[str(status) for status in FINAL_STATES])
        requests = requests.filter(closed if "closed" in wanted.statuses else ~closed)
    if wanted.box is not None:
        box = wanted.box
        requests = requests.filter(
            lat__gte=box.min_lat, lat__lte=box.max_lat, long__gte=box.min_long, long__lte=box.max_long
        )
    if wanted.circle is not None:
        requests = within(requests, wanted.circle)
    return requests


def within(requests: QuerySet[ServiceRequest], circle: Circle) -> QuerySet[ServiceRequest]:
    """Requests no further than `radius_m` metres (great-circle, haversine) from the centre.

    A bounding box a little larger than the circle narrows the rows first; the exact test is the
    haversine inequality hav(d/R) <= hav(r/R), computed by the database (Django supplies the
    trigonometry to SQLite), so counting and paging stay in SQL.
    """
    angle = circle.radius_m / EARTH_RADIUS_M  # radians
    if angle >= math.pi:
        return requests.exclude(lat=None).exclude(long=None)
    margin = 1.000001
    dlat = math.degrees(angle) * margin
    requests = requests.filter(lat__gte=circle.lat - dlat, lat__lte=circle.lat + dlat)
    nearest_pole = min(90.0, abs(circle.lat) + dlat)
    if nearest_pole < 89.9:
        dlong = math.degrees(angle) / math.cos(math.radians(nearest_pole)) * margin
        if dlong < 180:
            low, high = circle.long - dlong, circle.long + dlong
            if low < -180:  # the circle crosses the antimeridian: keep both sides
                requests = requests.filter(Q(long__gte=low + 360) | Q(long__lte=high))
            elif high > 180:
                requests = requests.filter(Q(long__gte=low) | Q(long__lte=high - 360))
            else:
                requests = requests.filter(long__gte=low, long__lte=high)
    centre_lat = math.radians(circle.lat)
    hav = Power(Sin((Radians(F("lat")) - Value(centre_lat)) / Value(2.0)), 2) + Value(math.cos(centre_lat)) * Cos(
        Radians(F("lat"))
    ) * Power(Sin((Radians(F("long")) - Value(math.radians(circle.long))) / Value(2.0)), 2)
    limit = math.sin(angle / 2) ** 2
    return requests.alias(hav=ExpressionWrapper(hav, output_field=FloatField())).filter(hav__lte=limit)


def page_of_requests(
    jurisdiction: Jurisdiction, wanted: RequestFilter, *, page: int, size: int, extensions: bool, cursor: str = ""
) -> Page:
    """One page in a stable order (`RequestFilter.ordering`, then id): pages neither repeat nor skip a request.

    With a `cursor` (from the previous page's next link) the page starts right after the request it
    names, found through the index, instead of counting past every earlier page (an OFFSET grows with
    the page number: page 200 of a busy service read 199,000 rows first).
    """
    service_ids = service_ids_of(jurisdiction, wanted)
    requests = filtered_requests(jurisdiction, wanted, service_ids=service_ids)
    total = count_requests(jurisdiction, wanted, requests, service_ids=service_ids)
    start = (page - 1) * size
    ordered = requests.order_by(*wanted.ordering)
    window: QuerySet[ServiceRequest] | None = None
    after = decode_cursor(cursor)
    if after is not None:
        moment, pk = after
        name = wanted.ordering[0]
        window = ordered.filter(Q(**{f"{name}__gt": moment}) | Q(**{name: moment, "pk__gt": pk}))[:size]
    elif start < total:
        window = ordered[start : start + size]
    models: list[ServiceRequest] = []
    plain: PlainRequests | None = None
    rows: Sequence[ServiceRequest | PlainRow]
    if extensions:
        rows = models = fetch_for_output(window, jurisdiction, extensions=True) if window is not None else []
    else:
        plain = fetch_plain(window) if window is not None else PlainRequests()
        rows = plain.rows
    next_cursor = ""
    if len(rows) == size and start + size < total:
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, wanted.ordering[0]), last.pk)
    return Page(models, total, page, size, next_cursor, plain)


# How long the count of a window's settled part is kept in the shared cache.
SETTLED_COUNT_SECONDS = 10 * 60
HOUR = dt.timedelta(hours=1)


def settled_before(now: dt.datetime) -> dt.datetime:
    """B: the start of the current UTC hour, less an hour. Nothing is filed with an earlier requested_at any
    more (except by an import of old requests)."""
    return _hour_of(now) - HOUR


def count_requests(
    jurisdiction: Jurisdiction,
    wanted: RequestFilter,
    requests: QuerySet[ServiceRequest],
    *,
    service_ids: list[int] | None,
) -> int:
    """The total of a GET requests call, `requests` being `filtered_requests(jurisdiction, wanted)`.

    The settled part of the requested_at window, whole hours before `settled_before`, is counted once and
    kept in the shared cache for 10 minutes; the rest (the last hour or two, and the part of the first hour
    a moving default window starts in) is counted live, in one COUNT. The past does not change except by
    reclassification or privacy (an import forgets the kept counts: `forget_settled_counts`), so the total
    may lag those by up to 10 minutes; a request filed now counts at once. Tracking numbers, a status filter
    and updated_* bounds (which change as requests change) are always counted live, as is a window that
    starts after B.
    """
    changing = wanted.filters_status or wanted.updated_from is not None or wanted.updated_before is not None
    if wanted.tracking_numbers or changing:
        return requests.count()
    boundary = settled_before(timezone.now())
    start = wanted.requested_from
    # The settled part starts on a whole hour: the default window starts 90 days before now, a moment that
    # moves with every call; its first, partial hour is counted live so the cached part keeps its key.
    settled_from = None if start is None else _hour_at_or_after(start)
    settled_to = boundary if wanted.requested_before is None else min(wanted.requested_before, boundary)
    if settled_from is not None and settled_from >= settled_to:
        return requests.count()
    key = _settled_count_key(jurisdiction, wanted, service_ids, settled_from, settled_to)
    generation_key = _settled_generation_key(jurisdiction.pk)
    found = cache.get_many([key, generation_key])  # one round trip
    generation = found.get(generation_key, 0)
    kept = found.get(key)
    settled: int
    if kept is not None and kept[0] == generation:
        settled = int(kept[1])
    else:
        part = requests.filter(requested_at__lt=settled_to)
        if settled_from is not None:
            part = part.filter(requested_at__gte=settled_from)
        settled = part.count()
        cache.set(key, (generation, settled), SETTLED_COUNT_SECONDS)
    live = []
    if start is not None and settled_from is not None and start < settled_from:
        live.append(Q(requested_at__lt=settled_from))
    if wanted.requested_before is None or wanted.requested_before > boundary:
        live.append(Q(requested_at__gte=boundary))
    if not live:
        return settled
    return settled + requests.filter(reduce(operator.or_, live)).count()


def forget_settled_counts(jurisdiction_id: int) -> None:
    """Every kept count of the jurisdiction's past is stale (an import of old requests has just committed):
    a new generation, which no kept count carries."""
    cache.set(_settled_generation_key(jurisdiction_id), time.time_ns(), None)


def _settled_generation_key(jurisdiction_id: int) -> str:
    return f"open311:settled-generation:{jurisdiction_id}"


def _hour_of(moment: dt.datetime) -> dt.datetime:
    """The start of the UTC hour `moment` falls in."""
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _hour_at_or_after(moment: dt.datetime) -> dt.datetime:
    hour = _hour_of(moment)
    return hour if hour == moment else hour + HOUR


def _settled_count_key(
    jurisdiction: Jurisdiction,
    wanted: RequestFilter,
    service_ids: list[int] | None,
    settled_from: dt.datetime | None,
    settled_to: dt.datetime,
) -> str:
    """The cache key of a settled part's count: the jurisdiction, a stable hash of the rest of the filter
    (services, the part's bounds, box, circle) and the part's end (B, or the window's end before B)."""
    described = json.dumps(
        [
            service_ids,
            None if settled_from is None else _micros(settled_from),
            astuple(wanted.box) if wanted.box else None,
            astuple(wanted.circle) if wanted.circle else None,
        ]
    )
    digest = hashlib.sha256(described.encode()).hexdigest()[:32]
    return f"open311:settled-count:{jurisdiction.pk}:{digest}:{_micros(settled_to)}"


def _micros(moment: dt.datetime) -> int:
    return int((moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) / dt.timedelta(microseconds=1))


def encode_cursor(moment: dt.datetime, pk: int) -> str:
    return f"{int(moment.timestamp() * 1_000_000)}.{pk}"


def decode_cursor(cursor: str) -> tuple[dt.datetime, int] | None:
    """The (time, id) a cursor names; None for none. A malformed cursor raises ValueError."""
    if not cursor:
        return None
    micros, _dot, pk = cursor.partition(".")
    if len(cursor) > 40 or not micros.lstrip("-").isdigit() or not pk.isdigit():
        raise ValueError(cursor)
    moment = dt.datetime.fromtimestamp(0, dt.UTC) + dt.timedelta(microseconds=int(micros))
    return moment, int(pk)


def request_by_tracking_number(
    jurisdiction: Jurisdiction, tracking_number: str, *, extensions: bool
) -> ServiceRequest | None:
    number = normalize_tracking_number(tracking_number)
    if not number or len(number) > TRACKING_NUMBER_MAX or "\x00" in number:
        return None
    found = fetch_for_output(
        public_requests(jurisdiction).filter(tracking_number=number)[:1], jurisdiction, extensions=extensions
    )
    return found[0] if found else None


def normalize_tracking_number(value: str) -> str:
    return "".join((value or "").split()).lstrip("#")


def fetch_for_output(
    requests: QuerySet[ServiceRequest], jurisdiction: Jurisdiction, *, extensions: bool
) -> list[ServiceRequest]:
    """The requests with what the serializer reads: a page costs the same few queries at any size.

    Sets `public_photos` on each request, and with extensions `public_history`, `follow_ons` (public
    child requests) and the service's attributes in their order. A page of a thousand requests has only
    a few services and departments: they are read once each and shared, instead of being joined onto
    every row (which made five model objects per request).
    """
    requests = requests.prefetch_related(
        Prefetch(
            "photos",
            queryset=Photo.objects.filter(is_public=True).order_by("created_at", "pk"),
            to_attr="public_photos",
        ),
    )
    if not extensions:
        # Only what the plain output shows: the answers' JSON and the staff-only columns stay unread.
        requests = requests.only("jurisdiction_id", *PLAIN_OUTPUT_FIELDS)
    else:
        requests = requests.select_related("neighborhood", "duplicate_of", "parent").prefetch_related(
            Prefetch(
                "history",
                queryset=HistoryEntry.objects.filter(is_public=True).order_by("created_at", "pk"),
                to_attr="public_history",
            ),
            Prefetch(
                "children",
                queryset=ServiceRequest.objects.filter(is_private=False)
                .select_related("service")
                .order_by("requested_at", "pk"),
                to_attr="follow_ons",
            ),
        )
    rows: list[ServiceRequest] = list(requests)
    if not rows:
        return rows
    services = Service.objects.filter(pk__in={row.service_id for row in rows}).select_related("group")
    if extensions:
        services = services.prefetch_related(
            Prefetch(
                "attributes", queryset=ServiceAttribute.objects.order_by("order", "pk"), to_attr="ordered_attributes"
            )
        )
    services_by_id = {service.pk: service for service in services}
    departments = {
        department.pk: department
        for department in Department.objects.filter(pk__in={row.department_id for row in rows})
    }
    for row in rows:
        # What select_related would have set, without a join per row.
        ServiceRequest.service.field.set_cached_value(row, services_by_id[row.service_id])
        ServiceRequest.department.field.set_cached_value(row, departments[row.department_id])
        ServiceRequest.jurisdiction.field.set_cached_value(row, jurisdiction)
    return rows


def fetch_plain(requests: QuerySet[ServiceRequest]) -> PlainRequests:
    """A page without extensions as tuples: what `fetch_for_output` reads, with no model object per request.

    One SELECT of exactly the columns shown (`PlainRow`), then the page's services, departments and public
    photos (oldest first, as `fetch_for_output`'s prefetch) once each. `serializers.plain_requests` makes
    the output from it.
    """
    rows = [PlainRow._make(values) for values in requests.values_list(*PLAIN_OUTPUT_FIELDS)]
    if not rows:
        return PlainRequests()
    services = {service.pk: service for service in Service.objects.filter(pk__in={row.service_id for row in rows})}
    departments = {
        department.pk: department
        for department in Department.objects.filter(pk__in={row.department_id for row in rows})
    }
    photos: dict[int, list[str]] = {}
    for request_id, name in (
        Photo.objects.filter(service_request_id__in=[row.pk for row in rows], is_public=True)
        .order_by("created_at", "pk")
        .values_list("service_request_id", "image")
    ):
        photos.setdefault(request_id, []).append(name)
    return PlainRequests(rows, services, departments, photos)
