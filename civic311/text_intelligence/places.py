"""Places named in free text: addresses ("1234 Market St"), intersections ("5th and Lehigh", "Broad y
Girard") and neighborhood names, matched to the city's streets and neighborhoods.

How a text is read: its words are folded (`words.fold`, word by word so that each keeps where it was
written); "&", "/" and "+" between words read as "and". A street is an optional "calle"/"avenida"/"la", an
optional direction (N, S, E, W, north, norte…), its name (as the city's street file keys it:
`jurisdictions.services.street_key`; "5th", "fifth", "5ta", "quinta" and, after "calle"/"la" or across from a
named street, "5" are the same street; a name of six letters or more may have one typo) and an optional
suffix (St, Ave, Blvd…). An address is a house number and a street ("1234 N. 5th street", "the 1200 block of
Market"), or in Spanish a street and its number ("calle Market 1234"); it is placed by interpolating the
house number along the segment whose numbers hold it, and is left out when none does. An intersection is
two streets joined by and, &, /, y, con or at ("corner of 52nd and Market", "esquina de la 5 y Lehigh");
its point is where the two streets' lines cross (shapely), and it is left out when they don't; "Snyder
between 15th and 16th" (entre … y …) is the middle of that block. A
neighborhood is a city neighborhood's name, case and accents folded, matched whole words, with one typo
forgiven in a long name ("Kensingon") but never a part of a name ("center" alone is not Center City) and never
a word already read as a street ("Germantown Ave" is a street, "in Germantown" a neighborhood).

Each city's streets and neighborhood names are indexed once per process (kept half an hour; importing
streets or saving a neighborhood in this process forgets them at once).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import shapely
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from civic311.jurisdictions.models import Jurisdiction, Neighborhood, StreetSegment
from civic311.jurisdictions.selectors import neighborhood_id_at
from civic311.jurisdictions.services import (
    STREET_DIRECTIONS,
    STREET_SUFFIXES,
    ordinal,
    split_street_name,
    streets_replaced,
)
from civic311.process_cache import ProcessCache

from .words import READ_MAX_CHARS, fold


@dataclass(frozen=True)
class FoundPlace:
    kind: str  # "address", "intersection" or "neighborhood"
    text: str  # the words as written in the text
    label: str  # as the city writes it: "1234 Market St", "N 5th St & W Lehigh Ave", "Kensington"
    lat: float | None
    long: float | None
    neighborhood: Neighborhood | None


logger = logging.getLogger(__name__)

ADDRESS, INTERSECTION, NEIGHBORHOOD = "address", "intersection", "neighborhood"
_ORDER = {ADDRESS: 0, INTERSECTION: 1, NEIGHBORHOOD: 2}

# Streets change rarely (a new street file); an import or a neighborhood saved in this process forgets them
# at once, other processes within this.
_CACHE_SECONDS = 1800
_indexes: ProcessCache[int, _Index] = ProcessCache(_CACHE_SECONDS)

# Words (as folded) that join the two streets of an intersection; "&", "/" and "+" read as "and".
_JOINS = frozenset({"and", "y", "con", "at"})
# Words before a street's name that make a bare number a street ("calle 5", "la 5": 5th Street).
_STREET_WORDS = frozenset({"calle", "avenida", "av", "la", "el"})
# "on Snyder between 15th and 16th": the middle of that block.
_BETWEEN = frozenset({"between", "btwn", "btw", "entre"})
_BLOCK_WORDS = (("block", "of"), ("blk", "of"), ("cuadra", "de"), ("bloque", "de"))
# After "Market 2 …": a count of something, not a house number.
_UNITS = frozenset(
    [
        "am",
        "pm",
        "days",
        "day",
        "weeks",
        "week",
        "months",
        "month",
        "years",
        "year",
        "hours",
        "hour",
        "times",
        "time",
        "minutes",
        "mins",
        "min",
        "dias",
        "dia",
        "semanas",
        "semana",
        "meses",
        "mes",
        "anos",
        "ano",
        "horas",
        "hora",
        "veces",
        "vez",
        "minutos",
    ]
)
_ORDINAL_TOKEN = re.compile(r"^(\d{1,3})(?:st|nd|rd|th|ta|da|ra|ro|va|vo|na|no|mo|ma|to|a|o)$")
_NUMBER = re.compile(r"^\d{1,5}$")
_UNITS_ORDINAL = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
    "primera": 1, "primero": 1, "segunda": 2, "segundo": 2, "tercera": 3, "tercero": 3, "cuarta": 4,
    "cuarto": 4, "quinta": 5, "quinto": 5, "sexta": 6, "sexto": 6, "septima": 7, "septimo": 7,
    "octava": 8, "octavo": 8, "novena": 9, "noveno": 9, "decima": 10, "decimo": 10,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}
# Everyday words one typo away from a street's name: never read as that street.
_NOT_STREETS = frozenset(
    [
        "marked",
        "marker",
        "markets",
        "marketing",
        "walnuts",
        "locusts",
        "indian",
        "bridge",
        "abroad",
        "board",
        "boards",
        "bread",
        "brand",
        "gerard",
        "frankly",
        "dolphin",
        "oregano",
        "poplars",
        "christians",
        "diamonds",
        "federals",
    ]
)
# Words that may not start a neighborhood's name read with a typo.
_NOT_NEIGHBORHOODS = frozenset(["the", "this", "that", "there", "their", "where", "when", "what", "city"])
# "mt airy" is Mount Airy; a name's "Philadelphia" is also said "Philly".
_NAME_VARIANTS = (("mount ", "mt "), ("philadelphia", "philly"), ("point ", "pt "))
_TOKEN = re.compile(r"https?://\S+|www\.\S+|[&/+]|(?<=\s)@(?=\s)|[^\W_]+(?:'[^\W_]+)*")
_ASCII_WORD = re.compile(r"^[A-Za-z0-9]+$")
# A neighborhood's or street's name read with one typo: the least rapidfuzz ratio, by the name's length.
_LONG_NAME, _LONG_RATIO, _MIDDLE_NAME, _MIDDLE_RATIO = 8, 85.0, 6, 83.0
# Pairs of streets whose crossing was worked out, kept per city index.
_CROSSINGS_KEPT = 4096


@dataclass(frozen=True)
class _Segment:
    name: str
    direction: str
    suffix: str
    line: LineString
    low: int | None
    high: int | None
    first: int | None  # the number at the line's first point


@dataclass
class _Index:
    segments: dict[str, list[_Segment]]
    lines: dict[str, BaseGeometry]
    keys_by_length: dict[int, list[str]]  # by number of words: the names a typo is compared with
    neighborhoods: dict[int, Neighborhood]
    aliases: dict[str, int]  # a folded neighborhood name (or variant) → its pk
    aliases_by_length: dict[int, list[str]]
    crossings: dict[tuple[str, str], list[Point]] = field(default_factory=dict)
    labels: dict[tuple[str, str, str, float, float], str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Token:
    word: str
    start: int
    end: int


@dataclass(frozen=True)
class _Street:
    key: str
    direction: str
    suffix: str
    start: int  # token positions
    end: int
    how: str  # "name", "typo", "ordinal" or "bare" (a bare number: "la 5")
    said: bool  # "calle", "avenida", "la" before it


def places_in_text(jurisdiction: Jurisdiction, text: str) -> list[FoundPlace]:
    """The places the text names, the most precise first (address, intersection, neighborhood); only
    those matched to the city. Never raises on any text."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        index = _indexes.get(jurisdiction.pk, lambda: _build_index(jurisdiction))
        return _read(jurisdiction, index, text)
    except Exception:  # a place is a help, never a reason for a text to fail
        logger.exception("Reading the places of a text failed")
        return []


def forget_streets(jurisdiction_id: int | None = None) -> None:
    """Forget this process's index of a city's streets and neighborhood names (all cities' with no id)."""
    _indexes.forget(jurisdiction_id)


# --- reading ------------------------------------------------------------------------------------------


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    for match in _TOKEN.finditer(text[:READ_MAX_CHARS]):
        word = match.group()
        if word[0] in "hHwW" and ("://" in word or word.lower().startswith("www.")):
            continue  # a link
        if word in "&/+":
            found.append(_Token("and", match.start(), match.end()))
        elif word == "@":
            found.append(_Token("at", match.start(), match.end()))
        elif _ASCII_WORD.match(word):
            found.append(_Token(word.lower(), match.start(), match.end()))
        else:
            found.extend(_Token(part, match.start(), match.end()) for part in fold(word).split())
    return found


def _read(jurisdiction: Jurisdiction, index: _Index, text: str) -> list[FoundPlace]:
    tokens = _tokens(text)
    words = [token.word for token in tokens]
    used: set[int] = set()
    addresses: list[tuple[int, _Street, int]] = []  # (number's position, street, number)
    crossings: list[tuple[_Street, _Street]] = []
    blocks: list[tuple[_Street, _Street, _Street]] = []  # "Snyder between 15th and 16th"
    if index.segments:
        for position, word in enumerate(words):
            if _NUMBER.match(word):
                found = _address_after(index, words, position) or _address_before(index, words, position)
                if found is not None:
                    addresses.append(found)
            elif word in _JOINS:
                pair = _intersection_at(index, words, position)
                if pair is not None:
                    crossings.append(pair)
            elif word in _BETWEEN:
                block = _block_at(index, words, position)
                if block is not None:
                    blocks.append(block)
    for number_at, street, _number in addresses:
        used.update(range(min(number_at, street.start), max(number_at + 1, street.end)))
    for left, right in crossings:
        used.update(range(left.start, right.end))
    for street, _one, other in blocks:
        used.update(range(street.start, other.end))
    named = list(_neighborhoods_named(index, words, used))
    hints = [index.neighborhoods[pk] for _start, _end, pk in named]

    places: list[tuple[int, int, FoundPlace]] = []
    for number_at, street, number in addresses:
        start, end = min(number_at, street.start), max(number_at + 1, street.end)
        place = _address_place(jurisdiction, index, street, number, hints, _said(text, tokens, start, end))
        if place is not None:
            places.append((_ORDER[ADDRESS], tokens[start].start, place))
    for left, right in crossings:
        place = _intersection_place(jurisdiction, index, left, right, hints, _said(text, tokens, left.start, right.end))
        if place is not None:
            places.append((_ORDER[INTERSECTION], tokens[left.start].start, place))
    for street, one, other in blocks:
        said = _said(text, tokens, street.start, other.end)
        place = _block_place(jurisdiction, index, street, one, other, hints, said)
        if place is not None:
            places.append((_ORDER[INTERSECTION], tokens[street.start].start, place))
    for start, end, pk in named:
        neighborhood = index.neighborhoods[pk]
        places.append(
            (
                _ORDER[NEIGHBORHOOD],
                tokens[start].start,
                FoundPlace(NEIGHBORHOOD, _said(text, tokens, start, end), neighborhood.name, None, None, neighborhood),
            )
        )
    places.sort(key=lambda row: (row[0], row[1]))
    seen: set[tuple[str, str]] = set()
    unique: list[FoundPlace] = []
    for _order, _at, place in places:
        if (place.kind, place.label) not in seen:
            seen.add((place.kind, place.label))
            unique.append(place)
    return unique


def _said(text: str, tokens: list[_Token], start: int, end: int) -> str:
    return text[tokens[start].start : tokens[end - 1].end]


def _ordinal_of(words: list[str], position: int) -> tuple[int, int] | None:
    """(the number, words used) of an ordinal written at `position`: "5th", "5ta", "fifth", "twenty second"."""
    word = words[position]
    if (match := _ORDINAL_TOKEN.match(word)) is not None:
        return int(match.group(1)), 1
    if word in _TENS and position + 1 < len(words) and words[position + 1] in _UNITS_ORDINAL:
        unit = _UNITS_ORDINAL[words[position + 1]]
        if unit < 10:
            return _TENS[word] + unit, 2
    if word in _UNITS_ORDINAL:
        return _UNITS_ORDINAL[word], 1
    return None


def _name_at(index: _Index, words: list[str], position: int, said: bool) -> tuple[str, int, str] | None:
    """(key, end, how) of a street's name starting at `position`."""
    if position >= len(words):
        return None
    if (found := _ordinal_of(words, position)) is not None:
        key = ordinal(found[0])
        return (key, position + found[1], "ordinal") if key in index.segments else None
    word = words[position]
    if word.isdigit():
        key = ordinal(int(word)) if len(word) <= 3 else ""
        return (key, position + 1, "bare") if key in index.segments else None
    for size in (3, 2, 1):
        if position + size <= len(words):
            candidate = " ".join(words[position : position + size])
            if candidate in index.segments:
                return candidate, position + size, "name"
    if word in _NOT_STREETS or word in STREET_SUFFIXES or word in _JOINS:
        return None
    for size in (3, 2, 1):
        if position + size > len(words) or any(part.isdigit() for part in words[position : position + size]):
            continue
        candidate = " ".join(words[position : position + size])
        if len(candidate) < _MIDDLE_NAME:
            continue
        choices = index.keys_by_length.get(size)
        best = (
            process.extractOne(candidate, choices, scorer=fuzz.ratio, score_cutoff=_MIDDLE_RATIO) if choices else None
        )
        if best is not None and _close_enough(candidate, best[0], best[1]):
            return best[0], position + size, "typo"
    return None


def _close_enough(candidate: str, name: str, ratio: float) -> bool:
    """One typo: a letter wrong, missing, extra or two swapped; never a longer word ("Kensingtonian")."""
    if abs(len(candidate) - len(name)) > 1:
        return False
    shorter = min(len(candidate), len(name))
    if shorter >= _LONG_NAME:
        return ratio >= _LONG_RATIO
    return shorter >= _MIDDLE_NAME and ratio >= _MIDDLE_RATIO


def _street_at(index: _Index, words: list[str], position: int) -> _Street | None:
    """The street written from `position` on: ["calle"|"la"…] [direction] name [suffix] [norte|sur…]."""
    cursor, said = position, False
    while cursor < len(words) and cursor - position < 2 and words[cursor] in _STREET_WORDS:
        cursor, said = cursor + 1, True
    if cursor >= len(words):
        return None
    direction = ""
    name = None
    if words[cursor] in STREET_DIRECTIONS:
        name = _name_at(index, words, cursor + 1, said)
        if name is not None:
            direction = STREET_DIRECTIONS[words[cursor]]
    if name is None:
        name = _name_at(index, words, cursor, said)
    if name is None:
        return None
    key, end, how = name
    suffix = ""
    if end < len(words) and words[end] in STREET_SUFFIXES:
        suffix, end = STREET_SUFFIXES[words[end]], end + 1
    if not direction and end < len(words) and words[end] in {"norte", "sur", "este", "oeste"}:
        direction, end = STREET_DIRECTIONS[words[end]], end + 1
    return _Street(key, direction, suffix, position, end, how, said)


def _address_after(index: _Index, words: list[str], position: int) -> tuple[int, _Street, int] | None:
    """ "1234 N 5th St", "1200 block of Market": a house number, then its street."""
    number = int(words[position])
    cursor = position + 1
    for first, second in _BLOCK_WORDS:
        if words[cursor : cursor + 2] == [first, second]:
            cursor += 2
            break
    street = _street_at(index, words, cursor)
    if street is None or (street.how == "bare" and not street.said):
        return None
    if number < 10 and not (street.suffix or street.direction):
        return None  # "2 broad" is rather two of something
    return position, street, number


def _address_before(index: _Index, words: list[str], position: int) -> tuple[int, _Street, int] | None:
    """ "calle Market 1234", "Market St 1234": a street, then its house number (at `position`)."""
    street = _street_ending(index, words, position)
    if street is None:
        return None
    number = int(words[position])
    if not (street.said or number >= 100) or (street.how == "bare" and not street.said):
        return None
    if position + 1 < len(words) and words[position + 1] in _UNITS:
        return None
    return position, street, number


def _street_ending(index: _Index, words: list[str], end: int) -> _Street | None:
    """The longest street written just before the word at `end`."""
    for start in range(max(0, end - 6), end):
        candidate = _street_at(index, words, start)
        if candidate is not None and candidate.end == end:
            return candidate
    return None


def _intersection_at(index: _Index, words: list[str], join: int) -> tuple[_Street, _Street] | None:
    """Two streets joined by the word at `join`: "5th and Lehigh", "Broad & Girard", "la 5 y Lehigh"."""
    right = _street_at(index, words, join + 1)
    if right is None:
        return None
    left = _street_ending(index, words, join)
    if left is None or left.key == right.key:
        return None
    for one, other in ((left, right), (right, left)):
        if one.how == "bare" and (other.how != "name" or words[join] == "at"):
            return None
    return left, right


def _block_at(index: _Index, words: list[str], between: int) -> tuple[_Street, _Street, _Street] | None:
    """ "Snyder between 15th and 16th", "la Christian entre la 9 y la 10": a street and the two cross streets
    that end its block."""
    street = _street_ending(index, words, between)
    one = _street_at(index, words, between + 1)
    if street is None or one is None or one.end >= len(words) or words[one.end] not in {"and", "y"}:
        return None
    other = _street_at(index, words, one.end + 1)
    if other is None or len({street.key, one.key, other.key}) < 3 or street.how == "bare":
        return None
    return street, one, other


def _neighborhoods_named(index: _Index, words: list[str], used: set[int]) -> Iterator[tuple[int, int, int]]:
    """(start, end, pk) of each neighborhood named in the words not read as streets."""
    taken = set(used)
    for size in sorted(index.aliases_by_length, reverse=True):
        choices = index.aliases_by_length[size]
        for start in range(len(words) - size + 1):
            span = range(start, start + size)
            if any(position in taken for position in span):
                continue
            if start + size < len(words) and words[start + size] in STREET_SUFFIXES:
                continue  # "Germantown Ave" is the street
            if start > 0 and _NUMBER.match(words[start - 1]):
                continue  # "4500 Frankford": an address, not the neighborhood
            candidate = " ".join(words[start : start + size])
            pk = index.aliases.get(candidate)
            if pk is None and words[start] not in _NOT_NEIGHBORHOODS and len(candidate) >= _MIDDLE_NAME:
                best = process.extractOne(candidate, choices, scorer=fuzz.ratio, score_cutoff=_MIDDLE_RATIO)
                if best is not None and _close_enough(candidate, best[0], best[1]):
                    pk = index.aliases[best[0]]
            if pk is not None:
                taken.update(span)
                yield start, start + size, pk


# --- placing ------------------------------------------------------------------------------------------


def _inside(jurisdiction: Jurisdiction, point: Point) -> bool:
    return bool(
        jurisdiction.min_lat <= point.y <= jurisdiction.max_lat
        and jurisdiction.min_long <= point.x <= jurisdiction.max_long
    )


def _neighborhood_at(jurisdiction: Jurisdiction, index: _Index, point: Point) -> Neighborhood | None:
    pk = neighborhood_id_at(jurisdiction, point.y, point.x)
    return index.neighborhoods.get(pk) if pk is not None else None


def _in_hints(jurisdiction: Jurisdiction, hints: list[Neighborhood], point: Point) -> bool:
    return any(hint.boundary_shape.covers(point) for hint in hints)


def _address_place(
    jurisdiction: Jurisdiction, index: _Index, street: _Street, number: int, hints: list[Neighborhood], said: str
) -> FoundPlace | None:
    candidates: list[tuple[tuple[int, int, int], _Segment, Point]] = []
    for segment in index.segments.get(street.key, ()):
        if segment.low is None or segment.high is None or not segment.low <= number <= segment.high:
            continue
        if street.direction and segment.direction and street.direction != segment.direction:
            continue
        first = segment.first if segment.first is not None else segment.low
        last = segment.high if first == segment.low else segment.low
        share = (number - first) / (last - first) if last != first else 0.0
        point = segment.line.interpolate(share, normalized=True)
        if not _inside(jurisdiction, point):
            continue
        rank = (
            0 if _in_hints(jurisdiction, hints, point) else 1,
            0 if not street.suffix or street.suffix == segment.suffix else 1,
            1 if segment.direction in {"S", "E"} else 0,  # "1234 5th": north of Market, where most are
        )
        candidates.append((rank, segment, point))
    if not candidates:
        return None
    _rank, segment, point = min(candidates, key=lambda row: row[0])
    return FoundPlace(
        ADDRESS, said, f"{number} {segment.name}", point.y, point.x, _neighborhood_at(jurisdiction, index, point)
    )


def _crossing_points(index: _Index, one: str, other: str) -> list[Point]:
    pair = (one, other) if one < other else (other, one)
    if pair not in index.crossings:
        shared = shapely.intersection(index.lines[pair[0]], index.lines[pair[1]])
        points: list[Point] = []
        for part in getattr(shared, "geoms", [shared]):
            if part.is_empty:
                continue
            points.append(part if isinstance(part, Point) else part.representative_point())
        if len(index.crossings) >= _CROSSINGS_KEPT:
            index.crossings.clear()
            index.labels.clear()
        index.crossings[pair] = sorted(points, key=lambda point: (point.y, point.x))
    return index.crossings[pair]


def _nearest_segment(index: _Index, key: str, point: Point, direction: str) -> _Segment:
    segments = index.segments[key]
    return min(
        segments,
        key=lambda segment: (
            round(segment.line.distance(point), 7),
            0 if not direction or segment.direction in ("", direction) else 1,
        ),
    )


def _crossing(
    jurisdiction: Jurisdiction, index: _Index, one: str, other: str, hints: list[Neighborhood]
) -> Point | None:
    points = [point for point in _crossing_points(index, one, other) if _inside(jurisdiction, point)]
    if not points:
        return None
    return next((point for point in points if _in_hints(jurisdiction, hints, point)), points[0])


def _block_place(
    jurisdiction: Jurisdiction,
    index: _Index,
    street: _Street,
    one: _Street,
    other: _Street,
    hints: list[Neighborhood],
    said: str,
) -> FoundPlace | None:
    start = _crossing(jurisdiction, index, street.key, one.key, hints)
    end = _crossing(jurisdiction, index, street.key, other.key, hints)
    if start is None or end is None:
        return None
    point = Point((start.x + end.x) / 2, (start.y + end.y) / 2)
    label = _("%(street)s between %(one)s and %(other)s") % {
        "street": _nearest_segment(index, street.key, point, street.direction).name,
        "one": _nearest_segment(index, one.key, start, one.direction).name,
        "other": _nearest_segment(index, other.key, end, other.direction).name,
    }
    return FoundPlace(INTERSECTION, said, label, point.y, point.x, _neighborhood_at(jurisdiction, index, point))


def _intersection_place(
    jurisdiction: Jurisdiction, index: _Index, left: _Street, right: _Street, hints: list[Neighborhood], said: str
) -> FoundPlace | None:
    points = [point for point in _crossing_points(index, left.key, right.key) if _inside(jurisdiction, point)]
    if not points:
        return None
    point = next((point for point in points if _in_hints(jurisdiction, hints, point)), points[0])
    label_key = (left.key, left.direction, right.key + " " + right.direction, point.x, point.y)
    label = index.labels.get(label_key)
    if label is None:
        names = [_nearest_segment(index, street.key, point, street.direction).name for street in (left, right)]
        label = index.labels[label_key] = " & ".join(names)
    return FoundPlace(INTERSECTION, said, label, point.y, point.x, _neighborhood_at(jurisdiction, index, point))


# --- the city's index ---------------------------------------------------------------------------------


def _build_index(jurisdiction: Jurisdiction) -> _Index:
    segments: dict[str, list[_Segment]] = {}
    rows = StreetSegment.objects.filter(jurisdiction=jurisdiction).values_list(
        "name", "key", "line", "from_number", "to_number"
    )
    for name, key, line, first, last in rows.iterator(chunk_size=2000):
        if not key or not isinstance(line, list) or len(line) < 2:
            continue
        direction, _key, suffix = split_street_name(name)
        numbered = first is not None and last is not None
        segments.setdefault(key, []).append(
            _Segment(
                name=name,
                direction=direction,
                suffix=suffix,
                line=LineString(line),
                low=min(first, last) if first is not None and last is not None else None,
                high=max(first, last) if first is not None and last is not None else None,
                first=first if numbered else None,
            )
        )
    lines = {
        key: shapely.line_merge(shapely.union_all([part.line for part in parts])) for key, parts in segments.items()
    }
    keys_by_length: dict[int, list[str]] = {}
    for key in segments:
        if not key[0].isdigit():
            keys_by_length.setdefault(len(key.split()), []).append(key)
    neighborhoods = {row.pk: row for row in Neighborhood.objects.filter(jurisdiction=jurisdiction).order_by("pk")}
    aliases: dict[str, int] = {}
    for pk, row in neighborhoods.items():
        for alias in _aliases(row.name):
            aliases.setdefault(alias, pk)
    aliases_by_length: dict[int, list[str]] = {}
    for alias in aliases:
        aliases_by_length.setdefault(len(alias.split()), []).append(alias)
    return _Index(segments, lines, keys_by_length, neighborhoods, aliases, aliases_by_length)


def _aliases(name: str) -> set[str]:
    """A neighborhood's name as it may be written: whole, each part of "Northeast / Bustleton" or
    "Nicetown-Tioga", "Mt Airy", "West Philly"."""
    whole = fold(name)
    found = {whole} if whole else set()
    parts = [fold(part) for part in re.split(r"[/\-]", name)]
    if len(parts) > 1:
        found.update(part for part in parts if len(part) >= 4)
    for long, short in _NAME_VARIANTS:
        found.update(alias.replace(long, short) for alias in list(found) if long in alias)
    return found


def _forget_city(sender: object, jurisdiction_id: int | None = None, instance: object = None, **kwargs: object) -> None:
    if jurisdiction_id is None:
        jurisdiction_id = getattr(instance, "pk" if isinstance(instance, Jurisdiction) else "jurisdiction_id", None)
    forget_streets(jurisdiction_id)


streets_replaced.connect(_forget_city, dispatch_uid="text_intelligence.places.streets")
for _model in (Jurisdiction, Neighborhood, StreetSegment):
    post_save.connect(_forget_city, sender=_model, dispatch_uid=f"text_intelligence.places.{_model.__name__}.save")
    post_delete.connect(_forget_city, sender=_model, dispatch_uid=f"text_intelligence.places.{_model.__name__}.delete")
