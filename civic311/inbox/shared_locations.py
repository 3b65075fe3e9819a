"""Where a resident is, when they text "here" and share their location: the point in the map link or the
location card their phone sends.

Phones share a location in a handful of shapes, all read here without any network call:

- Google Maps links: `https://maps.google.com/?q=39.95,-75.16`, `https://www.google.com/maps?q=…`,
  `…/maps/search/?api=1&query=39.95,-75.16`, `…/maps/@39.95,-75.16,17z`, `…/maps/place/…/@39.95,-75.16,17z`
  (and the `!3d39.95!4d-75.16` a place link carries);
- Apple Maps links: `https://maps.apple.com/?ll=39.95,-75.16&q=Dropped%20Pin`, `?q=39.95,-75.16`,
  `?coordinate=39.95,-75.16`;
- `geo:` URIs (RFC 5870): `geo:39.95,-75.16;u=35`, `geo:0,0?q=39.95,-75.16(Pin)`;
- OpenStreetMap links: `https://www.openstreetmap.org/?mlat=39.95&mlon=-75.16`, `…/#map=17/39.95/-75.16`;
- a location card (iPhone's "Share My Location" sends `Location.loc.vcf`): its map URL, or a vCard `GEO`.

A short link (`maps.app.goo.gl/…`) names no point until it is followed, which would mean fetching an address a
resident typed: it is not followed, and the resident is asked for the address instead. A point outside the
city is refused by the caller (`inside`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from civic311.jurisdictions.models import Jurisdiction

# Content types a location card comes as (gateways pass on what the phone said).
VCARD_TYPES = frozenset({"text/vcard", "text/x-vcard", "text/directory", "text/x-vcalendar"})
# A location card is a few hundred bytes; anything much larger is not one.
VCARD_MAX_BYTES = 64 * 1024

_LINK = re.compile(r"(?:https?://|geo:)[^\s<>\"']+", re.IGNORECASE)
_NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
_PAIR = re.compile(rf"^\s*({_NUMBER})\s*,\s*({_NUMBER})")
_AT = re.compile(rf"@({_NUMBER}),({_NUMBER})(?:,|$|/|z)")
_PLACE_DATA = re.compile(rf"!3d({_NUMBER})!4d({_NUMBER})")
_OSM_HASH = re.compile(rf"map=\d{{1,2}}(?:\.\d+)?/({_NUMBER})/({_NUMBER})")
_GEO_URI = re.compile(rf"^geo:({_NUMBER}),({_NUMBER})", re.IGNORECASE)

# What a resident texts to say "where I am" (compared folded: lower case, no accents or punctuation).
_HERE = frozenset(
    {
        "here",
        "im here",
        "i am here",
        "right here",
        "its here",
        "it is here",
        "over here",
        "my location",
        "current location",
        "aqui",
        "aca",
        "estoy aqui",
        "esta aqui",
        "aqui mismo",
        "mi ubicacion",
        "ubicacion actual",
    }
)


@dataclass(frozen=True)
class Point:
    lat: float
    long: float


def _point(lat_text: str, long_text: str) -> Point | None:
    try:
        lat, long = float(lat_text), float(long_text)
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= long <= 180) or (lat == 0 and long == 0):
        return None
    return Point(lat, long)


def _pair(value: str) -> Point | None:
    match = _PAIR.match(unquote(value or ""))
    return _point(match[1], match[2]) if match else None


def _host(netloc: str) -> str:
    return netloc.rsplit("@", 1)[-1].split(":", 1)[0].lower().removeprefix("www.")


def _is_google(host: str, path: str) -> bool:
    # google.com, google.es, google.co.uk…, maps.google.com…
    labels = host.split(".")
    if "google" not in labels:
        return False
    return labels[0] == "maps" or path.startswith("/maps") or host.startswith("google.")


def point_in_link(link: str) -> Point | None:
    """The point a map link or a `geo:` URI names, or None (not a map link, a short link, no point)."""
    link = link.strip().rstrip(".,;)")
    if link.lower().startswith("geo:"):
        match = _GEO_URI.match(link)
        found = _point(match[1], match[2]) if match else None
        if found is None and "?" in link:  # geo:0,0?q=39.95,-75.16(label)
            query = parse_qs(link.split("?", 1)[1])
            found = _pair(query.get("q", [""])[0])
        return found
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    host, path = _host(parts.netloc), unquote(parts.path)
    query = parse_qs(parts.query)
    if _is_google(host, path):
        for name in ("q", "query", "ll", "center", "destination"):
            found = _pair(query.get(name, [""])[0])
            if found is not None:
                return found
        for pattern in (_PLACE_DATA, _AT):  # a place's own point first, then where the map was looking
            match = pattern.search(path)
            if match:
                return _point(match[1], match[2])
        return None
    if host == "maps.apple.com":
        for name in ("ll", "q", "coordinate", "sll", "daddr"):
            found = _pair(query.get(name, [""])[0])
            if found is not None:
                return found
        return None
    if host in ("openstreetmap.org", "osm.org"):
        mlat, mlon = query.get("mlat", [""])[0], query.get("mlon", [""])[0]
        if mlat and mlon:
            return _point(mlat, mlon)
        match = _OSM_HASH.search(parts.fragment)
        return _point(match[1], match[2]) if match else None
    return None


def point_in_text(text: str) -> Point | None:
    """The point of the first map link (or `geo:` URI) in a message that names one."""
    for link in _LINK.findall(text or ""):
        found = point_in_link(link)
        if found is not None:
            return found
    return None


def has_link(text: str) -> bool:
    """Whether the message holds a link at all (a map link that names no point is not an address)."""
    return bool(_LINK.search(text or ""))


def point_in_vcard(data: bytes) -> Point | None:
    """The point of a location card: a `GEO` property (vCard 3 `lat;long`, vCard 4 `geo:` URI) or its map URL."""
    if len(data) > VCARD_MAX_BYTES:
        return None
    text = data.decode("utf-8", errors="replace")
    # Unfold the continuation lines (RFC 6350 3.2), then read property by property.
    lines = re.sub(r"\r?\n[ \t]", "", text).splitlines()
    urls: list[str] = []
    for line in lines:
        name, _colon, value = line.partition(":")
        prop = name.split(";", 1)[0].rsplit(".", 1)[-1].upper()  # "item1.URL;type=pref" → URL
        value = value.replace("\\:", ":").replace("\\,", ",").replace("\\;", ";")
        if prop == "GEO":
            found = point_in_link(value) if value.lower().startswith("geo:") else _pair(value.replace(";", ","))
            if found is not None:
                return found
        elif prop == "URL":
            urls.append(value)
    for url in urls:
        found = point_in_link(url)
        if found is not None:
            return found
    return None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("'", "").replace("\u2019", ""))
    letters = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(re.sub(r"[^\w\s]", " ", letters).replace("_", " ").split())


def says_here(text: str) -> bool:
    """Whether the message only says "here" (or "aquí"): the place is where the resident is."""
    return _fold(text) in _HERE


def inside(jurisdiction: Jurisdiction, point: Point) -> bool:
    """Whether the point is within the city's boundary (its bounding box, then its shape when it has one)."""
    return jurisdiction.contains(point.lat, point.long)
