"""Reads about jurisdictions: which one a request is for, where a point lies, its calendar."""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass

import h3
from django.conf import settings
from django.db.models import QuerySet
from shapely.geometry import Point
from shapely.strtree import STRtree

from civic311.process_cache import ProcessCache

from .calendar import BusinessCalendar
from .models import Jurisdiction, Neighborhood

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
    shapes: list


@dataclass(frozen=True)
class _Jurisdictions:
    """The deployment's jurisdictions (a city, its county: a handful of rows), indexed as they are looked up."""

    in_pk_order: tuple[Jurisdiction, ...]
    by_host: dict[str, Jurisdiction]
    by_open311_id: dict[str, Jurisdiction]
    default: Jurisdiction | None


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
        by_host.setdefault(row.host.lower(), row)
        by_open311_id.setdefault(row.jurisdiction_id.lower(), row)
    default = min(rows, key=lambda row: (not row.is_default, row.pk), default=None)
    return _Jurisdictions(tuple(rows), by_host, by_open311_id, default)


def _own(jurisdiction: Jurisdiction | None) -> Jurisdiction | None:
    # Each caller gets its own copy of the kept row: a request that changes its jurisdiction's attributes
    # must not change them for the requests that run beside it in other threads.
    return copy.copy(jurisdiction) if jurisdiction is not None else None


def default_jurisdiction() -> Jurisdiction | None:
    return _own(_jurisdictions.get("all", _load_jurisdictions).default)


def jurisdiction_for_host(host: str) -> Jurisdiction | None:
    hostname = host.split(":")[0].lower()
    known = _jurisdictions.get("all", _load_jurisdictions)
    return _own(known.by_host.get(hostname) or known.default)


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
    for position in sorted(index.tree.query(point)):
        if index.shapes[position].covers(point):
            return index.neighborhood_ids[position]
    return None


def h3_cell(lat: float, long: float) -> str:
    return h3.latlng_to_cell(lat, long, H3_RESOLUTION)


def business_calendar(jurisdiction: Jurisdiction) -> BusinessCalendar:
    return _calendars.get(jurisdiction.pk, lambda: BusinessCalendar.for_jurisdiction(jurisdiction))
