"""A city's boundary and its neighborhoods from a GeoJSON file (`manage.py load_boundaries`).

Everything in the file is checked before anything is written, and every problem is reported at once
(invalid geometry, a file in another coordinate system, neighborhoods outside the city or overlapping),
so a city fixes its file in one go; then the whole file is applied in one transaction. Loading the same
file again changes nothing. Neighborhoods are matched to the ones already there by slug, then by name, so
a corrected boundary keeps its neighborhood (and the requests and routing rules that point at it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from shapely.geometry import box, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from .models import Jurisdiction, Neighborhood

# GeoJSON (RFC 7946) is WGS84 longitude/latitude; files written before it may still name that CRS.
WGS84_NAMES = frozenset(
    {"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "urn:ogc:def:crs:epsg::4326", "epsg:4326", "crs84"}
)
# Shared edges drawn by different hands never agree to the last digit: a sliver of less than this share of
# the smaller neighborhood (about 1 m² in 10 km²) is not an overlap, nor a piece outside the city.
AREA_TOLERANCE = 1e-7
# Up to this share it is a sliver (a GIS file's edges drawn twice): loaded, and reported as a warning.
# Beyond it the file is wrong and is refused.
SLIVER_SHARE = 0.01
# Two boundaries that differ by less than this (about 1 cm) are the same: a file re-exported by a GIS
# may print the last digits differently.
SAME_SHAPE_DEGREES = 1e-7
KM_PER_DEGREE = 111.32


class BoundaryFileError(Exception):
    """The file cannot be loaded; `problems` lists every reason, each naming the feature it is about."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Area:
    """One feature of the file: its name (for neighborhoods), slug, and checked geometry."""

    label: str
    geometry: BaseGeometry
    name: str = ""
    slug: str = ""


@dataclass
class LoadResult:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Neighborhoods already in the database that the file does not name: kept (requests and routing rules
    # point at them), listed so that the city can delete them in the admin if they are really gone.
    not_in_file: list[str] = field(default_factory=list)
    # The share of the city's area that no neighborhood covers (0.0 when they tile it).
    uncovered_share: float = 0.0
    # Slivers that were loaded all the same (a small overlap, an edge a little outside the city).
    warnings: list[str] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------------


def read_features(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON file: a FeatureCollection, a Feature or a bare geometry."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BoundaryFileError(
            [_("%(file)s cannot be read: %(error)s") % {"file": path, "error": error.strerror}]
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BoundaryFileError(
            [_("%(file)s is not GeoJSON (JSON in UTF-8): %(error)s") % {"file": path.name, "error": error}]
        ) from None
    if not isinstance(document, dict):
        raise BoundaryFileError([_("%(file)s is not a GeoJSON object.") % {"file": path.name}])
    _check_crs(document, path)
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise BoundaryFileError(
                [_("%(file)s: the FeatureCollection has no list of features.") % {"file": path.name}]
            )
    elif kind == "Feature":
        features = [document]
    elif kind in {"Polygon", "MultiPolygon"}:
        features = [{"type": "Feature", "properties": {}, "geometry": document}]
    else:
        raise BoundaryFileError(
            [
                _("%(file)s: expected a FeatureCollection, a Feature or a Polygon, not %(type)s.")
                % {"file": path.name, "type": str(kind)[:40]}
            ]
        )
    if not features:
        raise BoundaryFileError([_("%(file)s has no features.") % {"file": path.name}])
    for feature in features:
        if isinstance(feature, dict):
            _check_crs(feature, path)
    return features


def _check_crs(member: dict[str, Any], path: Path) -> None:
    crs = member.get("crs")
    if crs is None:
        return
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    if not isinstance(name, str) or name.strip().lower() not in WGS84_NAMES:
        raise BoundaryFileError(
            [
                _(
                    "%(file)s is in the coordinate system %(crs)s; GeoJSON is longitude and latitude in WGS84 "
                    "(EPSG:4326). Convert it first, e.g. ogr2ogr -t_srs EPSG:4326 out.geojson %(file)s"
                )
                % {"file": path.name, "crs": str(name or crs)[:80]}
            ]
        )


def _label(feature: dict[str, Any], index: int, name_property: str | None) -> str:
    properties = feature.get("properties")
    name = properties.get(name_property) if name_property and isinstance(properties, dict) else None
    number = _("feature %(number)d") % {"number": index + 1}
    return f"{number} ({name})" if isinstance(name, str) and name.strip() else number


def _geometry(feature: object, label: str, problems: list[str]) -> BaseGeometry | None:
    """The feature's Polygon or MultiPolygon, checked; None (with the reason in `problems`) otherwise."""
    raw = feature.get("geometry") if isinstance(feature, dict) else None
    if not isinstance(raw, dict):
        problems.append(_("%(feature)s has no geometry.") % {"feature": label})
        return None
    if raw.get("type") not in {"Polygon", "MultiPolygon"}:
        problems.append(
            _("%(feature)s is a %(type)s; only Polygon and MultiPolygon can be a boundary.")
            % {"feature": label, "type": str(raw.get("type"))[:40]}
        )
        return None
    try:
        geometry = shape(raw)
    except Exception:  # noqa: BLE001 - shapely raises several types for malformed coordinates
        problems.append(
            _(
                "%(feature)s: its coordinates are not a polygon's (rings of [longitude, latitude] "
                "pairs, each ring closed)."
            )
            % {"feature": label}
        )
        return None
    if geometry.is_empty:
        problems.append(_("%(feature)s is empty.") % {"feature": label})
        return None
    min_x, min_y, max_x, max_y = geometry.bounds
    if (
        not all(math.isfinite(value) for value in geometry.bounds)
        or min_x < -180
        or max_x > 180
        or min_y < -90
        or max_y > 90
    ):
        problems.append(
            _(
                "%(feature)s: its coordinates (%(x).0f, %(y).0f) are not longitude and latitude in degrees; the "
                "file is probably in a projected coordinate system. Convert it to WGS84 (EPSG:4326) first."
            )
            % {"feature": label, "x": min_x, "y": min_y}
        )
        return None
    if not geometry.is_valid:
        problems.append(
            _(
                "%(feature)s is not a valid polygon: %(reason)s. Fix it in a GIS (e.g. QGIS's "
                "“Fix geometries”) and load it again."
            )
            % {"feature": label, "reason": explain_validity(geometry)}
        )
        return None
    return geometry


def _geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """A plain GeoJSON geometry (lists, not tuples), exterior rings counter-clockwise as RFC 7946 asks."""
    oriented = shapely.orient_polygons(geometry)
    return json.loads(json.dumps(mapping(oriented)))


# --- the city boundary --------------------------------------------------------------------------


def city_boundary_from(features: list[dict[str, Any]]) -> BaseGeometry:
    """The city's boundary: the union of the file's polygons (a city with islands may give one a feature)."""
    problems: list[str] = []
    parts = [
        _geometry(
            feature,
            _label(feature, index, "name")
            if isinstance(feature, dict)
            else _("feature %(number)d") % {"number": index + 1},
            problems,
        )
        for index, feature in enumerate(features)
    ]
    if problems:
        raise BoundaryFileError(problems)
    geometry = shapely.union_all([part for part in parts if part is not None])
    if geometry.geom_type not in {"Polygon", "MultiPolygon"} or not geometry.is_valid:
        raise BoundaryFileError([_("The polygons of the file do not make one valid city boundary.")])
    return geometry


@transaction.atomic
def load_city_boundary(
    jurisdiction: Jurisdiction, features: list[dict[str, Any]], *, dry_run: bool = False
) -> tuple[bool, list[str]]:
    """Set the city's boundary and make its bounds the boundary's box: (whether anything changed, warnings).

    Neighborhoods already loaded must still lie inside the new boundary."""
    geometry = city_boundary_from(features)
    existing = list(Neighborhood.objects.filter(jurisdiction=jurisdiction).order_by("name"))
    areas = [Area(neighborhood.name, neighborhood.boundary_shape) for neighborhood in existing]
    problems, warnings = _outside(areas, geometry)
    if problems:
        raise BoundaryFileError(
            [
                *problems,
                _(
                    "Correct those neighborhoods (load_boundaries --neighborhoods) "
                    "or the city boundary, then load it again."
                ),
            ]
        )
    min_long, min_lat, max_long, max_lat = geometry.bounds
    wanted = {
        "boundary": _geojson(geometry),
        "min_lat": min_lat,
        "max_lat": max_lat,
        "min_long": min_long,
        "max_long": max_long,
    }
    if all(getattr(jurisdiction, name) == value for name, value in wanted.items()):
        return False, warnings
    for name, value in wanted.items():
        setattr(jurisdiction, name, value)
    jurisdiction.__dict__.pop("boundary_shape", None)
    try:
        jurisdiction.full_clean()
    except ValidationError as error:
        raise BoundaryFileError(error.messages) from None
    if not dry_run:
        jurisdiction.save()  # the post_save signal forgets the cached geography
    return True, warnings


# --- neighborhoods ------------------------------------------------------------------------------


def neighborhoods_from(features: list[dict[str, Any]], *, name_property: str, slug_property: str | None) -> list[Area]:
    """The file's neighborhoods, each checked on its own: a name, a slug, a valid polygon."""
    problems: list[str] = []
    areas: list[Area] = []
    seen: dict[str, str] = {}
    for index, feature in enumerate(features):
        label = (
            _label(feature, index, name_property)
            if isinstance(feature, dict)
            else _("feature %(number)d") % {"number": index + 1}
        )
        properties = feature.get("properties") if isinstance(feature, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        name = properties.get(name_property)
        if isinstance(name, int | float) and not isinstance(name, bool):
            name = str(name)  # some files name their areas by number ("District 7" as 7)
        if not isinstance(name, str) or not name.strip():
            known = ", ".join(sorted(str(key) for key in properties)) or _("none")
            problems.append(
                _(
                    "%(feature)s has no property “%(property)s” to name it (its properties: %(known)s); "
                    "choose another with --name-property."
                )
                % {"feature": label, "property": name_property, "known": known}
            )
            continue
        name = " ".join(name.split())
        raw_slug = properties.get(slug_property) if slug_property else None
        slug = slugify(raw_slug if isinstance(raw_slug, str) and raw_slug.strip() else name)
        if not slug:
            problems.append(
                _("%(feature)s: no slug can be made from its name; give it a “slug” property.") % {"feature": label}
            )
            continue
        if slug in seen:
            problems.append(
                _("%(feature)s has the same slug (%(slug)s) as %(other)s.")
                % {"feature": label, "slug": slug, "other": seen[slug]}
            )
            continue
        seen[slug] = label
        geometry = _geometry(feature, label, problems)
        if geometry is not None:
            areas.append(Area(label, geometry, name=name, slug=slug))
    if problems:
        raise BoundaryFileError(problems)
    return areas


def _outside(
    areas: Iterable[Area], city: BaseGeometry, jurisdiction: Jurisdiction | None = None
) -> tuple[list[str], list[str]]:
    """(problems, warnings) about areas that reach outside the city."""
    problems, warnings = [], []
    for area in areas:
        outside = area.geometry.difference(city).area
        if outside <= AREA_TOLERANCE * area.geometry.area:
            continue
        share = outside / area.geometry.area
        if share > 0.999:
            problems.append(_("%(feature)s lies outside the city.") % {"feature": area.label})
        elif share > SLIVER_SHARE:
            problems.append(
                _("%(feature)s reaches %(share)s outside the city's boundary.")
                % {"feature": area.label, "share": f"{share:.1%}"}
            )
        else:
            warnings.append(
                _(
                    "%(feature)s reaches a sliver outside the city's boundary (%(share)s of it); "
                    "reports there are refused as outside the city."
                )
                % {"feature": area.label, "share": f"{share:.2%}"}
            )
    if problems and jurisdiction is not None and any(_looks_swapped(area.geometry, city) for area in areas):
        problems.append(_("Are latitude and longitude swapped? GeoJSON puts longitude first."))
    return problems, warnings


def _looks_swapped(geometry: BaseGeometry, city: BaseGeometry) -> bool:
    swapped = shapely.transform(geometry, lambda xy: xy[:, ::-1])
    return not geometry.intersects(city) and swapped.intersects(city)


def _overlaps(areas: list[Area]) -> tuple[list[str], list[str]]:
    """(problems, warnings) about areas that overlap: a sliver is a warning, more is a problem."""
    problems, warnings = [], []
    tree = shapely.STRtree([area.geometry for area in areas])
    first_ids, second_ids = tree.query([area.geometry for area in areas], predicate="intersects")
    for first, second in sorted(zip(first_ids.tolist(), second_ids.tolist(), strict=True)):
        if first >= second:
            continue
        a, b = areas[first], areas[second]
        shared = a.geometry.intersection(b.geometry).area
        share = shared / min(a.geometry.area, b.geometry.area)
        if share <= AREA_TOLERANCE:
            continue
        if share > SLIVER_SHARE:
            problems.append(
                _("%(first)s and %(second)s overlap (%(km2)s km²): a point there would belong to both.")
                % {"first": a.label, "second": b.label, "km2": f"{_km2(shared, a):.2f}"}
            )
        else:
            warnings.append(
                _(
                    "%(first)s and %(second)s overlap by a sliver (%(share)s of the smaller one); a "
                    "point there goes to the one loaded first."
                )
                % {"first": a.label, "second": b.label, "share": f"{share:.2%}"}
            )
    return problems, warnings


def _km2(square_degrees: float, area: Area) -> float:
    """Square degrees to km² at the area's latitude (close enough to size an overlap for a person)."""
    latitude = area.geometry.centroid.y
    return square_degrees * KM_PER_DEGREE**2 * math.cos(math.radians(latitude))


def city_shape(jurisdiction: Jurisdiction) -> BaseGeometry:
    """The city's boundary, or its bounds when it has none."""
    return jurisdiction.boundary_shape or box(
        jurisdiction.min_long, jurisdiction.min_lat, jurisdiction.max_long, jurisdiction.max_lat
    )


@transaction.atomic
def load_neighborhoods(
    jurisdiction: Jurisdiction,
    features: list[dict[str, Any]],
    *,
    name_property: str = "name",
    slug_property: str | None = "slug",
    dry_run: bool = False,
) -> LoadResult:
    """Add or correct the city's neighborhoods from the file's features; all of them or none."""
    areas = neighborhoods_from(features, name_property=name_property, slug_property=slug_property)
    existing = list(Neighborhood.objects.select_for_update().filter(jurisdiction=jurisdiction).order_by("pk"))
    by_slug = {row.slug: row for row in existing}
    by_name = {row.name.casefold(): row for row in existing}
    # Each feature corrects the neighborhood of its slug, else of its name; a renamed one keeps its slug.
    pairs: list[tuple[Area, Neighborhood | None]] = []
    taken: set[int] = set()
    for area in areas:
        row = by_slug.get(area.slug) or by_name.get(area.name.casefold())
        if row is not None and row.pk in taken:
            row = None
        if row is not None:
            taken.add(row.pk)
        pairs.append((area, row))
    kept = [row for row in existing if row.pk not in taken]

    city = city_shape(jurisdiction)
    problems, warnings = _outside(areas, city, jurisdiction)
    overlapping, slivers = _overlaps(
        areas
        + [
            Area(_("%(name)s (already loaded, not in the file)") % {"name": row.name}, row.boundary_shape)
            for row in kept
        ]
    )
    if problems or overlapping:
        raise BoundaryFileError(problems + overlapping)

    result = LoadResult(not_in_file=[row.name for row in kept], warnings=warnings + slivers)
    for area, found in pairs:
        boundary = _geojson(area.geometry)
        if (
            found is not None
            and found.name == area.name
            and (found.boundary == boundary or _same_shape(found.boundary, area.geometry))
        ):
            result.unchanged.append(area.name)
            continue
        if found is None:
            row = Neighborhood(jurisdiction=jurisdiction, slug=area.slug, name=area.name, boundary=boundary)
            result.added.append(area.name)
        else:
            row = found
            row.name, row.boundary = area.name, boundary
            row.__dict__.pop("boundary_shape", None)
            result.changed.append(area.name)
        try:
            row.full_clean()
        except ValidationError as error:
            raise BoundaryFileError([f"{area.label}: {message}" for message in error.messages]) from None
        if not dry_run:
            row.save()  # the post_save signal forgets the cached neighborhood index
    covered = shapely.union_all([area.geometry for area in areas])
    result.uncovered_share = max(0.0, city.difference(covered).area / city.area) if city.area else 0.0
    return result


def _same_shape(stored: object, geometry: BaseGeometry) -> bool:
    """A boundary stored before (by the admin, or an older loader) that draws the same polygon."""
    try:
        return shape(stored).normalize().equals_exact(geometry.normalize(), SAME_SHAPE_DEGREES)
    except Exception:  # noqa: BLE001 - a stored boundary that does not parse (any error) is simply replaced
        return False
