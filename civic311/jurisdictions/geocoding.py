"""Addresses that find their place: one geocoder behind one interface, chosen per deployment.

    geocode(city, "1400 n broad street")  → Place("1400 N Broad St", 39.97…, -75.16…, neighborhood, exact=True, …)
    suggest(city, "1400 n br")            → the city's addresses that begin so, best first (autocomplete)
    reverse(city, 39.9526, -75.1635)      → the nearest address within REVERSE_RADIUS_M of a dropped pin

By default the city's own address points answer (`AddressPoint`, loaded by `manage.py load_address_points`
from a CSV of address, lat, long): nothing leaves the server. A city that runs its own Nominatim or Pelias
server sets `CIVIC311_GEOCODER` ("nominatim" or "pelias") and `CIVIC311_GEOCODER_URL`; those are asked
with a short timeout, and any failure falls back to the address points (logged without what was asked).
Nothing is fetched over the network unless a URL is configured.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import h3
import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from civic311.process_cache import ProcessCache

from .models import AddressPoint, Jurisdiction
from .selectors import h3_cell, neighborhood_id_at, parse_coordinate
from .services import problems_shown, split_street_name

logger = logging.getLogger(__name__)

ADDRESS_POINTS = "address_points"
NOMINATIM = "nominatim"
PELIAS = "pelias"
BACKENDS = (ADDRESS_POINTS, NOMINATIM, PELIAS)

# A dropped pin is named by an address at most this far away (H3 resolution 9 cells are ~175 m across:
# the pin's cell and its ring of neighbours cover at least this radius).
REVERSE_RADIUS_M = 150.0
# A remote geocoder that has not answered by then is given up on (the resident is waiting).
REMOTE_TIMEOUT_SECONDS = 2.5
# Autocomplete reads at most this many rows before ranking them.
SUGGEST_CANDIDATES = 200
SUGGEST_MIN_CHARS = 3
TEXT_MAX_CHARS = 200
# A typed house number between two of the city's on the same street is placed between them when they are
# at most this many numbers apart (a block or two); a lone neighbour counts when it is this close.
INTERPOLATE_SPAN = 200
NEAREST_NUMBER = 50
# How alike a misspelt street must be to one of the city's (rapidfuzz, 0-100).
STREET_SCORE_CUTOFF = 82.0
STREET_SUGGEST_CUTOFF = 70.0
_BATCH = 2000
_METRES_PER_DEGREE = 111_195.0

# Nothing here is `_`-translated at import: these are matching tables, not text anyone reads.
_ORDINAL_WORDS = {
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th", "sixth": "6th",
    "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th", "eleventh": "11th", "twelfth": "12th",
    "thirteenth": "13th", "fourteenth": "14th", "fifteenth": "15th", "sixteenth": "16th", "seventeenth": "17th",
    "eighteenth": "18th", "nineteenth": "19th", "twentieth": "20th",
}  # fmt: skip
# A unit written after the street ("Apt 2", "# 3", "Suite 400"): the rest of the address is not the street's.
_UNIT_WORDS = frozenset({"apt", "apartment", "unit", "suite", "ste", "fl", "floor", "rm", "room"})
_WORD = re.compile(r"[a-z0-9]+|#")
_HOUSE_NUMBER = re.compile(r"^(\d{1,7})[a-z]?$")


@dataclass(frozen=True)
class Place:
    """Where an address is: `address` as the city (or its geocoder) writes it; `exact` when the text named
    that very address, not a neighbour or a spelling it was taken for; `source` the backend that answered."""

    address: str
    lat: float
    long: float
    neighborhood_id: int | None
    exact: bool
    source: str


@dataclass(frozen=True)
class ParsedAddress:
    """An address folded for matching: "1400 N. Broad Street, Apt 2" → number 1400, direction "n",
    street "broad", suffix "st" (key "1400 n broad st")."""

    number: int | None
    number_text: str
    direction: str
    street: str  # as StreetSegment.key: "broad", "5th", "cecil b moore"
    suffix: str

    @property
    def street_text(self) -> str:
        return " ".join(part for part in (self.direction, self.street, self.suffix) if part)

    @property
    def key(self) -> str:
        return " ".join(part for part in (self.number_text, self.street_text) if part)


def _fold(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", (text or "")[:TEXT_MAX_CHARS].lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORD.findall(plain)


def parse_address(text: str) -> ParsedAddress:
    """The one normalisation of an address: case, accents and punctuation gone; what follows the first comma
    (the city, the state, the ZIP code) and a unit ("Apt 2") left out; a leading house number apart;
    directions as n/s/e/w, the street's kind as the city abbreviates it (street → st, avenue → ave), and a
    numbered street as an ordinal ("5", "fifth" → "5th")."""
    head = (text or "")[:TEXT_MAX_CHARS]
    if "," in head and re.search(r"[A-Za-z]", head.split(",", 1)[0]):
        head = head.split(",", 1)[0]
    words = _fold(head)
    for position, word in enumerate(words):
        if word in _UNIT_WORDS or word == "#":
            words = words[:position]
            break
    number: int | None = None
    number_text = ""
    if words and (found := _HOUSE_NUMBER.match(words[0])) is not None and len(words) > 1:
        number_text = found.group(1).lstrip("0") or "0"
        number = int(number_text)
        words = words[1:]
        # "1400-02 Market St": the second number of a range is not the street.
        if len(words) > 1 and words[0].isdigit() and len(words[0]) <= len(number_text):
            words = words[1:]
    words = [_ORDINAL_WORDS.get(word, word) for word in words]
    direction, street, suffix = split_street_name(" ".join(words))
    return ParsedAddress(number, number_text, direction.lower(), street, suffix.lower())


def normalize_address(text: str) -> str:
    """The address folded for matching (`parse_address`): "1400 North Broad Street" → "1400 n broad st"."""
    return parse_address(text).key


# --- the interface -----------------------------------------------------------------------------------------


def backend_name() -> str:
    """The configured backend: a remote one only when its server's URL is set too."""
    name = str(getattr(settings, "CIVIC311_GEOCODER", "") or ADDRESS_POINTS).strip().lower()
    if name not in BACKENDS:
        _warn_unknown_backend(name)
        return ADDRESS_POINTS
    if name != ADDRESS_POINTS and not _server_url():
        return ADDRESS_POINTS
    return name


@functools.cache
def _warn_unknown_backend(name: str) -> None:
    """Said once per process and name, not on every lookup."""
    logger.warning("CIVIC311_GEOCODER is not one of %s; the address points are used", ", ".join(BACKENDS))


def _server_url() -> str:
    return str(getattr(settings, "CIVIC311_GEOCODER_URL", "") or "").strip().rstrip("/")


def geocode(jurisdiction: Jurisdiction, text: str) -> Place | None:
    """Where a typed address is, or None when it cannot be placed (the caller accepts it all the same)."""
    if not parse_address(text).street:
        return None
    remote = _remote(jurisdiction, "geocode", text)
    if remote:
        return remote[0]
    return _geocode_points(jurisdiction, text)


def suggest(jurisdiction: Jurisdiction, prefix: str, limit: int = 8) -> list[Place]:
    """The addresses that begin with what the resident has typed so far, best first (at most `limit`)."""
    if len(" ".join(_fold(prefix))) < SUGGEST_MIN_CHARS or limit <= 0:
        return []
    remote = _remote(jurisdiction, "suggest", prefix, limit=limit)
    if remote:
        return remote[:limit]
    return _suggest_points(jurisdiction, prefix, limit)


def reverse(jurisdiction: Jurisdiction, lat: float, long: float) -> Place | None:
    """The nearest address to a point (a dropped pin), within REVERSE_RADIUS_M; None when there is none."""
    if not jurisdiction.contains(lat, long):
        return None
    remote = _remote(jurisdiction, "reverse", "", lat=lat, long=long) or []
    # A remote server names the nearest thing it knows, however far: only an address near the pin counts.
    near = [place for place in remote if _metres(lat, long, place.lat, place.long) <= REVERSE_RADIUS_M]
    if near:
        return near[0]
    return _reverse_points(jurisdiction, lat, long)


# --- the lookups' answers, as JSON for a page's script (the report form's, the agent console's) -------------

# Someone typing an address asks once a keystroke pause; what they typed is cut to this before it is asked.
LOOKUP_QUERY_MAX_CHARS = 120
LOOKUP_SUGGESTIONS = 8
# The lookups' refusals, the same on every page (translated when answered): in lookup_texts.py, which residents read.


def lookup_query(text: str | None) -> str:
    """What was typed, as the lookups ask it: spaces folded, cut short; nothing when it holds a NUL."""
    query = " ".join((text or "").split())[:LOOKUP_QUERY_MAX_CHARS]
    return "" if "\x00" in query else query


def suggestion_rows(
    jurisdiction: Jurisdiction, text: str | None, limit: int = LOOKUP_SUGGESTIONS
) -> list[dict[str, Any]]:
    """`suggest` as JSON-ready rows, best first: `[{"address", "lat", "long"}]` (6 decimals), only the city's
    addresses and their points, never anything of a request or a person."""
    query = lookup_query(text)
    found = suggest(jurisdiction, query, limit=limit) if query else []
    return [{"address": place.address, "lat": round(place.lat, 6), "long": round(place.long, 6)} for place in found]


def lookup_point(lat_text: str | None, long_text: str | None) -> tuple[float, float] | None:
    """A dropped pin's latitude and longitude as sent, or None when they are not a point."""
    lat = parse_coordinate(lat_text, -90, 90)
    long = parse_coordinate(long_text, -180, 180)
    return (lat, long) if lat is not None and long is not None else None


def address_row(jurisdiction: Jurisdiction, lat: float, long: float) -> dict[str, Any] | None:
    """`reverse` as a JSON-ready row, `{"address"}`, or None when no address of the city is near."""
    place = reverse(jurisdiction, lat, long)
    return {"address": place.address} if place is not None else None


# --- the city's address points -----------------------------------------------------------------------------

# Each city's street names, for matching a misspelt one; forgotten when its points are replaced.
_street_keys: ProcessCache[int, tuple[str, ...]] = ProcessCache(300)


def _city_street_keys(jurisdiction: Jurisdiction) -> tuple[str, ...]:
    def build() -> tuple[str, ...]:
        rows = AddressPoint.objects.filter(jurisdiction=jurisdiction).order_by("street_key")
        return tuple(rows.values_list("street_key", flat=True).distinct())

    return _street_keys.get(jurisdiction.pk, build)


def _place(jurisdiction: Jurisdiction, point: AddressPoint, *, exact: bool) -> Place:
    return Place(
        point.address,
        point.lat,
        point.long,
        neighborhood_id_at(jurisdiction, point.lat, point.long),
        exact,
        ADDRESS_POINTS,
    )


def _street_as_written(point: AddressPoint) -> str:
    """The street part of the city's own writing of an address: "1400 N Broad St" → "N Broad St"."""
    first, _space, rest = point.address.partition(" ")
    return rest if rest and _HOUSE_NUMBER.match(first.lower()) else point.address


def _geocode_points(jurisdiction: Jurisdiction, text: str) -> Place | None:
    parsed = parse_address(text)
    if not parsed.street:
        return None
    points = AddressPoint.objects.filter(jurisdiction=jurisdiction)
    exact = points.filter(key=parsed.key).order_by("pk").first()
    if exact is not None:
        return _place(jurisdiction, exact, exact=True)
    if parsed.number is None:
        return None  # a street alone is no point
    streets = [parsed.street]
    if parsed.street not in _city_street_keys(jurisdiction):
        streets = [
            match
            for match, _score, _index in process.extract(
                parsed.street,
                _city_street_keys(jurisdiction),
                scorer=fuzz.ratio,
                limit=3,
                score_cutoff=STREET_SCORE_CUTOFF,
            )
        ]
    if not streets:
        return None
    number = parsed.number
    nearby = list(
        points.filter(
            street_key__in=streets,
            house_number__gte=max(0, number - INTERPOLATE_SPAN),
            house_number__lte=number + INTERPOLATE_SPAN,
        ).order_by("pk")[: SUGGEST_CANDIDATES * 2]
    )
    if not nearby:
        return None
    # The street meant: the best written like it ("n 5th st", not "s 5th st"), then the one with most points.
    scores = {street: fuzz.ratio(parsed.street_text, street) for street in {_street_text(p) for p in nearby}}
    best = max(scores.values())
    nearby = [point for point in nearby if scores[_street_text(point)] == best]
    street_text = _street_text(nearby[0])
    nearby = [point for point in nearby if _street_text(point) == street_text]
    same = [point for point in nearby if point.house_number == number]
    if same:
        return _place(jurisdiction, same[0], exact=False)
    # Between the two nearest on the same side of the street (same parity), else either side.
    for pool in ([p for p in nearby if p.house_number is not None and p.house_number % 2 == number % 2], nearby):
        below = max((p for p in pool if p.house_number is not None and p.house_number < number), default=None, key=_n)
        above = min((p for p in pool if p.house_number is not None and p.house_number > number), default=None, key=_n)
        if below is not None and above is not None:
            share = (number - _n(below)) / (_n(above) - _n(below))
            lat = below.lat + (above.lat - below.lat) * share
            long = below.long + (above.long - below.long) * share
            address = f"{number} {_street_as_written(below)}"
            return Place(address, lat, long, neighborhood_id_at(jurisdiction, lat, long), False, ADDRESS_POINTS)
        lone = below or above
        if lone is not None and abs(_n(lone) - number) <= NEAREST_NUMBER:
            address = f"{number} {_street_as_written(lone)}"
            return Place(
                address,
                lone.lat,
                lone.long,
                neighborhood_id_at(jurisdiction, lone.lat, lone.long),
                False,
                ADDRESS_POINTS,
            )
    return None


def _n(point: AddressPoint) -> int:
    return point.house_number or 0


def _street_text(point: AddressPoint) -> str:
    return parse_address(point.address).street_text


def _key_range(field: str, prefix: str) -> dict[str, str]:
    """The lookup of keys that begin with `prefix`, in the form the database's index serves: a range on
    SQLite (whose LIKE ignores case and so no index), LIKE 'prefix%' on PostgreSQL (its varchar_pattern_ops
    index). Keys hold only a-z, 0-9 and spaces, so "~" sorts after every one of them."""
    if connection.vendor == "sqlite":
        return {f"{field}__gte": prefix, f"{field}__lt": prefix + "~"}
    return {f"{field}__startswith": prefix}


def _suggest_points(jurisdiction: Jurisdiction, prefix: str, limit: int) -> list[Place]:
    parsed = parse_address(prefix)
    # As typed (its last word may be half a word: "1500 market s" is not yet "s market") and as parsed.
    typed = " ".join(_fold(prefix))
    points = AddressPoint.objects.filter(jurisdiction=jurisdiction)
    found: dict[int, AddressPoint] = {}
    for wanted in dict.fromkeys((typed, parsed.key)):
        if wanted:
            for point in points.filter(**_key_range("key", wanted)).order_by("key")[:SUGGEST_CANDIDATES]:
                found.setdefault(point.pk, point)
    if parsed.number is None and parsed.street and len(found) < limit:
        # "market st": the street's addresses, low numbers first.
        for point in points.filter(**_key_range("street_key", parsed.street)).order_by("street_key", "house_number")[
            :SUGGEST_CANDIDATES
        ]:
            found.setdefault(point.pk, point)
    if not found and parsed.street:
        # No address begins so: the streets that begin like the one typed ("1500 mar") or are spelt like it
        # ("1500 markte"), near the number typed.
        known = _city_street_keys(jurisdiction)
        streets = [street for street in known if street.startswith(parsed.street)][:3]
        streets += [
            match
            for match, _score, _index in process.extract(
                parsed.street, known, scorer=fuzz.ratio, limit=3, score_cutoff=STREET_SUGGEST_CUTOFF
            )
        ]
        rows = points.filter(street_key__in=streets)
        if parsed.number is not None:
            rows = rows.filter(
                house_number__gte=max(0, parsed.number - NEAREST_NUMBER),
                house_number__lte=parsed.number + NEAREST_NUMBER,
            )
        for point in rows.order_by("street_key", "house_number")[:SUGGEST_CANDIDATES]:
            found.setdefault(point.pk, point)
    if not found:
        return []
    candidates = list(found.values())

    def rank(point: AddressPoint) -> tuple[int, float, int, int, str]:
        begins = 0 if point.key.startswith(typed) or (parsed.key and point.key.startswith(parsed.key)) else 1
        # The street as typed against the street as the city writes it (its direction, its kind).
        street = fuzz.WRatio(parsed.street_text, _street_text(point)) if parsed.street_text else 0.0
        number = point.house_number or 0
        distance = abs(number - parsed.number) if parsed.number is not None else number
        return (begins, -street, distance, len(point.key), point.key)

    candidates.sort(key=rank)
    return [_place(jurisdiction, point, exact=point.key == parsed.key) for point in candidates[:limit]]


def _metres(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """The distance along the ground (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(math.sqrt(min(1.0, a)))


def _reverse_points(jurisdiction: Jurisdiction, lat: float, long: float) -> Place | None:
    cells = list(h3.grid_disk(h3_cell(lat, long), 1))
    best: tuple[float, int, AddressPoint] | None = None
    for point in AddressPoint.objects.filter(jurisdiction=jurisdiction, h3_cell__in=cells).iterator(chunk_size=500):
        distance = _metres(lat, long, point.lat, point.long)
        if distance <= REVERSE_RADIUS_M and (best is None or (distance, point.pk) < best[:2]):
            best = (distance, point.pk, point)
    return _place(jurisdiction, best[2], exact=True) if best is not None else None


# --- a city's own Nominatim or Pelias server -----------------------------------------------------------------
# A small client over `requests` rather than geopy: geopy is not among the locked dependencies, and adding one
# means regenerating requirements.lock. Three calls of two documented HTTP APIs is all that is needed.


class _RemoteError(Exception):
    pass


def _remote(
    jurisdiction: Jurisdiction,
    what: str,
    text: str,
    *,
    limit: int = 1,
    lat: float | None = None,
    long: float | None = None,
) -> list[Place] | None:
    """The configured server's places (inside the city), or None when there is no server or it failed (the
    caller then asks the address points). Only the backend and the kind of failure are logged: never what
    the resident typed or where they pointed."""
    name = backend_name()
    if name == ADDRESS_POINTS:
        return None
    try:
        found = _ask(name, jurisdiction, what, text, limit=limit, lat=lat, long=long)
    except (requests.RequestException, ValueError, KeyError, TypeError, IndexError, _RemoteError) as error:
        logger.warning("geocoder %s failed (%s: %s); the address points answer", name, what, type(error).__name__)
        return None
    places = [place for place in found if jurisdiction.contains(place.lat, place.long)]
    return places[:limit]


def _ask(
    name: str,
    jurisdiction: Jurisdiction,
    what: str,
    text: str,
    *,
    limit: int,
    lat: float | None,
    long: float | None,
) -> list[Place]:
    url = _server_url()
    box = (jurisdiction.min_long, jurisdiction.max_lat, jurisdiction.max_long, jurisdiction.min_lat)
    params: dict[str, Any]
    if name == NOMINATIM:
        if what == "reverse":
            path, params = "/reverse", {"lat": lat, "lon": long, "format": "jsonv2", "addressdetails": 0}
        else:
            path = "/search"
            params = {
                "q": text[:TEXT_MAX_CHARS],
                "format": "jsonv2",
                "limit": limit,
                "viewbox": ",".join(str(value) for value in box),
                "bounded": 1,
            }
    else:
        if what == "reverse":
            path, params = "/v1/reverse", {"point.lat": lat, "point.lon": long, "size": 1}
        else:
            path = "/v1/autocomplete" if what == "suggest" else "/v1/search"
            params = {
                "text": text[:TEXT_MAX_CHARS],
                "size": limit,
                "boundary.rect.min_lon": jurisdiction.min_long,
                "boundary.rect.max_lon": jurisdiction.max_long,
                "boundary.rect.min_lat": jurisdiction.min_lat,
                "boundary.rect.max_lat": jurisdiction.max_lat,
            }
    response = requests.get(
        url + path, params=params, timeout=REMOTE_TIMEOUT_SECONDS, headers={"User-Agent": "civic311 geocoder"}
    )
    if response.status_code == 404 and what == "reverse":
        return []
    if response.status_code != 200:
        raise _RemoteError(response.status_code)
    document = response.json()
    if name == NOMINATIM:
        rows = [document] if isinstance(document, dict) else document
        if not isinstance(rows, list):
            raise _RemoteError("not a list")
        places = []
        for row in rows:
            if not isinstance(row, dict) or "error" in row:
                continue
            row_lat, row_long = float(row["lat"]), float(row["lon"])
            exact = row.get("addresstype") in {"house", "building"} or row.get("type") == "house"
            address = str(row.get("display_name") or "")[:TEXT_MAX_CHARS]
            places.append(_remote_place(jurisdiction, address, row_lat, row_long, exact, NOMINATIM))
        return places
    places = []
    for feature in document["features"]:
        properties = feature.get("properties") or {}
        row_long, row_lat = (float(value) for value in feature["geometry"]["coordinates"][:2])
        exact = properties.get("match_type") == "exact" or (what == "reverse" and properties.get("layer") == "address")
        address = str(properties.get("label") or properties.get("name") or "")[:TEXT_MAX_CHARS]
        places.append(_remote_place(jurisdiction, address, row_lat, row_long, exact, PELIAS))
    return places


def _remote_place(jurisdiction: Jurisdiction, address: str, lat: float, long: float, exact: bool, source: str) -> Place:
    if not (math.isfinite(lat) and math.isfinite(long)):
        raise _RemoteError("not a point")
    neighborhood = neighborhood_id_at(jurisdiction, lat, long) if jurisdiction.contains(lat, long) else None
    return Place(address, lat, long, neighborhood, exact, source)


# --- loading a city's address points (`manage.py load_address_points`) ------------------------------------------


class AddressFileError(Exception):
    """The address file cannot be loaded; `problems` lists every reason, each naming its line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def address_point(jurisdiction: Jurisdiction, address: str, lat: float, long: float, zipcode: str = "") -> AddressPoint:
    """An address point (not saved) with its keys and cell worked out."""
    written = " ".join(address.split())[:200]
    parsed = parse_address(written)
    return AddressPoint(
        jurisdiction=jurisdiction,
        address=written,
        key=parsed.key[:200],
        house_number=parsed.number,
        street_key=parsed.street[:120],
        lat=lat,
        long=long,
        h3_cell=h3_cell(lat, long),
        zipcode=zipcode.strip()[:10],
    )


def _row_problems(
    jurisdiction: Jurisdiction, line: int, address: str, lat: float | None, long: float | None, zipcode: str
) -> list[str]:
    problems = []
    if not address:
        problems.append(_("Line %(line)d has no address.") % {"line": line})
    elif not parse_address(address).street:
        problems.append(_("Line %(line)d: the address has no street name.") % {"line": line})
    elif len(address) > 200:
        problems.append(_("Line %(line)d: the address is longer than 200 characters.") % {"line": line})
    if lat is None:
        problems.append(_("Line %(line)d: the latitude is not a number between -90 and 90.") % {"line": line})
    if long is None:
        problems.append(_("Line %(line)d: the longitude is not a number between -180 and 180.") % {"line": line})
    if lat is not None and long is not None and not jurisdiction.contains(lat, long):
        problems.append(
            _("Line %(line)d: the point (%(lat)s, %(long)s) is outside %(city)s.")
            % {"line": line, "lat": lat, "long": long, "city": jurisdiction.name}
        )
    if len(zipcode) > 10:
        problems.append(_("Line %(line)d: the ZIP code is longer than 10 characters.") % {"line": line})
    return problems


def address_points_from(jurisdiction: Jurisdiction, text: str) -> list[AddressPoint]:
    """The city's address points read from a CSV's text (columns address, lat, long, and zipcode if it has
    one), not saved; AddressFileError listing every problem with its line number."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    missing = [name for name in ("address", "lat", "long") if name not in columns]
    if missing:
        raise AddressFileError(
            [
                _("Line 1: the file needs the columns address, lat and long; missing: %(missing)s.")
                % {"missing": ", ".join(missing)}
            ]
        )
    problems: list[str] = []
    points: list[AddressPoint] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(_("Line %(line)d has more values than the file has columns.") % {"line": line})
            continue

        def value(name: str, row: dict[str, Any] = row) -> str:
            return str(row.get(columns[name]) or "") if name in columns else ""

        address = " ".join(value("address").split())
        lat = parse_coordinate(value("lat"), -90, 90)
        long = parse_coordinate(value("long"), -180, 180)
        zipcode = value("zipcode").strip()
        found = _row_problems(jurisdiction, line, address, lat, long, zipcode)
        problems.extend(found)
        if not found and lat is not None and long is not None:
            points.append(address_point(jurisdiction, address, lat, long, zipcode))
    if problems:
        raise AddressFileError(problems_shown(problems))
    if not points:
        raise AddressFileError([_("The file has no addresses.")])
    return points


def replace_address_points(jurisdiction: Jurisdiction, points: Iterable[AddressPoint]) -> int:
    """The city's address points are these (the old ones deleted), in one transaction; how many were saved."""
    rows = list(points)
    with transaction.atomic():
        AddressPoint.objects.filter(jurisdiction=jurisdiction).delete()
        AddressPoint.objects.bulk_create(rows, batch_size=_BATCH)
        transaction.on_commit(lambda: _street_keys.forget(jurisdiction.pk))
    _street_keys.forget(jurisdiction.pk)
    return len(rows)


def forget_cached_addresses(jurisdiction_id: int | None = None) -> None:
    """Forget the street names this process keeps for matching (a city's, or every city's with no id)."""
    _street_keys.forget(jurisdiction_id)
