"""The public export's writers: CSV and GeoJSON, streamed a piece at a time whatever the size.

On PostgreSQL the rows come from COPY as bytes and pass straight through (`selectors.copy_chunks`);
elsewhere (SQLite) they come in keyset pages (`selectors.chunks`) and are written here. Both give the
same bytes for the same data, so the formatting below copies PostgreSQL's exactly:

- CSV: a header line, then one line a request, `\\n` line ends, fields quoted only when they hold a comma,
  a double quote, CR or LF (quotes doubled), empty text and absent values as empty fields, numbers as
  PostgreSQL prints float8 (shortest exact form, `40` not `40.0`), times as `formats.timestamp`;
- GeoJSON: `{"type":"FeatureCollection","features":[`, one compact Feature a line (Point [lon, lat], or a
  null geometry), `]}`. Text as JSON strings (UTF-8, control characters escaped), empty text "", absent
  times and coordinates null.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator

from django.db import connections
from django.utils.translation import gettext_lazy as _

from civic311.db_routing import heavy_read_alias
from civic311.jurisdictions.models import Jurisdiction
from civic311.open311 import formats

from . import selectors
from .columns import DESCRIPTION_COLUMN
from .selectors import NUMBER_COLUMNS, TIMESTAMP_COLUMNS, Export

CSV, GEOJSON = "csv", "geojson"
CONTENT_TYPES = {CSV: "text/csv; charset=utf-8", GEOJSON: "application/geo+json"}

GEOJSON_HEADER = b'{"type":"FeatureCollection","features":['
GEOJSON_FOOTER = b"\n]}\n"
_CSV_SPECIAL = (",", '"', "\n", "\r")


def stream(export: Export, fmt: str, *, using: str | None = None) -> Iterator[bytes]:
    """The whole file for `fmt` (CSV or GEOJSON), in pieces; COPY on PostgreSQL, keyset pages elsewhere."""
    alias = using or heavy_read_alias()
    use_copy = connections[alias].vendor == "postgresql"
    if fmt == CSV:
        yield csv_header(export)
        if use_copy:
            yield from selectors.copy_chunks(export, CSV, using=alias)
        else:
            for rows in selectors.chunks(export, using=alias):
                yield csv_lines(rows, export)
    elif fmt == GEOJSON:
        yield GEOJSON_HEADER
        pieces = (
            _features_from_copy(selectors.copy_chunks(export, GEOJSON, using=alias))
            if use_copy
            else (geojson_lines(rows, export) for rows in selectors.chunks(export, using=alias))
        )
        for index, piece in enumerate(pieces):
            # Features are separated by commas: the first piece opens the list, each later one follows one.
            yield (b"\n" if index == 0 else b",\n") + piece
        yield GEOJSON_FOOTER
    else:
        raise ValueError(fmt)


# --- CSV ----------------------------------------------------------------------------------------


def csv_header(export: Export) -> bytes:
    return (",".join(export.columns) + "\n").encode()


def csv_lines(rows: list[tuple], export: Export) -> bytes:
    """Rows from `selectors.chunks` as CSV lines, byte for byte as PostgreSQL's COPY writes them."""
    lines = _formatted(rows, export)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)  # None is written as an empty field
    text = buffer.getvalue()
    if "\r" in text:
        # Python's csv module leaves a lone CR unquoted where COPY quotes it; such pages are rare.
        text = "".join(",".join(_quoted("" if cell is None else str(cell)) for cell in line) + "\n" for line in lines)
    return text.encode()


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(char in cell for char in _CSV_SPECIAL) else cell


# --- GeoJSON ------------------------------------------------------------------------------------


def geojson_lines(rows: list[tuple], export: Export) -> bytes:
    """Rows as Features, one a line, joined by `,\\n` (no comma after the last), as the COPY path does."""
    columns = export.columns
    lat_at, lon_at = columns.index("lat"), columns.index("lon")
    texts = [
        index
        for index, column in enumerate(columns)
        if column not in TIMESTAMP_COLUMNS and column not in NUMBER_COLUMNS
    ]
    features = []
    for line in _formatted(rows, export, numbers=_json_number):
        for index in texts:
            if line[index] is None:
                line[index] = ""
        lat, lon = line[lat_at], line[lon_at]
        features.append(
            {
                "type": "Feature",
                "geometry": None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]},
                "properties": dict(zip(columns, line, strict=True)),
            }
        )
    # Compact, UTF-8 as it is, control characters escaped: what PostgreSQL's row_to_json writes.
    return ",\n".join(json.dumps(feature, ensure_ascii=False, separators=(",", ":")) for feature in features).encode()


def _json_number(value: float) -> float | int:
    """A float that json.dumps prints as PostgreSQL does: whole numbers without `.0`."""
    value += 0.0  # -0.0 is 0, as COPY's query makes it
    return int(value) if value.is_integer() else value


def _formatted(
    rows: list[tuple],
    export: Export,
    *,
    numbers: Callable[[float], object] | None = None,
) -> list[list]:
    """The rows with their times as text in the city's zone (`formats.timestamp`) and their floats as
    PostgreSQL prints them (`pg_number`, or `numbers`); other values as they are, None for absent."""
    zone = export.jurisdiction.zone
    number = numbers or pg_number
    times = [index for index, column in enumerate(export.columns) if column in TIMESTAMP_COLUMNS]
    floats = [index for index, column in enumerate(export.columns) if column in ("lat", "lon")]
    lines = []
    for row in rows:
        line = list(row)
        for index in times:
            if line[index] is not None:
                line[index] = formats.timestamp(line[index], zone)
        for index in floats:
            if line[index] is not None:
                line[index] = number(line[index])
        lines.append(line)
    return lines


def _features_from_copy(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """COPY's text format writes each Feature on a line with its backslashes doubled. The JSON has no raw
    control characters (to_json escapes them), so there is nothing else to undo."""
    for piece in pieces:
        yield piece[:-1].replace(b"\\\\", b"\\").replace(b"\n", b",\n")


# --- shared -------------------------------------------------------------------------------------


def pg_number(value: int | float) -> str:
    """A number as PostgreSQL prints it (int8, float8 with the default extra_float_digits): Python's
    shortest exact form, without Python's `.0` on whole numbers. (The two also differ on where they
    switch to exponents, at 1e15 against 1e16: no coordinate comes near.)"""
    if isinstance(value, int):
        return str(value)
    text = repr(value + 0.0)  # -0.0 is 0, as COPY's query makes it (PostgreSQL would print -0)
    text = text.removesuffix(".0")
    return text


def filename(export: Export, fmt: str) -> str:
    return f"{export.jurisdiction.slug}-service-requests.{fmt}"


# What the dataset page says about each column: meaning and type (examples are made by the view).
COLUMN_MEANINGS = {
    "objectid": (_("The request's number in this database; never reused."), _("whole number")),
    "service_request_id": (_("The tracking number the resident was given (Open311's service_request_id)."), _("text")),
    "subject": (_("What the request is about: the service's name, as the city's dataset calls it."), _("text")),
    "status": (
        _("Open, or Closed once the request ended (closed, duplicate, referred or cancelled)."),
        _("Open or Closed"),
    ),
    "status_notes": (_("The latest public note while open; the reason it was closed once closed."), _("text")),
    "service_name": (_("The service's name, in English."), _("text")),
    "service_code": (_("The service's code, as in the Open311 service list."), _("text")),
    "agency_responsible": (_("The department responsible for the request."), _("text")),
    "service_notice": (_("What residents are told to expect, e.g. how many business days."), _("text")),
    "requested_datetime": (_("When the request was made."), _("date and time with offset")),
    "updated_datetime": (_("When the request last changed."), _("date and time with offset")),
    "expected_datetime": (
        _("When the city expects to have dealt with it; empty when there is no target."),
        _("date and time with offset"),
    ),
    "closed_datetime": (_("When it was closed; empty while open."), _("date and time with offset")),
    "address": (_("The address given for the problem, when there is one."), _("text")),
    "zipcode": (_("The ZIP code, when known."), _("text")),
    "media_url": (_("A public photo of the problem, when there is one."), _("web address")),
    "lat": (_("Latitude of the problem (WGS 84), when a point was given."), _("decimal degrees")),
    "lon": (_("Longitude of the problem (WGS 84), when a point was given."), _("decimal degrees")),
    DESCRIPTION_COLUMN: (_("What the resident wrote about the problem (published by this city's choice)."), _("text")),
}


def example_times(jurisdiction: Jurisdiction) -> dict[str, str]:
    """Example times for the page's text, with the city's own offset from UTC."""
    zone = jurisdiction.zone
    return {
        "requested": formats.timestamp(EXAMPLE_REQUESTED, zone) or "",
        "filter": formats.timestamp(dt.datetime(2026, 1, 31, 14, 30, tzinfo=zone), zone) or "",
    }


# The example request arrived at 10:00 in Philadelphia; each city's page shows the same moment in its zone.
EXAMPLE_REQUESTED = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


def example_values(export: Export, *, photo_base: str) -> dict[str, str]:
    """An example of each column as the CSV writes it, from the city's own data (its newest public request,
    or its catalogue and its middle when it has none yet); times in the city's zone."""
    zone = export.jurisdiction.zone
    requested = EXAMPLE_REQUESTED
    row = selectors.example_row(export.jurisdiction)
    service = row.service
    return {
        "objectid": row.objectid,
        "service_request_id": row.service_request_id,
        "subject": service.name if service is not None else "",
        "status": "Closed",
        "status_notes": "Issue Resolved",
        "service_name": service.name if service is not None else "",
        "service_code": service.code if service is not None else "",
        "agency_responsible": row.department_name,
        "service_notice": service.service_notice if service is not None else "",
        "requested_datetime": formats.timestamp(requested, zone) or "",
        "updated_datetime": formats.timestamp(requested + dt.timedelta(days=2, hours=3), zone) or "",
        "expected_datetime": formats.timestamp(requested + dt.timedelta(days=7), zone) or "",
        "closed_datetime": formats.timestamp(requested + dt.timedelta(days=2, hours=3), zone) or "",
        "address": row.address,
        "zipcode": row.zipcode,
        "media_url": f"{photo_base}photos/{export.jurisdiction.pk}/{row.objectid}/3f2a9c.jpg",
        "lat": f"{row.lat:.4f}",
        "lon": f"{row.lon:.4f}",
        DESCRIPTION_COLUMN: "Mattresses on the sidewalk.",
    }
