"""Reads for the public open-data export: which requests, which columns, in which order.

One queryset (`export_rows`) says what is published; two ways read it:

- `chunks()`: keyset pages through the ORM (any database), lists of rows of Python values;
- `copy_chunks()`: PostgreSQL's COPY of the same SELECT, as CSV lines or one GeoJSON Feature a line,
  streamed as bytes straight from the server (no row is ever a Python object).

Both give the same bytes once written (`export.py`); the tests hold them to it. Nothing here returns a
private request, the requester, the customer, internal notes or the answers to a service's questions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import (
    Case,
    CharField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat

from civic311.catalogue.models import Service
from civic311.db_routing import heavy_read_alias
from civic311.jurisdictions import tracking_numbers
from civic311.jurisdictions.models import Jurisdiction
from civic311.service_requests.lifecycle import FINAL_STATES
from civic311.service_requests.models import Photo, ServiceRequest

from .columns import CLOSED, DESCRIPTION_COLUMN, OPEN, PUBLIC_CASES_COLUMNS

# Rows per keyset page: a page is read, written and forgotten before the next.
CHUNK_SIZE = 5_000
# COPY hands over one row at a time; rows are gathered into pieces of about this size for the response.
COPY_BUFFER_BYTES = 256 * 1024
# formats.timestamp's output (`2026-11-23T10:00:00-05:00`) in PostgreSQL, in the session's TimeZone.
PG_TIMESTAMP = 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'
# The dataset page's figures are cached this long: counting millions of rows on each view would not do.
SUMMARY_SECONDS = 300
# Below this many (estimated) rows the page counts exactly; above it the planner's estimate is shown.
EXACT_COUNT_BELOW = 100_000

TIMESTAMP_COLUMNS = ("requested_datetime", "updated_datetime", "expected_datetime", "closed_datetime")
NUMBER_COLUMNS = ("objectid", "lat", "lon")
_TIMESTAMP_FIELDS = dict(
    zip(TIMESTAMP_COLUMNS, ("requested_at", "updated_at", "expected_at", "closed_at"), strict=True)
)


class UnknownServiceCodes(ValueError):
    """Some of the service codes asked for name no service of the jurisdiction."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(", ".join(codes))
        self.codes = codes


@dataclass(frozen=True)
class ExportFilter:
    """Which requests: `requested_from` ≤ requested < `requested_before`, any of `service_ids` (all when
    empty), updated at or after `updated_after` (then ordered by update, for harvesters)."""

    requested_from: dt.datetime | None = None
    requested_before: dt.datetime | None = None
    service_ids: tuple[int, ...] = ()
    updated_after: dt.datetime | None = None


@dataclass(frozen=True)
class Export:
    """One export: a jurisdiction's public requests, filtered, with stored photos linked under `photo_base`
    (the absolute URL of MEDIA_URL, e.g. `https://311.example.gov/media/`)."""

    jurisdiction: Jurisdiction
    filter: ExportFilter = field(default_factory=ExportFilter)
    photo_base: str = ""

    @property
    def with_description(self) -> bool:
        return self.jurisdiction.publish_descriptions

    @property
    def columns(self) -> tuple[str, ...]:
        return (*PUBLIC_CASES_COLUMNS, DESCRIPTION_COLUMN) if self.with_description else PUBLIC_CASES_COLUMNS

    @property
    def by_update(self) -> bool:
        """Harvesting: ordered by (updated, id) so a broken download can resume where it stopped."""
        return self.filter.updated_after is not None


def services_for_codes(jurisdiction: Jurisdiction, codes: Iterable[str]) -> tuple[int, ...]:
    """The ids of the jurisdiction's services with these codes (retired ones too: their history is
    published); UnknownServiceCodes naming any code that matches none."""
    wanted = list(dict.fromkeys(code for code in codes if code))
    found = dict(Service.objects.filter(jurisdiction=jurisdiction, code__in=wanted).values_list("code", "pk"))
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise UnknownServiceCodes(unknown)
    return tuple(found[code] for code in wanted)


def published_services(jurisdiction: Jurisdiction) -> QuerySet[Service]:
    """The services whose requests the dataset holds (not the information-only ones), for the page."""
    return (
        Service.objects.filter(jurisdiction=jurisdiction, kind=Service.Kind.REQUEST)
        .select_related("department")
        .order_by("name", "code")
    )


def public_requests(jurisdiction: Jurisdiction) -> QuerySet[ServiceRequest]:
    """Every request of the jurisdiction the public may see."""
    return ServiceRequest.objects.filter(jurisdiction=jurisdiction, is_private=False)


@dataclass(frozen=True)
class ExampleRow:
    """What the dataset page shows as each column's example: the city's own, not another city's."""

    objectid: str
    service_request_id: str
    service: Service | None
    department_name: str
    address: str
    zipcode: str
    lat: float
    lon: float


def example_row(jurisdiction: Jurisdiction) -> ExampleRow:
    """The newest public request with an address (already in the dataset for anyone to read); for a
    city with none yet, its first published service at the middle of the city."""
    latest = (
        public_requests(jurisdiction)
        .exclude(address="")
        .exclude(lat=None)
        .select_related("service", "department")
        .order_by("-pk")
        .first()
    )
    if latest is not None and latest.lat is not None and latest.long is not None:
        return ExampleRow(
            str(latest.pk),
            latest.tracking_number,
            latest.service,
            latest.department.name,
            latest.address,
            latest.zipcode,
            latest.lat,
            latest.long,
        )
    service = published_services(jurisdiction).first()
    middle = jurisdiction.boundary_shape.representative_point() if jurisdiction.boundary_shape is not None else None
    lat = middle.y if middle is not None else (jurisdiction.min_lat + jurisdiction.max_lat) / 2
    lon = middle.x if middle is not None else (jurisdiction.min_long + jurisdiction.max_long) / 2
    return ExampleRow(
        "1",
        str(tracking_numbers.next_number(jurisdiction)),
        service,
        service.department.name if service is not None else "",
        "",
        "",
        lat,
        lon,
    )


def _filtered(export: Export) -> QuerySet[ServiceRequest]:
    wanted = export.filter
    requests = public_requests(export.jurisdiction)
    if wanted.requested_from is not None:
        requests = requests.filter(requested_at__gte=wanted.requested_from)
    if wanted.requested_before is not None:
        requests = requests.filter(requested_at__lt=wanted.requested_before)
    if wanted.service_ids:
        requests = requests.filter(service_id__in=wanted.service_ids)
    if wanted.updated_after is not None:
        requests = requests.filter(updated_at__gte=wanted.updated_after)
    return requests


def _first_public_photo(export: Export) -> Subquery:
    """The absolute URL of a request's first public photo (by when it was added), or NULL."""
    return Subquery(
        Photo.objects.filter(service_request=OuterRef("pk"), is_public=True)
        .order_by("created_at", "pk")
        .annotate(url=Concat(Value(export.photo_base), "image", output_field=CharField()))
        .values("url")[:1]
    )


def _columns(export: Export, *, for_copy: bool) -> dict[str, Any]:
    """Each column's expression, in the dataset's order. English names (the dataset's language).

    For the ORM path, raw values that `export.py` formats. For COPY, timestamps already as text in the
    session's zone, and `media_url` the request's own link only: `copy_sql` adds the photo.
    """
    columns: dict[str, Any] = {
        "objectid": F("id"),
        "service_request_id": F("tracking_number"),
        "subject": F("service__name"),
        "status": Case(
            When(status__in=FINAL_STATES, then=Value(CLOSED)), default=Value(OPEN), output_field=CharField()
        ),
        "status_notes": F("status_notes"),
        "service_name": F("service__name"),
        "service_code": F("service__code"),
        "agency_responsible": F("department__name"),
        "service_notice": F("service__service_notice"),
        **{column: F(name) for column, name in _TIMESTAMP_FIELDS.items()},
        "address": F("address"),
        "zipcode": F("zipcode"),
        # A photo the client hosts itself comes first, as in Open311; else the first public stored one.
        "media_url": F("media_url")
        if for_copy
        else Case(
            When(media_url="", then=Coalesce(_first_public_photo(export), Value(""))),
            default=F("media_url"),
            output_field=CharField(),
        ),
        "lat": F("lat"),
        "lon": F("long"),
    }
    if export.with_description:
        columns[DESCRIPTION_COLUMN] = F("description")
    if for_copy:
        for column in TIMESTAMP_COLUMNS:
            columns[column] = Func(columns[column], Value(PG_TIMESTAMP), function="to_char", output_field=CharField())
        for column in ("lat", "lon"):
            # + 0 turns -0 into 0, which Python's writers can print the same (json.dumps has no "-0").
            columns[column] = ExpressionWrapper(columns[column] + Value(0.0), output_field=FloatField())
    return columns


def sql_name(column: str) -> str:
    """A column's name in the SQL (prefixed: `status`, `address`… would clash with the model's fields)."""
    return f"col_{column}"


def export_rows(export: Export, *, for_copy: bool = False) -> QuerySet[ServiceRequest, tuple[Any, ...]]:
    """The published rows as tuples, in the export's order: the dataset's columns in order (named
    `sql_name(column)`), then for COPY the raw update time (`keyset_updated`, which COPY orders by) and
    the photos' base URL (`photo_base`)."""
    selected = {sql_name(column): expression for column, expression in _columns(export, for_copy=for_copy).items()}
    if for_copy:
        selected["keyset_updated"] = F("updated_at")
        selected["photo_base"] = Value(export.photo_base, output_field=CharField())
    rows = _filtered(export).annotate(**selected).values_list(*selected)
    return rows.order_by(*(("updated_at", "id") if export.by_update else ("id",)))


# --- the ORM path: keyset pages ------------------------------------------------------------------


def chunks(
    export: Export,
    *,
    chunk_size: int | None = None,
    using: str | None = None,
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows in pages of `chunk_size` (default CHUNK_SIZE), each row a tuple in `export.columns`'
    order: ints, strings, floats or None, datetimes aware in UTC. One query a page, never OFFSET: each
    page starts after the last row of the one before, so the cost of a page does not grow with depth."""
    size = chunk_size or CHUNK_SIZE
    rows = export_rows(export).using(using or heavy_read_alias())
    # The keyset: the row's id and, when ordered by update, its (raw) update time.
    id_at, updated_at = export.columns.index("objectid"), export.columns.index("updated_datetime")
    after: Q | None = None
    while True:
        page = list((rows.filter(after) if after is not None else rows)[:size])
        if not page:
            return
        yield page
        if len(page) < size:
            return
        last_id, last_updated = page[-1][id_at], page[-1][updated_at]
        if export.by_update:
            after = Q(updated_at__gt=last_updated) | Q(updated_at=last_updated, id__gt=last_id)
        else:
            after = Q(id__gt=last_id)


# --- the PostgreSQL path: COPY -----------------------------------------------------------------


def _is_whole_dataset(export: Export) -> bool:
    return export.filter == ExportFilter()


def copy_sql(export: Export, fmt: str, alias: str) -> tuple[str, tuple[Any, ...]]:
    """The COPY statement for `fmt` and its parameters (psycopg binds them on the client side).

    "csv": the CSV lines, no header (`export.py` writes it); empty text as NULL, which COPY writes as
    an empty field, as Python's csv module writes "". "geojson": one compact Feature a line in COPY's
    text format, its properties by row_to_json (JSON's escaping; numbers as PostgreSQL prints float8,
    which `export.py` copies; absent values null, empty text "").

    The rows (`r`) are the ORM's query, compiled. The first public photo is joined here: for the whole
    dataset by one pass over the public photos (a merge join on the request's id: next to nothing a row,
    where an index look-up per request measured ~2 µs of the ~8 µs a CSV row costs the database); for a
    filtered export, which may be a few rows, by that look-up per row instead of a pass over every photo.
    """
    select, params = export_rows(export, for_copy=True).using(alias).query.get_compiler(using=alias).as_sql()
    photos, image = Photo._meta.db_table, Photo._meta.get_field("image").column
    request_id = f"r.{sql_name('objectid')}"
    if _is_whole_dataset(export):
        photo = "r.photo_base || ph.image"
        # Names are the models' own and values parameters: nothing here comes from the request.
        join = (
            f" LEFT JOIN (SELECT DISTINCT ON (p.service_request_id) p.service_request_id, p.{image} AS image"  # noqa: S608
            f" FROM {photos} AS p WHERE p.is_public ORDER BY p.service_request_id, p.created_at, p.id) AS ph"
            f" ON ph.service_request_id = {request_id}"
        )
    else:
        photo = (
            f"r.photo_base || (SELECT p.{image} FROM {photos} AS p WHERE p.service_request_id = {request_id}"  # noqa: S608
            f" AND p.is_public ORDER BY p.created_at, p.id LIMIT 1)"
        )
        join = ""
    order = f" ORDER BY r.keyset_updated, {request_id}" if export.by_update else f" ORDER BY {request_id}"
    values = []
    for column in export.columns:
        value = f"r.{sql_name(column)}"
        if column == "media_url":
            value = f"CASE WHEN {value} = '' THEN COALESCE({photo}, '') ELSE {value} END"
        if fmt == "csv" and column not in NUMBER_COLUMNS and column not in TIMESTAMP_COLUMNS:
            value = f"NULLIF({value}, '')"
        values.append(f"{value} AS {column}")
    rows = f"FROM ({select}) AS r{join}"
    if fmt == "csv":
        return f"COPY (SELECT {', '.join(values)} {rows}{order}) TO STDOUT WITH (FORMAT csv)", tuple(params)
    if fmt == "geojson":
        lat, lon = f"r.{sql_name('lat')}", f"r.{sql_name('lon')}"
        geometry = (
            f"CASE WHEN {lat} IS NULL OR {lon} IS NULL THEN 'null' ELSE "
            f"""'{{"type":"Point","coordinates":[' || {lon} || ',' || {lat} || ']}}' END"""
        )
        feature = (
            f"""'{{"type":"Feature","geometry":' || {geometry} || ',"properties":' """
            f"|| row_to_json(properties)::text || '}}'"
        )
        return (
            (
                f"COPY (SELECT {feature} {rows} CROSS JOIN LATERAL (SELECT {', '.join(values)}) AS properties"
                f"{order}) TO STDOUT"
            ),
            tuple(params),
        )
    raise ValueError(fmt)


def copy_chunks(export: Export, fmt: str, *, using: str | None = None) -> Iterator[bytes]:
    """COPY's output for `fmt` (see `copy_sql`) in pieces of about COPY_BUFFER_BYTES, whole lines each.

    One statement, so one consistent snapshot, in a transaction on the heavy-read database, with the
    session's TimeZone set to the jurisdiction's (timestamps print in its zone, DST included) and no
    statement timeout (an export of millions of rows is meant to take a minute). Both settings are
    local to the transaction. Closing the generator early (the client went away) cancels the COPY.
    """
    alias = using or heavy_read_alias()
    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise RuntimeError("COPY needs PostgreSQL")
    sql, params = copy_sql(export, fmt, alias)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone'), current_setting('statement_timeout')")
        zone_before, timeout_before = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('TimeZone', %s, true), set_config('statement_timeout', '0', true)",
            [export.jurisdiction.time_zone],
        )
        with cursor.cursor.copy(sql, params) as copy:
            pending: list[bytes] = []
            size = 0
            for data in copy:
                pending.append(bytes(data))
                size += len(data)
                if size >= COPY_BUFFER_BYTES:
                    yield b"".join(pending)
                    pending, size = [], 0
            if pending:
                yield b"".join(pending)
        # Inside an outer transaction (tests, a caller's atomic block) a savepoint keeps SET LOCAL's
        # values until the outer commit; put them back for whatever the connection runs next.
        cursor.execute(
            "SELECT set_config('TimeZone', %s, true), set_config('statement_timeout', %s, true)",
            [zone_before, timeout_before],
        )


# --- the dataset page's figures ------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetSummary:
    rows: int
    is_estimate: bool
    last_updated: dt.datetime | None


def dataset_summary(jurisdiction: Jurisdiction) -> DatasetSummary:
    """How many public requests there are (the planner's estimate on PostgreSQL when there are many:
    a COUNT of millions of rows on every page view would not do) and when one last changed; cached."""
    key = f"opendata:summary:{jurisdiction.pk}"
    summary: DatasetSummary | None = cache.get(key)
    if summary is None:
        summary = _summary(jurisdiction)
        cache.set(key, summary, SUMMARY_SECONDS)
    return summary


def _summary(jurisdiction: Jurisdiction) -> DatasetSummary:
    alias = heavy_read_alias()
    requests = public_requests(jurisdiction).using(alias)
    last_updated = requests.order_by("-updated_at").values_list("updated_at", flat=True).first()
    estimate = _planner_estimate(requests, alias)
    if estimate is not None and estimate >= EXACT_COUNT_BELOW:
        return DatasetSummary(rows=round(estimate, -3), is_estimate=True, last_updated=last_updated)
    return DatasetSummary(rows=requests.count(), is_estimate=False, last_updated=last_updated)


def _planner_estimate(requests: QuerySet[ServiceRequest], alias: str) -> int | None:
    """PostgreSQL's estimate of the rows (from pg_class.reltuples and the column statistics): about a
    millisecond whatever the size. None elsewhere."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    sql, params = requests.values("id").query.get_compiler(using=alias).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):  # Django has psycopg hand json over as text
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
