"""The demo city's address points: house numbers along its streets (`demo.streets`, loaded first), so that
the report form's autocomplete, a typed address and a dropped pin all find their place as they would with a
city's own address file (`manage.py load_address_points`).

Each block of a street with house numbers gets a few addresses on each side, even numbers on one side and odd
on the other, placed by interpolation along the segment's line and a few metres off it. The same seed gives
the same addresses.
"""

from __future__ import annotations

import itertools
import math
import random

from civic311.jurisdictions.geocoding import address_point, replace_address_points
from civic311.jurisdictions.models import AddressPoint, Jurisdiction, StreetSegment

_SIDE_METRES = 12.0  # how far from the centreline a house stands
_METRES_PER_DEGREE = 111_200.0
_PER_SIDE = (1, 3)  # addresses on each side of a block


def _along(line: list[list[float]], share: float) -> tuple[float, float, float, float]:
    """The point `share` of the way along a [long, lat] line: (lat, long) and the line's direction there
    (d_lat, d_long, in metres)."""
    cos_lat = math.cos(math.radians(line[0][1]))
    pieces = [(a, b, math.hypot((b[0] - a[0]) * cos_lat, b[1] - a[1])) for a, b in itertools.pairwise(line) if a != b]
    total = sum(length for _a, _b, length in pieces)
    if not pieces or total == 0:
        return line[0][1], line[0][0], 0.0, 0.0
    wanted = min(max(share, 0.0), 1.0) * total
    for a, b, length in pieces:
        if wanted <= length or (a, b, length) == pieces[-1]:
            part = wanted / length if length else 0.0
            long = a[0] + (b[0] - a[0]) * part
            lat = a[1] + (b[1] - a[1]) * part
            return lat, long, (b[1] - a[1]) * _METRES_PER_DEGREE, (b[0] - a[0]) * _METRES_PER_DEGREE * cos_lat
        wanted -= length
    raise AssertionError("unreachable")  # pragma: no cover


def _beside(lat: float, long: float, d_lat: float, d_long: float, side: int) -> tuple[float, float]:
    """A point a few metres to the right (side 1) or left (side -1) of the line's direction."""
    length = math.hypot(d_lat, d_long)
    if not length:
        return lat, long
    # The right of a direction (east e, north n) is (n, -e); its left (-n, e).
    north, east = -d_long / length * side, d_lat / length * side
    return (
        lat + north * _SIDE_METRES / _METRES_PER_DEGREE,
        long + east * _SIDE_METRES / (_METRES_PER_DEGREE * math.cos(math.radians(lat))),
    )


def demo_address_points(city: Jurisdiction, *, seed: int = 311) -> list[AddressPoint]:
    """The demo addresses along the city's numbered street segments (not saved)."""
    rng = random.Random(seed)
    points: list[AddressPoint] = []
    seen: set[str] = set()
    segments = StreetSegment.objects.filter(jurisdiction=city, from_number__isnull=False, to_number__isnull=False)
    for segment in segments.order_by("pk"):
        first, last = segment.from_number, segment.to_number
        assert first is not None and last is not None
        low, high = min(first, last), max(first, last)
        if high == low:
            continue
        for block in range(low - low % 100, high + 1, 100):
            for parity, side in ((0, 1), (1, -1)):
                numbers = [n for n in range(block + parity, block + 100, 2) if low <= n <= high and n > 0]
                if not numbers:
                    continue
                count = min(len(numbers), rng.randint(*_PER_SIDE))
                for number in sorted(rng.sample(numbers, count)):
                    lat, long, d_lat, d_long = _along(segment.line, (number - first) / (last - first))
                    lat, long = _beside(lat, long, d_lat, d_long, side)
                    address = f"{number} {segment.name}"
                    if address in seen or not city.contains(lat, long):
                        continue
                    seen.add(address)
                    points.append(address_point(city, address, round(lat, 6), round(long, 6)))
    return points


def add_address_points(city: Jurisdiction, *, seed: int = 311) -> int:
    """Replace the demo city's address points with those along its streets; how many were made."""
    return replace_address_points(city, demo_address_points(city, seed=seed))
