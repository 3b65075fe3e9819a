"""Reads about jurisdictions: which one a request is for, where a point lies, its calendar."""

from __future__ import annotations

import contextlib
import copy
import logging
import math
from dataclasses import dataclass

import h3
from django.conf import settings
from django.db.models import QuerySet
from django.http.request import split_domain_port
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from civic311.process_cache import ProcessCache

from .calendar import BusinessCalendar
from .models import Jurisdiction, Neighborhood

logger = logging.getLogger(__name__)

# H3 resolution 9 cells are about 0.1 km² (~175 m across): "the same block or two" for nearness.
H3_RESOLUTION = 9

# Boundaries and holidays change rarely; each process keeps them for a few minutes, and saving one
# in this process (the admin, the demo seeder) forgets them at once.
_CACHE_SECONDS = 300
_neighborhood_index: ProcessCache[int, _NeighborhoodIndex] = ProcessCache(_CACHE_SECONDS)
_calendars: ProcessCache[int, BusinessCalendar] = ProcessCache(_CACHE_SECONDS)
# Every request asks which jurisdiction it is for: the few rows of the table are kept for a minute (a
# change in the admin reaches the other processes within that), and a save in this process forgets them.
_JURISDICTIONS_SECONDS = 60
_jurisdictions: ProcessCache[str, _Jurisdictions] = ProcessCache(_JURISDICTIONS_SECONDS)


@dataclass(frozen=True)
class _NeighborhoodIndex:
    tree: STRtree
    neighborhood_ids: list[int]
    shapes: list[BaseGeometry]


@dataclass(frozen=True)
class _Jurisdictions:
    """The deployment's jurisdictions (a city, its county: a handful of rows), indexed as they are looked up."""

    in_pk_order: tuple[Jurisdiction, ...]
    by_pk: dict[int, Jurisdiction]
    by_host: dict[str, Jurisdiction]
    by_open311_id: dict[str, Jurisdiction]
    marked_default: Jurisdiction | None  # the one ticked "default jurisdiction" in the admin (the oldest of several)

    def default(self) -> Jurisdiction | None:
        """The deployment's configured default: the jurisdiction `CIVIC311_DEFAULT_JURISDICTION` names, else
        the one marked default in the admin, else the only one. None with several and neither set."""
        named = (getattr(settings, "CIVIC311_DEFAULT_JURISDICTION", "") or "").strip().lower()
        if named:
            return self.by_open311_id.get(named)
        if self.marked_default is not None:
            return self.marked_default
        return self.in_pk_order[0] if len(self.in_pk_order) == 1 else None


def forget_cached_geography(jurisdiction_id: int | None = None) -> None:
    """Forget what this process keeps about a jurisdiction (all of them with no id): its boundaries and
    calendar, and the jurisdictions themselves (their lookups by host and id hold every row)."""
    _neighborhood_index.forget(jurisdiction_id)
    _calendars.forget(jurisdiction_id)
    _jurisdictions.forget()


def _load_jurisdictions() -> _Jurisdictions:
    rows = list(Jurisdiction.objects.order_by("pk"))
    for row in rows:
        # Parsed once here rather than by every request's copy; a broken boundary still fails only where
        # it is used (checking a report's point), never every page.
        with contextlib.suppress(Exception):
            row.boundary_shape  # noqa: B018
    by_host: dict[str, Jurisdiction] = {}
    by_open311_id: dict[str, Jurisdiction] = {}
    # The first by name wins a shared host or id, as the model's ordering made `.first()` choose.
    for row in sorted(rows, key=lambda row: (row.name, row.pk)):
        if _hostname(row.host):
            by_host.setdefault(_hostname(row.host), row)
        by_open311_id.setdefault(row.jurisdiction_id.lower(), row)
    marked = next((row for row in rows if row.is_default), None)
    named = (getattr(settings, "CIVIC311_DEFAULT_JURISDICTION", "") or "").strip().lower()
    if named and rows and named not in by_open311_id:
        # Said once a minute per process (when the rows are read again), not on every request.
        logger.warning("CIVIC311_DEFAULT_JURISDICTION names no jurisdiction of this deployment; there is no default")
    return _Jurisdictions(tuple(rows), {row.pk: row for row in rows}, by_host, by_open311_id, marked)


def _hostname(host: str) -> str:
    """A host as the lookup key: lower case, without a port or the trailing dot of a fully qualified name
    (Django's own parsing, as ALLOWED_HOSTS checks it), so "311.City.gov.:8443" is "311.city.gov"."""
    return split_domain_port(host.strip())[0]


def _own(jurisdiction: Jurisdiction | None) -> Jurisdiction | None:
    # Each caller gets its own copy of the kept row: a request that changes its jurisdiction's attributes
    # must not change them for the requests that run beside it in other threads.
    return copy.copy(jurisdiction) if jurisdiction is not None else None


class UnknownJurisdiction(Exception):
    """The caller named a `jurisdiction_id` this deployment does not serve."""

    def __init__(self, jurisdiction_id: str) -> None:
        super().__init__(jurisdiction_id)
        self.jurisdiction_id = jurisdiction_id


def resolve_jurisdiction(
    *, jurisdiction_id: str = "", api_key_jurisdiction: int | None = None, host: str = ""
) -> Jurisdiction | None:
    """The jurisdiction a call is for: the one rule Open311, the open-data pages and the public site share.

    In order: the `jurisdiction_id` the caller sent (UnknownJurisdiction when it names none: a client
    that says which city it wants never silently gets another); the jurisdiction of the API key it
    presented (a pk; the key's own check comes later); the jurisdiction whose web host the call came
    to; the deployment's configured default (`_Jurisdictions.default`). None when none applies, so
    that adding a second city never changes the answer for the first city's clients.
    """
    known = _jurisdictions.get("all", _load_jurisdictions)
    wanted = (jurisdiction_id or "").strip().lower()
    if wanted:
        # A NUL cannot be in an id, and PostgreSQL refuses to even compare text holding one.
        found = known.by_open311_id.get(wanted) if "\x00" not in wanted else None
        if found is None:
            raise UnknownJurisdiction(jurisdiction_id)
        return _own(found)
    if api_key_jurisdiction is not None and api_key_jurisdiction in known.by_pk:
        return _own(known.by_pk[api_key_jurisdiction])
    hostname = _hostname(host or "")
    if hostname and hostname in known.by_host:
        return _own(known.by_host[hostname])
    return _own(known.default())


def several_jurisdictions() -> bool:
    """Whether the deployment serves more than one jurisdiction (only then can an API key change the
    rule's answer, so only then is the key looked up)."""
    return len(_jurisdictions.get("all", _load_jurisdictions).in_pk_order) > 1


def default_jurisdiction() -> Jurisdiction | None:
    return _own(_jurisdictions.get("all", _load_jurisdictions).default())


def jurisdiction_for_host(host: str) -> Jurisdiction | None:
    """The public site's jurisdiction: by host, else the default (`resolve_jurisdiction`)."""
    return resolve_jurisdiction(host=host)


def only_jurisdictions(limit: int = 2) -> list[Jurisdiction]:
    """The first `limit` jurisdictions by pk: with one, a call need not say which it is for."""
    return [copy.copy(row) for row in _jurisdictions.get("all", _load_jurisdictions).in_pk_order[:limit]]


def public_site_url(jurisdiction: Jurisdiction | None) -> str:
    """The public site's address, with no trailing slash, for links that leave the site (e-mails, photos
    sent to work-order systems): `CIVIC311_PUBLIC_URL` when set, else https:// and the jurisdiction's host.
    Empty when neither is known; each caller decides what to do then."""
    if settings.CIVIC311_PUBLIC_URL:
        return settings.CIVIC311_PUBLIC_URL.rstrip("/")
    host = jurisdiction.host.strip().rstrip("/") if jurisdiction is not None else ""
    return f"https://{host}" if host else ""


def jurisdiction_by_open311_id(jurisdiction_id: str) -> Jurisdiction | None:
    return _own(_jurisdictions.get("all", _load_jurisdictions).by_open311_id.get(jurisdiction_id.strip().lower()))


def neighborhoods(jurisdiction: Jurisdiction) -> QuerySet[Neighborhood]:
    return Neighborhood.objects.filter(jurisdiction=jurisdiction).order_by("name")


def _build_index(jurisdiction: Jurisdiction) -> _NeighborhoodIndex:
    rows = list(Neighborhood.objects.filter(jurisdiction=jurisdiction).order_by("pk"))
    shapes = [row.boundary_shape for row in rows]
    return _NeighborhoodIndex(STRtree(shapes), [row.pk for row in rows], shapes)


def neighborhood_id_at(jurisdiction: Jurisdiction, lat: float, long: float) -> int | None:
    index = _neighborhood_index.get(jurisdiction.pk, lambda: _build_index(jurisdiction))
    point = Point(long, lat)
    # The tree returns candidates in no useful order; in pk order, a point on an edge two neighborhoods share
    # always goes to the older one, and adding a neighborhood elsewhere cannot move it.
    for position in sorted(int(found) for found in index.tree.query(point)):  # numpy's int64 → int
        if index.shapes[position].covers(point):
            return index.neighborhood_ids[position]
    return None


def parse_coordinate(value: object, low: float, high: float) -> float | None:
    """A latitude or longitude from user input, or None if it is not a finite number in range."""
    if value is None or value == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    if not math.isfinite(number) or not low <= number <= high:
        return None
    return number


def h3_cell(lat: float, long: float) -> str:
    cell: str = h3.latlng_to_cell(lat, long, H3_RESOLUTION)  # h3 ships no types
    return cell


def business_calendar(jurisdiction: Jurisdiction) -> BusinessCalendar:
    return _calendars.get(jurisdiction.pk, lambda: BusinessCalendar.for_jurisdiction(jurisdiction))
