"""The bulk importer's machinery: rows of a 311 export checked into plain lists, and batches of them
written in bulk. The rule that runs it (batches, transactions, the tracking-number sequence) is
`civic311.opendata.services.import_requests`.

Speed matters (a city's history is millions of rows), so there are no model instances and no per-row
queries: the csv module, one closure that checks a row into a list, the catalogue and the geography
loaded once, the neighborhood and boundary lookups vectorised with shapely per batch, then COPY into a
staging table and one INSERT … SELECT … ON CONFLICT on PostgreSQL, or one executemany upsert on SQLite.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import h3
import numpy as np
import shapely
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.strtree import STRtree

from civic311.catalogue.models import Service
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.service_requests.lifecycle import FINAL_STATES, Status
from civic311.service_requests.models import Channel, HistoryEntry, ServiceRequest

from .mapping import ISO, ColumnMapping, normalized

# Why a row was not loaded: the code goes in the rejects file, the words on the terminal.
REASONS: dict[str, Promise] = {
    "columns": gettext_lazy("wrong number of columns"),
    "encoding": gettext_lazy("not valid text in the file's encoding"),
    "nul_character": gettext_lazy("contains a NUL character"),
    "missing_id": gettext_lazy("no id"),
    "bad_id": gettext_lazy("id cannot be a tracking number"),
    "duplicate_id": gettext_lazy("id already on an earlier line"),
    "unknown_service": gettext_lazy("service not in the catalogue"),
    "not_a_request_service": gettext_lazy("service takes no requests (information only)"),
    "unknown_status": gettext_lazy("status not in the mapping"),
    "missing_date": gettext_lazy("no requested time"),
    "bad_date": gettext_lazy("date not understood"),
    "closed_before_requested": gettext_lazy("closed before it was requested"),
    "bad_coordinates": gettext_lazy("coordinates are not numbers, or only one is given"),
    "outside_city": gettext_lazy("coordinates outside the city"),
    "too_long": gettext_lazy("a value is too long"),
    "bad_media_url": gettext_lazy("media URL is not an http or https address"),
    "unreadable": gettext_lazy("not readable as CSV (a quote left open?)"),
}

# A tracking number appears in URLs (/track/<number>/): no spaces, slashes or other punctuation.
TRACKING_NUMBER = re.compile(r"[A-Za-z0-9._:-]+")
# A photo link: http or https, no spaces (no other scheme may ever reach a page).
WEB_ADDRESS = re.compile(r"https?://\S+\Z", re.IGNORECASE)
TRACKING_NUMBER_MAX = ServiceRequest._meta.get_field("tracking_number").max_length or 32
BIGINT_MAX = 2**63 - 1

# The staged row, in this order (foreign keys as ids, datetimes aware).
STAGED_FIELDS = (
    "tracking_number",
    "service",
    "department",
    "channel",
    "status",
    "status_notes",
    "description",
    "address",
    "zipcode",
    "lat",
    "long",
    "neighborhood",
    "h3_cell",
    "media_url",
    "requested_at",
    "updated_at",
    "expected_at",
    "closed_at",
)
# Their PostgreSQL types: the staging table's, for the binary COPY (the INSERT casts them to the model's).
COPY_TYPES = (
    "text",
    "int8",
    "int8",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "float8",
    "float8",
    "int8",
    "text",
    "text",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
)
NEIGHBORHOOD_AT = STAGED_FIELDS.index("neighborhood")
LAT_AT, LONG_AT = STAGED_FIELDS.index("lat"), STAGED_FIELDS.index("long")
REQUESTED_AT = STAGED_FIELDS.index("requested_at")
# Which of our mapped fields let the import change a stored column on a re-run (the others always do).
OPTIONAL_UPDATES = {
    "channel": ("channel",),
    "status_notes": ("status_notes",),
    "description": ("description",),
    "address": ("address",),
    "zipcode": ("zipcode",),
    "media_url": ("media_url",),
    "expected_at": ("expected_at",),
    "lat": ("lat", "long", "neighborhood", "h3_cell"),
}
ALWAYS_UPDATED = ("service", "status", "requested_at", "updated_at", "closed_at")


class SourceError(Exception):
    """The file cannot be imported with this mapping at all (no header, a required column missing)."""


Rejection = tuple[str, str]  # (reason code, detail)


@dataclass(frozen=True)
class Reject:
    line: int
    reason: str
    detail: str
    row: Sequence[str]


@dataclass
class Batch:
    number: int
    first_line: int
    last_line: int = 0
    read: int = 0
    rows: list[list[Any]] = field(default_factory=list)
    raw: list[list[str]] = field(default_factory=list)  # each accepted row as read, for a late rejection
    lines: list[int] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def top_number(self) -> int | None:
        """The highest all-digit id in the batch (a number new requests must stay above)."""
        # Beyond a bigint no allocated number can ever reach it: such an id needs no room kept.
        return max(
            (
                number
                for number in (int(row[0]) for row in self.rows if row[0].isdigit() and len(row[0]) < 20)
                if number < BIGINT_MAX
            ),
            default=None,
        )


# --- the catalogue and the geography, loaded once per import ----------------------------------------------


class ServiceFinder:
    """The service a row is for: by the mapping's value map, then by code, then by name."""

    def __init__(self, jurisdiction: Jurisdiction, mapping: ColumnMapping) -> None:
        self.values = mapping.service_values
        self.by_code: dict[str, tuple[int, int, bool]] = {}
        self.by_folded_code: dict[str, tuple[int, int, bool]] = {}
        self.by_name: dict[str, tuple[int, int, bool]] = {}
        services = (
            Service.objects.filter(jurisdiction=jurisdiction)
            .values_list("pk", "code", "name", "department_id", "kind", "is_active")
            .order_by("pk")
        )
        # Where two services share a name, one that takes requests wins, then the older one.
        for pk, code, name, department_id, kind, _active in sorted(
            services, key=lambda s: (not (s[4] == Service.Kind.REQUEST and s[5]), s[0])
        ):
            known = (pk, department_id, kind == Service.Kind.REQUEST)
            self.by_code.setdefault(code, known)
            self.by_folded_code.setdefault(normalized(code), known)
            self.by_name.setdefault(normalized(name), known)

    def find(self, code: str, name: str) -> tuple[int, int] | Rejection:
        found = None
        code, name = code.strip(), name.strip()
        if code:
            mapped = self.values.get(normalized(code))
            found = (
                (self.by_code.get(mapped) if mapped else None)
                or self.by_code.get(code)
                or self.by_folded_code.get(normalized(code))
            )
        if found is None and name:
            mapped = self.values.get(normalized(name))
            found = self.by_code.get(mapped) if mapped else self.by_name.get(normalized(name))
        if found is None:
            shown = " / ".join(value for value in (code, name) if value)
            return "unknown_service", f"“{shown[:80]}”"
        if not found[2]:
            return "not_a_request_service", f"“{(code or name)[:80]}”"
        return found[0], found[1]


class Geography:
    """The city's bounds and boundary and its neighborhoods, for many points at once.

    Same rule as `places.neighborhood_id_at`: the neighborhood that covers the point, and on an edge two
    neighborhoods share, the older one (lower primary key).
    """

    def __init__(self, jurisdiction: Jurisdiction) -> None:
        self.boundary = jurisdiction.boundary_shape
        if self.boundary is not None:
            shapely.prepare(self.boundary)
        rows = list(Neighborhood.objects.filter(jurisdiction=jurisdiction).order_by("pk"))
        self.neighborhood_ids = np.array([row.pk for row in rows], dtype=np.int64)
        self.tree = STRtree([row.boundary_shape for row in rows]) if rows else None

    def locate(self, lats: Sequence[float], longs: Sequence[float]) -> tuple[np.ndarray, list[int | None]]:
        """(inside the city's boundary, the neighborhood id or None) for each point."""
        count = len(lats)
        points = shapely.points(np.asarray(longs, dtype=float), np.asarray(lats, dtype=float))
        inside = (
            np.asarray(shapely.covers(self.boundary, points), dtype=bool)
            if self.boundary is not None
            else np.ones(count, dtype=bool)
        )
        found: list[int | None] = [None] * count
        if self.tree is not None and count:
            point_at, shape_at = self.tree.query(points, predicate="covered_by")
            # Sorted by point, then by neighborhood (pk order): each point's first pair is its neighborhood.
            order = np.lexsort((shape_at, point_at))
            point_at, shape_at = point_at[order], shape_at[order]
            first = np.ones(len(point_at), dtype=bool)
            first[1:] = point_at[1:] != point_at[:-1]
            for position, neighborhood in zip(
                point_at[first].tolist(), self.neighborhood_ids[shape_at[first]].tolist(), strict=True
            ):
                found[position] = neighborhood
        return inside, found


# --- dates -------------------------------------------------------------------------------------------------


def date_parser(formats: Sequence[str], zone: dt.tzinfo) -> Callable[[str], dt.datetime | None]:
    """text → an aware datetime (naive ones are in `zone`), None for blank; ValueError when no format fits.

    "iso" is `datetime.fromisoformat` (fast: "2016-08-01T12:00:00-04:00", "2016-08-01 12:00:00",
    "…Z", "…+00"); other formats are strptime patterns, tried in order, the last one that worked first.
    """
    patterns = list(formats)
    only_iso = patterns == [ISO]
    fromisoformat, strptime = dt.datetime.fromisoformat, dt.datetime.strptime
    # strptime is slow (~25 µs); exports repeat timestamps (midnight closes, whole minutes), so remember some.
    remembered: dict[str, dt.datetime] = {}

    def parse(text: str) -> dt.datetime | None:
        text = text.strip()
        if not text:
            return None
        if only_iso:
            value = fromisoformat(text)
        else:
            value = remembered.get(text)  # type: ignore[assignment]
            if value is not None:
                return value
            for position, pattern in enumerate(patterns):
                try:
                    value = fromisoformat(text) if pattern == ISO else strptime(text, pattern)
                except ValueError:
                    continue
                if position:
                    patterns.insert(0, patterns.pop(position))
                break
            else:
                raise ValueError(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        if not only_iso:
            if len(remembered) > 200_000:
                remembered.clear()
            remembered[text] = value
        return value

    return parse


# --- rows --------------------------------------------------------------------------------------------------


class RowChecker:
    """Checks one source row into a staged row (a list in STAGED_FIELDS order) or a Rejection.

    The header decides which mapped columns are there: a required one missing is a SourceError, an
    optional one missing is left out (and said in `notes`).
    """

    def __init__(
        self, jurisdiction: Jurisdiction, mapping: ColumnMapping, header: Sequence[str], services: ServiceFinder
    ) -> None:
        self.header = [name.strip() for name in header]
        self.width = len(header)
        self.notes: list[str] = []
        positions = self._positions(mapping)
        self.present = frozenset(positions)  # our fields the file gives
        self.check = self._checker(jurisdiction, mapping, positions, services)

    def _positions(self, mapping: ColumnMapping) -> dict[str, int]:
        exact = {name: i for i, name in reversed(list(enumerate(self.header)))}
        folded = {normalized(name): i for i, name in reversed(list(enumerate(self.header)))}
        positions: dict[str, int] = {}
        missing_required: list[str] = []
        for ours, column in mapping.columns.items():
            position = exact.get(column, folded.get(normalized(column)))
            if position is not None:
                positions[ours] = position
            elif ours in ("tracking_number", "status", "requested_at"):
                missing_required.append(column)
            else:
                self.notes.append(
                    _("The file has no column “%(column)s” (%(field)s): left out.") % {"column": column, "field": ours}
                )
        if "service_code" not in positions and "service_name" not in positions:
            missing_required.extend(
                mapping.columns[name] for name in ("service_code", "service_name") if name in mapping.columns
            )
        if ("lat" in positions) != ("long" in positions):
            positions.pop("lat", None)
            positions.pop("long", None)
            self.notes.append(_("The file has only one of the coordinate columns: coordinates left out."))
        if missing_required:
            raise SourceError(
                _("The file has no column %(columns)s, which the mapping needs. Its columns are: %(header)s.")
                % {"columns": ", ".join(f"“{c}”" for c in missing_required), "header": ", ".join(self.header)[:500]}
            )
        return positions

    def _checker(
        self, jurisdiction: Jurisdiction, mapping: ColumnMapping, positions: dict[str, int], services: ServiceFinder
    ) -> Callable[[list[str], int], list[Any] | Rejection]:
        # Everything the loop needs is a local of this closure, and the common path makes no call it can
        # avoid: at a million rows, each microsecond a row is a second.
        width = self.width
        seen: dict[str, int] = {}  # id → the line it was first seen on (duplicates within the file)
        header = self.header
        at = positions.get
        i_id, i_status, i_requested = positions["tracking_number"], positions["status"], positions["requested_at"]
        i_code, i_name = at("service_code"), at("service_name")
        i_notes, i_channel, i_description = at("status_notes"), at("channel"), at("description")
        i_updated, i_expected, i_closed = at("updated_at"), at("expected_at"), at("closed_at")
        i_address, i_zipcode, i_media = at("address"), at("zipcode"), at("media_url")
        i_lat, i_long = at("lat"), at("long")
        max_address, max_zipcode, max_media = _max_length("address"), _max_length("zipcode"), _max_length("media_url")
        min_lat, max_lat, min_long, max_long = (
            jurisdiction.min_lat,
            jurisdiction.max_lat,
            jurisdiction.min_long,
            jurisdiction.max_long,
        )
        parse_date = date_parser(mapping.date_formats, mapping.zone(jurisdiction.zone))
        service_of: dict[tuple[str, str], tuple[int, int] | Rejection] = {}
        status_of: dict[str, str | None] = {}
        channel_of: dict[str, str] = {}
        status_values, channel_values = mapping.status_values, mapping.channel_values
        statuses, channels = frozenset(Status.values), frozenset(Channel.values)
        default_channel = mapping.default_channel
        final = frozenset(FINAL_STATES)
        cell = h3.latlng_to_cell
        resolution = places.H3_RESOLUTION
        id_pattern = TRACKING_NUMBER.fullmatch
        web_address = WEB_ADDRESS.match
        isfinite = math.isfinite

        def bad_date(row: list[str], position: int) -> Rejection:
            return "bad_date", f"{header[position]}: “{row[position].strip()[:40]}”"

        def too_long(position: int, limit: int) -> Rejection:
            return "too_long", _("%(column)s: more than %(max)d characters") % {
                "column": header[position],
                "max": limit,
            }

        def check(row: list[str], line: int) -> list[Any] | Rejection:
            if len(row) != width:
                return "columns", _("%(got)d columns, the header has %(width)d") % {"got": len(row), "width": width}
            joined = "".join(row)
            if "\x00" in joined:
                return "nul_character", ""
            if not joined.isascii():
                try:
                    joined.encode("utf-8")
                except UnicodeEncodeError:  # bytes the file's encoding could not read (kept as surrogates)
                    return "encoding", ""

            number = row[i_id].strip()
            if not number:
                return "missing_id", ""
            if len(number) > TRACKING_NUMBER_MAX or not id_pattern(number):
                return "bad_id", f"“{number[:40]}”"
            first = seen.get(number)
            if first is not None:
                return "duplicate_id", _("first on line %(line)d") % {"line": first}
            seen[number] = line

            key = (row[i_code] if i_code is not None else "", row[i_name] if i_name is not None else "")
            service = service_of.get(key)
            if service is None:
                service = service_of[key] = services.find(*key)
            if type(service[0]) is str:
                return service

            raw_status = row[i_status]
            status = status_of.get(raw_status, "")
            if status == "":
                folded = normalized(raw_status)
                status = status_of[raw_status] = status_values.get(folded) or (folded if folded in statuses else None)
            if status is None:
                return "unknown_status", f"“{raw_status.strip()[:40]}”"

            try:
                requested = parse_date(row[i_requested])
            except (ValueError, OverflowError):
                return bad_date(row, i_requested)
            if requested is None:
                return "missing_date", ""
            updated = given_update = expected = closed = None
            if i_updated is not None:
                try:
                    given_update = parse_date(row[i_updated])
                except (ValueError, OverflowError):
                    return bad_date(row, i_updated)
            if i_expected is not None:
                try:
                    expected = parse_date(row[i_expected])
                except (ValueError, OverflowError):
                    return bad_date(row, i_expected)
            if i_closed is not None:
                try:
                    closed = parse_date(row[i_closed])
                except (ValueError, OverflowError):
                    return bad_date(row, i_closed)
                if closed is not None and closed < requested:
                    return "closed_before_requested", ""
            # The last thing that happened: never before it was requested or closed.
            updated = requested
            if given_update is not None and given_update > updated:
                updated = given_update
            if closed is not None and closed > updated:
                updated = closed
            # A closed request with no close time closed when last updated; an open one (reopened in the
            # source) has no close time here.
            closed = (closed or given_update or requested) if status in final else None

            address = row[i_address].strip() if i_address is not None else ""
            if len(address) > max_address:
                return too_long(i_address, max_address)  # type: ignore[arg-type]
            zipcode = row[i_zipcode].strip() if i_zipcode is not None else ""
            if len(zipcode) > max_zipcode:
                return too_long(i_zipcode, max_zipcode)  # type: ignore[arg-type]
            media_url = row[i_media].strip() if i_media is not None else ""
            if media_url:
                if len(media_url) > max_media:
                    return too_long(i_media, max_media)  # type: ignore[arg-type]
                if web_address(media_url) is None:
                    return "bad_media_url", ""

            lat = long = None
            h3_cell = ""
            if i_lat is not None:
                lat_text, long_text = row[i_lat].strip(), row[i_long].strip()  # type: ignore[index]
                if lat_text or long_text:
                    try:
                        lat, long = float(lat_text), float(long_text)
                    except ValueError:
                        return "bad_coordinates", ""
                    if not (isfinite(lat) and isfinite(long)):
                        return "bad_coordinates", ""
                    if not (min_lat <= lat <= max_lat and min_long <= long <= max_long):
                        return "outside_city", ""
                    h3_cell = cell(lat, long, resolution)

            channel = default_channel
            if i_channel is not None:
                raw_channel = row[i_channel]
                channel = channel_of.get(raw_channel, "")
                if not channel:
                    folded = normalized(raw_channel)
                    channel = channel_of[raw_channel] = channel_values.get(folded) or (
                        folded if folded in channels else default_channel
                    )

            return [
                number,
                service[0],
                service[1],
                channel,
                status,
                row[i_notes].strip() if i_notes is not None else "",
                row[i_description].strip() if i_description is not None else "",
                address,
                zipcode,
                lat,
                long,
                None,
                h3_cell,
                media_url,
                requested,
                updated,
                expected,
                closed,
            ]

        return check


def _max_length(name: str) -> int:
    return getattr(ServiceRequest._meta.get_field(name), "max_length", None) or 10**9


# --- reading -----------------------------------------------------------------------------------------------


class SourceReader:
    """A source file's rows, checked, in batches of `batch_size` rows as read (header excluded).

    The header is read when the reader is made (SourceError for none, or a required column missing);
    `batches()` then reads the rest and touches no database, so it can run in a thread of its own.
    `read`, `accepted` and `rejected` count the rows checked so far.

    Line numbers are the file's physical lines (header = 1), so a quoted value spanning lines counts
    them all; a row's number is the line it starts on.
    """

    def __init__(
        self,
        stream: TextIO,
        checker_for: Callable[[list[str]], RowChecker],
        *,
        delimiter: str,
        batch_size: int,
        geography: Geography,
    ) -> None:
        self.reader = csv.reader(stream, delimiter=delimiter)
        try:
            header = next(self.reader, None)
        except csv.Error as exc:
            raise SourceError(_("The header line cannot be read: %(error)s.") % {"error": exc}) from exc
        if not header or not any(name.strip() for name in header):
            raise SourceError(_("The file is empty: it needs a header line naming its columns."))
        self.checker = checker_for(header)
        self.batch_size = batch_size
        self.geography = geography
        self.read = self.accepted = self.rejected = 0

    def batches(self, tick: Callable[[int, int, int], None] | None = None, tick_every: int = 10_000) -> Iterator[Batch]:
        """The batches; `tick(read, accepted, rejected)` every `tick_every` rows between them."""
        reader, check, batch_size = self.reader, self.checker.check, self.batch_size
        ended = reader.line_num
        number = 1
        batch = Batch(number, first_line=ended + 1)
        rows, raw, lines, rejects = batch.rows, batch.raw, batch.lines, batch.rejects
        in_batch = 0
        checked: list[Any] | Rejection
        while True:
            line = ended + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # e.g. a quote left open swallowed more than the field limit
                row, checked = [], ("unreadable", str(exc))
            else:
                if not row:  # a blank line is not a row
                    ended = reader.line_num
                    continue
                checked = check(row, line)
            ended = reader.line_num
            in_batch += 1
            if type(checked) is tuple:
                rejects.append(Reject(line, checked[0], checked[1], row))
            else:
                rows.append(checked)  # type: ignore[arg-type]
                raw.append(row)
                lines.append(line)
            if in_batch >= batch_size:
                batch.read, batch.last_line = in_batch, ended
                yield self._counted(_located(batch, self.geography))
                number += 1
                batch = Batch(number, first_line=ended + 1)
                rows, raw, lines, rejects = batch.rows, batch.raw, batch.lines, batch.rejects
                in_batch = 0
            elif tick is not None and in_batch % tick_every == 0:
                tick(self.read + in_batch, self.accepted + len(rows), self.rejected + len(rejects))
        if in_batch:
            batch.read, batch.last_line = in_batch, ended
            yield self._counted(_located(batch, self.geography))

    def _counted(self, batch: Batch) -> Batch:
        self.read += batch.read
        self.accepted += len(batch.rows)
        self.rejected += len(batch.rejects)
        return batch


def _located(batch: Batch, geography: Geography) -> Batch:
    """Neighborhoods for the batch's points, and late rejections of points outside the city's boundary."""
    with_point = [i for i, row in enumerate(batch.rows) if row[LAT_AT] is not None]
    if not with_point:
        return batch
    inside, neighborhoods = geography.locate(
        [batch.rows[i][LAT_AT] for i in with_point], [batch.rows[i][LONG_AT] for i in with_point]
    )
    for i, neighborhood_id in zip(with_point, neighborhoods, strict=True):
        batch.rows[i][NEIGHBORHOOD_AT] = neighborhood_id
    if not inside.all():
        outside = {with_point[j] for j in np.flatnonzero(~inside).tolist()}
        batch.rejects.extend(Reject(batch.lines[i], "outside_city", "", batch.raw[i]) for i in sorted(outside))
        batch.rejects.sort(key=lambda reject: reject.line)
        keep = [i for i in range(len(batch.rows)) if i not in outside]
        batch.rows = [batch.rows[i] for i in keep]
        batch.raw = [batch.raw[i] for i in keep]
        batch.lines = [batch.lines[i] for i in keep]
    return batch


# --- writing -----------------------------------------------------------------------------------------------


def _column(model: type[Model], name: str) -> str:
    return str(model._meta.get_field(name).column)  # type: ignore[union-attr]


def _defaults(
    model: type[Model], given: Iterable[str], connection: BaseDatabaseWrapper
) -> list[tuple[str, str, object]]:
    """(column, database type, value) for the model's columns a bulk insert does not give and whose
    default is not NULL, so a column added later with a default does not break the importer."""
    given = set(given)
    defaults = []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.name in given:
            continue
        value = model_field.get_default()
        if value is None:
            continue
        defaults.append(
            (
                str(model_field.column),
                str(model_field.db_type(connection)),
                model_field.get_db_prep_save(value, connection),
            )
        )
    return defaults


class BatchWriter:
    """Upserts staged rows by (jurisdiction, tracking number) and gives each new request its public
    "opened" history entry; `write` returns (inserted, updated). Rows whose stored values already equal
    the file's are left alone (and counted as neither)."""

    STAGING = "opendata_import_rows"

    def __init__(
        self, connection: BaseDatabaseWrapper, jurisdiction: Jurisdiction, *, updates: Iterable[str], actor_label: str
    ) -> None:
        self.connection = connection
        self.jurisdiction_id = jurisdiction.pk
        self.actor_label = actor_label
        quote = connection.ops.quote_name
        self.quote = quote
        self.table = quote(ServiceRequest._meta.db_table)
        self.staged_columns = [_column(ServiceRequest, name) for name in STAGED_FIELDS]
        # Columns the file does not give: the jurisdiction, not private, imported (history: never escalated),
        # and every other column's default. A re-run's update leaves `is_imported` as it was.
        fixed = {"jurisdiction": self.jurisdiction_id, "is_private": False, "is_imported": True}
        self.extra = [
            (_column(ServiceRequest, name), str(ServiceRequest._meta.get_field(name).db_type(connection)), value)
            for name, value in fixed.items()
        ] + _defaults(ServiceRequest, [*STAGED_FIELDS, *fixed], connection)
        self.insert_columns = [*self.staged_columns, *(column for column, _type, _value in self.extra)]
        self.extra_params: list[Any] = [value for _column_name, _type, value in self.extra]
        updated = [*ALWAYS_UPDATED, "department"]
        for name in updates:
            updated.extend(OPTIONAL_UPDATES.get(name, ()))
        self.updated_columns = [_column(ServiceRequest, name) for name in dict.fromkeys(updated)]
        history_given = (
            "service_request",
            "kind",
            "is_public",
            "actor_label",
            "from_status",
            "to_status",
            "text",
            "created_at",
        )
        self.history_table = quote(HistoryEntry._meta.db_table)
        self.history_columns = [_column(HistoryEntry, name) for name in history_given]
        self.history_extra = _defaults(HistoryEntry, [*history_given, "actor"], connection)
        self.history_params: list[Any] = [HistoryEntry.Kind.OPENED, True, actor_label, "", Status.NEW, ""]

    def _set_clause(self, excluded: str, distinct: str) -> tuple[str, str]:
        """The ON CONFLICT … DO UPDATE's SET list and its WHERE (only rows that change)."""
        quote, table = self.quote, self.table
        service, department = quote(_column(ServiceRequest, "service")), quote(_column(ServiceRequest, "department"))
        sets, changed = [], []
        for column in self.updated_columns:
            name = quote(column)
            if name == department:
                # The service's department, unless the service is unchanged: then a transfer made here stays.
                sets.append(
                    f"{name} = CASE WHEN {table}.{service} = {excluded}.{service} THEN {table}.{name} "
                    f"ELSE {excluded}.{name} END"
                )
                continue
            sets.append(f"{name} = {excluded}.{name}")
            changed.append(f"{table}.{name} {distinct} {excluded}.{name}")
        return ", ".join(sets), " OR ".join(changed)

    def write(self, rows: list[list[Any]]) -> tuple[int, int]:
        if not rows:
            return 0, 0
        if self.connection.vendor == "postgresql":
            return self._write_postgresql(rows)
        return self._write_sqlite(rows)

    def existing(self, numbers: Sequence[str]) -> set[str]:
        """Which of these tracking numbers the jurisdiction already has."""
        found: set[str] = set()
        column = self.quote(_column(ServiceRequest, "tracking_number"))
        jurisdiction = self.quote(_column(ServiceRequest, "jurisdiction"))
        with self.connection.cursor() as cursor:
            for start in range(0, len(numbers), 500):
                chunk = numbers[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT {column} FROM {self.table} WHERE {jurisdiction} = %s "  # noqa: S608
                    f"AND {column} IN ({marks})",
                    [self.jurisdiction_id, *chunk],
                )
                found.update(number for (number,) in cursor.fetchall())
        return found

    def _write_postgresql(self, rows: list[list[Any]]) -> tuple[int, int]:
        quote, table = self.quote, self.table
        staging = quote(self.STAGING)
        definitions = ", ".join(
            f"{quote(column)} {copy_type}" for column, copy_type in zip(self.staged_columns, COPY_TYPES, strict=True)
        )
        staged = ", ".join(quote(column) for column in self.staged_columns)
        sets, changed = self._set_clause("EXCLUDED", "IS DISTINCT FROM")
        pk = quote(_column(ServiceRequest, "id"))
        requested = quote(_column(ServiceRequest, "requested_at"))
        tracking = quote(_column(ServiceRequest, "tracking_number"))
        jurisdiction = quote(_column(ServiceRequest, "jurisdiction"))
        history_columns = [*self.history_columns, *(column for column, _t, _v in self.history_extra)]
        history_values = ", ".join(
            [
                pk,
                "%s",
                "%s",
                "%s",
                "%s",
                "%s",
                "%s",
                requested,
                *(f"CAST(%s AS {db_type})" for _c, db_type, _v in self.history_extra),
            ]
        )
        upsert = f"""
            WITH upserted AS (
                INSERT INTO {table} ({", ".join(quote(c) for c in self.insert_columns)})
                SELECT {staged}, {", ".join(f"CAST(%s AS {db_type})" for _c, db_type, _v in self.extra)}
                FROM {staging} ORDER BY {requested}
                ON CONFLICT ({jurisdiction}, {tracking}) DO UPDATE SET {sets} WHERE {changed}
                RETURNING {table}.{pk}, {table}.{requested}, ({table}.xmax = 0) AS inserted
            ), opened AS (
                INSERT INTO {self.history_table} ({", ".join(quote(c) for c in history_columns)})
                SELECT {history_values} FROM upserted WHERE inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
        """  # noqa: S608  (names are the models' own, values are parameters)
        with self.connection.cursor() as cursor:
            # Dropped when the batch's transaction ends, committed or rolled back.
            cursor.execute(f"CREATE TEMPORARY TABLE {staging} ({definitions}) ON COMMIT DROP")
            # Binary: psycopg's binary dumpers cost a third of the text ones, and the server parses nothing.
            with cursor.cursor.copy(f"COPY {staging} ({staged}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(COPY_TYPES)
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
            params: list[Any] = [
                *self.extra_params,
                *self.history_params,
                *(value for _c, _t, value in self.history_extra),
            ]
            cursor.execute(upsert, params)
            inserted, updated = cursor.fetchone()
            # Gone at commit anyway; dropped now so the next batch can make it again when the caller's own
            # transaction makes this batch a savepoint.
            cursor.execute(f"DROP TABLE {staging}")
        return inserted, updated

    def _write_sqlite(self, rows: list[list[Any]]) -> tuple[int, int]:
        quote, table = self.quote, self.table
        adapt = self.connection.ops.adapt_datetimefield_value
        dates = [STAGED_FIELDS.index(name) for name in ("requested_at", "updated_at", "expected_at", "closed_at")]
        sets, changed = self._set_clause("excluded", "IS NOT")  # SQLite's null-safe "differs"
        tracking = quote(_column(ServiceRequest, "tracking_number"))
        jurisdiction = quote(_column(ServiceRequest, "jurisdiction"))
        marks = ", ".join(["%s"] * len(self.insert_columns))
        upsert = (
            f"INSERT INTO {table} ({', '.join(quote(c) for c in self.insert_columns)}) VALUES ({marks}) "  # noqa: S608
            f"ON CONFLICT ({jurisdiction}, {tracking}) DO UPDATE SET {sets} WHERE {changed}"
        )
        numbers = [row[0] for row in rows]
        new = set(numbers) - self.existing(numbers)
        extra = self.extra_params

        def prepared(row: list[Any]) -> list[Any]:
            values = list(row)
            for i in dates:
                values[i] = adapt(values[i])
            values.extend(extra)
            return values

        pk = quote(_column(ServiceRequest, "id"))
        requested = quote(_column(ServiceRequest, "requested_at"))
        history_columns = [*self.history_columns, *(column for column, _t, _v in self.history_extra)]
        history_values = ", ".join(
            [pk, "%s", "%s", "%s", "%s", "%s", "%s", requested, *("%s" for _e in self.history_extra)]
        )
        opened = (
            f"INSERT INTO {self.history_table} ({', '.join(quote(c) for c in history_columns)}) "  # noqa: S608
            f"SELECT {history_values} FROM {table} WHERE {jurisdiction} = %s AND {tracking} = %s"
        )
        history_params: list[Any] = [*self.history_params, *(value for _c, _t, value in self.history_extra)]
        with self.connection.cursor() as cursor:
            cursor.executemany(upsert, [prepared(row) for row in rows])
            changes = cursor.rowcount
            cursor.executemany(
                opened, [[*history_params, self.jurisdiction_id, number] for number in numbers if number in new]
            )
        return len(new), changes - len(new)
