"""Reads about jurisdictions: which one a request is for, where a point lies, its calendar."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import h3
from django.db.models import QuerySet
from shapely.geometry import Point
from shapely.strtree import STRtree

from .calendar import BusinessCalendar
from .models import Jurisdiction, Neighborhood

# H3 resolution 9 cells are about 0.1 km² (~175 m across): "the same block or two" for nearness.
H3_RESOLUTION = 9

# Boundaries and holidays change rarely; each process keeps them for a few minutes, and saving one
# in this process (the admin, the demo seeder) forgets them at once.
_CACHE_SECONDS = 300
_lock = threading.Lock()
_neighborhood_index: dict[int, tuple[float, _NeighborhoodIndex]] = {}
_calendars: dict[int, tuple[float, BusinessCalendar]] = {}


@dataclass(frozen=True)
class _NeighborhoodIndex:
    tree: STRtree
    neighborhood_ids: list[int]
    shapes: list


def forget_cached_geography(jurisdiction_id: int | None = None) -> None:
    with _lock:
        if jurisdiction_id is None:
            _neighborhood_index.clear()
            _calendars.clear()
        else:
            _neighborhood_index.pop(jurisdiction_id, None)
            _calendars.pop(jurisdiction_id, None)


def default_jurisdiction() -> Jurisdiction | None:
    return Jurisdiction.objects.order_by("-is_default", "pk").first()


def jurisdiction_for_host(host: str) -> Jurisdiction | None:
    hostname = host.split(":")[0].lower()
    return Jurisdiction.objects.filter(host__iexact=hostname).first() or default_jurisdiction()


def jurisdiction_by_open311_id(jurisdiction_id: str) -> Jurisdiction | None:
    return Jurisdiction.objects.filter(jurisdiction_id__iexact=jurisdiction_id.strip()).first()


def neighborhoods(jurisdiction: Jurisdiction) -> QuerySet[Neighborhood]:
    return Neighborhood.objects.filter(jurisdiction=jurisdiction).order_by("name")


def _index_for(jurisdiction: Jurisdiction) -> _NeighborhoodIndex:
    now = time.monotonic()
    with _lock:
        cached = _neighborhood_index.get(jurisdiction.pk)
        if cached and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
    rows = list(Neighborhood.objects.filter(jurisdiction=jurisdiction).order_by("pk"))
    shapes = [row.boundary_shape for row in rows]
    index = _NeighborhoodIndex(STRtree(shapes), [row.pk for row in rows], shapes)
    with _lock:
        _neighborhood_index[jurisdiction.pk] = (now, index)
    return index


def neighborhood_id_at(jurisdiction: Jurisdiction, lat: float, long: float) -> int | None:
    index = _index_for(jurisdiction)
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
    now = time.monotonic()
    with _lock:
        cached = _calendars.get(jurisdiction.pk)
        if cached and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
    calendar = BusinessCalendar.for_jurisdiction(jurisdiction)
    with _lock:
        _calendars[jurisdiction.pk] = (now, calendar)
    return calendar
