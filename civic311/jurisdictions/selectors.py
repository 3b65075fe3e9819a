"""Reads about jurisdictions: which one a request is for, where a point lies, its calendar."""

from __future__ import annotations

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


@dataclass(frozen=True)
class _NeighborhoodIndex:
    tree: STRtree
    neighborhood_ids: list[int]
    shapes: list


def forget_cached_geography(jurisdiction_id: int | None = None) -> None:
    _neighborhood_index.forget(jurisdiction_id)
    _calendars.forget(jurisdiction_id)


def default_jurisdiction() -> Jurisdiction | None:
    return Jurisdiction.objects.order_by("-is_default", "pk").first()


def jurisdiction_for_host(host: str) -> Jurisdiction | None:
    hostname = host.split(":")[0].lower()
    return Jurisdiction.objects.filter(host__iexact=hostname).first() or default_jurisdiction()


def public_site_url(jurisdiction: Jurisdiction | None) -> str:
    """The public site's address, with no trailing slash, for links that leave the site (e-mails, photos
    sent to work-order systems): `CIVIC311_PUBLIC_URL` when set, else https:// and the jurisdiction's host.
    Empty when neither is known; each caller decides what to do then."""
    if settings.CIVIC311_PUBLIC_URL:
        return settings.CIVIC311_PUBLIC_URL.rstrip("/")
    host = jurisdiction.host.strip().rstrip("/") if jurisdiction is not None else ""
    return f"https://{host}" if host else ""


def jurisdiction_by_open311_id(jurisdiction_id: str) -> Jurisdiction | None:
    return Jurisdiction.objects.filter(jurisdiction_id__iexact=jurisdiction_id.strip()).first()


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
