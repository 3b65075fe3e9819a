"""Writes about jurisdictions: adding a city (its boundary and neighborhoods are in `boundaries.py`), and its
streets (`import_streets`)."""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from . import boundaries
from .models import Jurisdiction, StreetSegment


@transaction.atomic
def save_jurisdiction(
    jurisdiction_id: str, *, boundary: list[dict[str, Any]] | None = None, **fields: Any
) -> tuple[Jurisdiction, bool, list[str]]:
    """Add the city with this Open311 jurisdiction_id, or change the given fields of the one there;
    (city, created, warnings about its neighborhoods and a new boundary). A new city needs its boundary's
    features: its bounds are the boundary's box."""
    city = Jurisdiction.objects.select_for_update().filter(jurisdiction_id__iexact=jurisdiction_id).first()
    created = city is None
    if city is None:
        if boundary is None:
            raise ValidationError({"boundary": _("A new jurisdiction needs its boundary (--boundary FILE).")})
        city = Jurisdiction(jurisdiction_id=jurisdiction_id)
        # The first city is the deployment's default, so that adding a second one later never changes the
        # answer for the first one's clients (Open311 calls without jurisdiction_id, the public site).
        city.is_default = not Jurisdiction.objects.filter(is_default=True).exists()
    for name, value in fields.items():
        setattr(city, name, value)
    if boundary is not None:
        outline = boundaries.city_boundary_from(boundary)
        city.min_long, city.min_lat, city.max_long, city.max_lat = outline.bounds
    city.full_clean()
    city.save()
    warnings: list[str] = []
    if boundary is not None:
        # Also checks that the neighborhoods already there stay inside a changed boundary.
        _changed, warnings = boundaries.load_city_boundary(city, boundary)
    return city, created, warnings


# --- streets (`manage.py import_streets`; read by text_intelligence.places) -------------------------------

# Sent after a city's street segments were replaced (the readers of streets forget what they kept).
streets_replaced = Signal()

# A direction written before (or, in Spanish, after) a street's name.
STREET_DIRECTIONS: dict[str, str] = {
    "n": "N", "north": "N", "norte": "N",
    "s": "S", "south": "S", "sur": "S",
    "e": "E", "east": "E", "este": "E",
    "w": "W", "west": "W", "oeste": "W",
}  # fmt: skip
# The kind of street written after its name, and how the city writes it.
STREET_SUFFIXES: dict[str, str] = {
    "st": "St", "street": "St", "str": "St",
    "ave": "Ave", "av": "Ave", "avenue": "Ave", "avenida": "Ave",
    "blvd": "Blvd", "boulevard": "Blvd", "bulevar": "Blvd",
    "rd": "Rd", "road": "Rd",
    "dr": "Dr", "drive": "Dr",
    "ln": "Ln", "lane": "Ln",
    "pl": "Pl", "place": "Pl",
    "pk": "Pike", "pike": "Pike",
    "ct": "Ct", "court": "Ct",
    "ter": "Ter", "terrace": "Ter",
    "pkwy": "Pkwy", "parkway": "Pkwy",
    "hwy": "Hwy", "highway": "Hwy",
    "expy": "Expy", "expressway": "Expy",
    "sq": "Sq", "square": "Sq",
    "way": "Way", "walk": "Walk", "row": "Row", "cir": "Cir", "circle": "Cir",
}  # fmt: skip
_NAME_WORD = re.compile(r"[a-z0-9]+")
_ORDINAL = re.compile(r"^(\d{1,3})(?:st|nd|rd|th)?$")


def ordinal(number: int) -> str:
    """5 → "5th", 22 → "22nd", 13 → "13th": how a numbered street's key writes its number."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def _street_words(name: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", (name or "").lower())
    return _NAME_WORD.findall("".join(char for char in decomposed if not unicodedata.combining(char)))


def split_street_name(name: str) -> tuple[str, str, str]:
    """A street's name as (direction, key, suffix): "N. 5th Street" → ("N", "5th", "St"), "Lehigh Ave" →
    ("", "lehigh", "Ave"), "South St" → ("", "south", "St") (a direction is a name when nothing else is)."""
    found = _street_words(name)
    direction = suffix = ""
    if len(found) > 1 and found[-1] in STREET_SUFFIXES:
        suffix = STREET_SUFFIXES[found.pop()]
    if len(found) > 1 and found[0] in STREET_DIRECTIONS:
        direction = STREET_DIRECTIONS[found.pop(0)]
    elif len(found) > 1 and found[-1] in STREET_DIRECTIONS:
        direction = STREET_DIRECTIONS[found.pop()]
    if len(found) == 1 and (number := _ORDINAL.match(found[0])) is not None:
        found = [ordinal(int(number.group(1)))]
    return direction, " ".join(found), suffix


def street_key(name: str) -> str:
    """The name folded for matching: lower case, no accents, no direction or suffix, a number as an
    ordinal: "N. 5th Street" and "5 St" → "5th", "W Lehigh Ave" → "lehigh", "Cecil B. Moore Ave" →
    "cecil b moore"."""
    return split_street_name(name)[1]


class StreetFileError(Exception):
    """The street file cannot be loaded; `problems` lists every reason, each naming its feature."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# The property names tried, in order, when the caller names none: ours, then Philadelphia's street
# centreline file (STNAME "N 5TH ST"; the left and right sides' first and last house numbers).
DEFAULT_NAME_PROPERTIES = ("name", "STNAME", "ST_NAME", "FULLNAME")
DEFAULT_FROM_PROPERTIES = ("from_number", "L_F_ADD", "R_F_ADD")
DEFAULT_TO_PROPERTIES = ("to_number", "L_T_ADD", "R_T_ADD")
_ZERO_IS_NONE = frozenset({"L_F_ADD", "R_F_ADD", "L_T_ADD", "R_T_ADD"})
# Problems listed before "… and N more".
_PROBLEMS_SHOWN = 20
_BATCH = 2000


def _house_number(properties: dict[str, Any], names: tuple[str, ...], label: str, problems: list[str]) -> int | None:
    """The first of `names` that holds a house number; empty is "none", and so is 0 in Philadelphia's
    centreline fields (a segment without addresses)."""
    for name in names:
        value = properties.get(name)
        if value is None or value == "" or (name in _ZERO_IS_NONE and value in (0, "0")):
            continue
        try:
            number = int(str(value).strip())
        except ValueError:
            problems.append(
                _("%(feature)s: %(property)s is not a house number (%(value)s).")
                % {"feature": label, "property": name, "value": str(value)[:40]}
            )
            return None
        if number < 0 or number > 2_000_000:
            problems.append(
                _("%(feature)s: %(property)s is not a house number (%(value)s).")
                % {"feature": label, "property": name, "value": number}
            )
            return None
        return number
    return None


def _street_lines(geometry: Any, label: str, problems: list[str]) -> list[list[list[float]]]:
    """The feature's lines as [long, lat] lists: a LineString is one, a MultiLineString one per part."""
    if not isinstance(geometry, dict) or geometry.get("type") not in {"LineString", "MultiLineString"}:
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        problems.append(
            _("%(feature)s: a street is a LineString or MultiLineString, not %(kind)s.")
            % {"feature": label, "kind": kind or pgettext("a geometry's type", "nothing")}
        )
        return []
    coordinates = geometry.get("coordinates")
    parts = [coordinates] if geometry["type"] == "LineString" else coordinates
    if not isinstance(parts, list):
        problems.append(_("%(feature)s: the line has no coordinates.") % {"feature": label})
        return []
    lines: list[list[list[float]]] = []
    for part in parts:
        line: list[list[float]] = []
        for point in part if isinstance(part, list) else [None]:
            if (
                not isinstance(point, list | tuple)
                or len(point) < 2
                or not all(isinstance(value, int | float) and math.isfinite(value) for value in point[:2])
            ):
                problems.append(_("%(feature)s: a point of the line is not a pair of numbers.") % {"feature": label})
                return []
            long, lat = float(point[0]), float(point[1])
            if not (-180 <= long <= 180 and -90 <= lat <= 90):
                problems.append(
                    _(
                        "%(feature)s: the point (%(x)s, %(y)s) is not a longitude and latitude: the file must be "
                        "in WGS84 degrees (EPSG:4326), not a projected system such as State Plane feet."
                    )
                    % {"feature": label, "x": point[0], "y": point[1]}
                )
                return []
            line.append([round(long, 7), round(lat, 7)])
        if len(line) < 2:
            problems.append(_("%(feature)s: a line needs at least two points.") % {"feature": label})
            return []
        lines.append(line)
    return lines


def _in_box(jurisdiction: Jurisdiction, line: list[list[float]]) -> bool:
    """Whether the line's box meets the city's bounds (a line wholly outside them is not the city's)."""
    longs, lats = [point[0] for point in line], [point[1] for point in line]
    return bool(
        min(longs) <= jurisdiction.max_long
        and max(longs) >= jurisdiction.min_long
        and min(lats) <= jurisdiction.max_lat
        and max(lats) >= jurisdiction.min_lat
    )


def _line_length(line: list[list[float]]) -> float:
    return sum(math.dist(a, b) for a, b in itertools.pairwise(line))


def street_segments_from(
    jurisdiction: Jurisdiction,
    geojson: Any,
    *,
    name_property: str | None = None,
    from_property: str | None = None,
    to_property: str | None = None,
) -> tuple[list[StreetSegment], int]:
    """The city's segments made from a GeoJSON FeatureCollection of lines (not saved), and how many
    features lay wholly outside the city's bounds (left out); StreetFileError listing every problem."""
    if isinstance(geojson, dict) and isinstance(geojson.get("crs"), dict):
        crs = str((geojson["crs"].get("properties") or {}).get("name", "")).lower()
        if crs and crs not in boundaries.WGS84_NAMES:
            raise StreetFileError(
                [
                    _("The file is in the coordinate system %(crs)s; it must be in WGS84 longitude/latitude.")
                    % {"crs": crs}
                ]
            )
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection":
        raise StreetFileError([_("The file is not a GeoJSON FeatureCollection.")])
    features = geojson.get("features")
    if not isinstance(features, list):
        raise StreetFileError([_("The FeatureCollection has no list of features.")])
    if not features:
        raise StreetFileError([_("The FeatureCollection has no features.")])
    name_properties = (name_property,) if name_property else DEFAULT_NAME_PROPERTIES
    from_properties = (from_property,) if from_property else DEFAULT_FROM_PROPERTIES
    to_properties = (to_property,) if to_property else DEFAULT_TO_PROPERTIES
    problems: list[str] = []
    segments: list[StreetSegment] = []
    outside = 0
    for number, feature in enumerate(features, start=1):
        label = _("feature %(number)d") % {"number": number}
        if not isinstance(feature, dict):
            problems.append(_("%(feature)s is not a GeoJSON feature.") % {"feature": label})
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            properties = {}
        name = next(
            (str(properties[key]).strip() for key in name_properties if str(properties.get(key) or "").strip()), ""
        )
        if name:
            label = _("feature %(number)d (%(name)s)") % {"number": number, "name": name[:60]}
        else:
            problems.append(
                _("%(feature)s has no street name (property %(properties)s).")
                % {"feature": label, "properties": " / ".join(name_properties)}
            )
        lines = _street_lines(feature.get("geometry"), label, problems)
        key = street_key(name)
        if name and not key:
            problems.append(_("%(feature)s: the name has no letters or digits.") % {"feature": label})
        low = _house_number(properties, from_properties, label, problems)
        high = _house_number(properties, to_properties, label, problems)
        if not lines or not key:
            continue
        if not any(_in_box(jurisdiction, line) for line in lines):
            outside += 1
            continue
        # A line in parts shares the feature's numbers by length, in the order the parts come.
        lengths = [_line_length(line) for line in lines]
        total, done = sum(lengths) or 1.0, 0.0
        for line, length in zip(lines, lengths, strict=True):
            first = last = None
            if low is not None and high is not None:
                first = round(low + (high - low) * done / total)
                last = round(low + (high - low) * (done + length) / total)
            done += length
            segments.append(
                StreetSegment(
                    jurisdiction=jurisdiction,
                    name=name[:120],
                    key=key[:120],
                    line=line,
                    from_number=first,
                    to_number=last,
                )
            )
    if problems:
        raise StreetFileError(problems_shown(problems))
    if not segments:
        raise StreetFileError([_("No street of the file lies within the city's bounds.")])
    return segments, outside


def import_streets(
    jurisdiction: Jurisdiction,
    geojson: Any,
    *,
    name_property: str | None = None,
    from_property: str | None = None,
    to_property: str | None = None,
) -> int:
    """Replace the city's street segments with the file's (a GeoJSON FeatureCollection of LineStrings, in
    WGS84, each with a street name and maybe its first and last house numbers), in one transaction; the
    number of segments saved. Nothing changes when the file has any problem (StreetFileError lists them)."""
    segments, _outside = street_segments_from(
        jurisdiction, geojson, name_property=name_property, from_property=from_property, to_property=to_property
    )
    return replace_street_segments(jurisdiction, segments)


def replace_street_segments(jurisdiction: Jurisdiction, segments: list[StreetSegment]) -> int:
    """The city's street segments are these (the old ones deleted), in one transaction."""
    with transaction.atomic():
        StreetSegment.objects.filter(jurisdiction=jurisdiction).delete()
        StreetSegment.objects.bulk_create(segments, batch_size=_BATCH)
        transaction.on_commit(lambda: streets_replaced.send(sender=Jurisdiction, jurisdiction_id=jurisdiction.pk))
    streets_replaced.send(sender=Jurisdiction, jurisdiction_id=jurisdiction.pk)
    return len(segments)


def problems_shown(problems: list[str]) -> list[str]:
    """The first problems of a file refused whole, and how many more there are (a file of a million bad
    lines must not make a million-line answer)."""
    shown = problems[:_PROBLEMS_SHOWN]
    if len(problems) > _PROBLEMS_SHOWN:
        more = len(problems) - _PROBLEMS_SHOWN
        shown.append(
            ngettext("… and %(count)d more problem.", "… and %(count)d more problems.", more) % {"count": more}
        )
    return shown
