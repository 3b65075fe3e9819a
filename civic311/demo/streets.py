"""The demo city's streets: Philadelphia's main grid (numbered streets north-south, named ones east-west)
as straight centrelines with their house-number ranges, so that "5th and Lehigh" or "1500 Market St" in a
post or a text message finds its place.

Roughly right, not surveyed: the grid is drawn from a handful of real points. Market Street's crossings
with the numbered streets fix where each numbered street is; Broad Street's crossings with the east-west
streets fix how far north or south of Market each one is; every numbered street runs parallel to Broad (the
grid leans about 10° east of north). Numbering is Philadelphia's: an east-west street is numbered by the
cross street (1500 Market St is at 15th, 2000 E Lehigh Ave twenty blocks east of Front), a numbered street
by the blocks from Market (1234 N 5th St is just north of the 1200 block's street, Girard). The diagonal
avenues (Ridge, Germantown, Kensington, Frankford, Lancaster, Baltimore, Roosevelt Blvd) follow a few
real points each. Within 100-300 m of the real streets in Center City and North Philadelphia; further out,
further off. Each street is split every four blocks so that house numbers interpolate along it; the file goes
through `import_streets` like any city's street file.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any

from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.services import import_streets

# Where Market Street meets each numbered street (its house number there → latitude, longitude).
_MARKET: tuple[tuple[int, float, float], ...] = (
    (100, 39.9500, -75.1422),  # Front
    (200, 39.9502, -75.1437),
    (500, 39.9510, -75.1487),
    (800, 39.9516, -75.1537),
    (1100, 39.9521, -75.1585),
    (1400, 39.9526, -75.1634),  # Broad (City Hall)
    (1500, 39.9529, -75.1654),
    (1800, 39.9536, -75.1703),
    (2000, 39.9540, -75.1735),
    (2300, 39.9548, -75.1783),
    (2400, 39.9550, -75.1800),  # the Schuylkill: no 2500-2900 blocks on Market
    (3000, 39.9556, -75.1825),
    (3400, 39.9563, -75.1898),
    (4000, 39.9576, -75.2019),
    (4600, 39.9588, -75.2140),
    (5200, 39.9600, -75.2250),
    (5600, 39.9608, -75.2322),
    (6000, 39.9618, -75.2400),
    (6300, 39.9624, -75.2466),
)
# Where Broad Street meets the east-west streets (the number north (+) or south (-) of Market → latitude).
_BROAD: tuple[tuple[int, float], ...] = (
    (-4500, 39.8960),
    (-3500, 39.9055),  # Pattison
    (-2900, 39.9162),  # Oregon
    (-2300, 39.9245),  # Snyder
    (-1800, 39.9300),  # Tasker
    (-1200, 39.9381),  # Washington
    (-600, 39.9436),  # South
    (-300, 39.9472),  # Spruce
    (-200, 39.9494),  # Walnut
    (-100, 39.9510),  # Chestnut
    (0, 39.9526),  # Market
    (300, 39.9578),  # Vine
    (700, 39.9665),  # Fairmount
    (1200, 39.9717),  # Girard
    (1700, 39.9787),  # Cecil B Moore
    (2700, 39.9922),  # Lehigh
    (3700, 40.0094),  # Erie
    (5600, 40.0389),  # Olney
    (7000, 40.0620),
)
# Each street is saved in pieces of this many house numbers (four blocks).
_PIECE = 400
_LEAN = math.radians(9.7)  # the grid's north, east of true north
_METRES_PER_DEGREE = 111_200.0
_COS_LAT = math.cos(math.radians(39.96))

# Numbered streets: (number, name, the stretches north (+) / south (-) of Market they run, in house numbers).
_WEST_PHILLY = ((-2000, 1800),)
_NUMBERED: list[tuple[int, str, tuple[tuple[int, int], ...]]] = [
    (100, "Front", ((-2900, 5600),)),
    (150, "American", ((0, 3000),)),
    *[(n * 100, "", ((-2900, 6000),)) for n in range(2, 9)],
    *[(n * 100, "", ((-2900, 5000),)) for n in range(9, 14)],
    (1400, "Broad", ((-4500, 7000),)),
    *[(n * 100, "", ((-2900, 4000),)) for n in range(15, 23)],
    *[(n * 100, "", ((-2000, 3500),)) for n in (23, 24)],
    *[(n * 100, "", ((1200, 3300),)) for n in range(25, 30)],
    *[(n * 100, "", ((-1200, 600), (1300, 3300))) for n in range(30, 34)],
    *[(n * 100, "", ((-1200, 1200),)) for n in range(34, 41)],
    *[(n * 100, "", _WEST_PHILLY) for n in range(41, 64)],
]
# East-west streets: (number north (+) / south (-) of Market, name, suffix, stretches east (-) / west (+)).
_EAST_WEST: list[tuple[int, str, str, tuple[tuple[int, int], ...]]] = [
    (0, "Market", "St", ((100, 6900),)),
    (100, "Arch", "St", ((100, 6300),)),
    (150, "Cherry", "St", ((100, 2400),)),
    (200, "Race", "St", ((100, 2400), (3200, 6300))),
    (300, "Vine", "St", ((100, 2400), (3200, 6300))),
    (400, "Callowhill", "St", ((100, 2400), (3800, 6300))),
    (500, "Spring Garden", "St", ((100, 2400), (3100, 4000))),
    (600, "Green", "St", ((100, 2400),)),
    (700, "Fairmount", "Ave", ((100, 2600),)),
    (800, "Brown", "St", ((100, 2600),)),
    (1000, "Poplar", "St", ((100, 3000),)),
    (1200, "Girard", "Ave", ((-1300, 6300),)),
    (1300, "Thompson", "St", ((-1600, 3300),)),
    (1400, "Master", "St", ((-300, 3300),)),
    (1500, "Jefferson", "St", ((100, 3300),)),
    (1600, "Oxford", "St", ((-600, 3300),)),
    (1700, "Cecil B Moore", "Ave", ((-300, 3300),)),
    (1800, "Montgomery", "Ave", ((-1700, 3300),)),
    (1900, "Berks", "St", ((-2000, 3300),)),
    (2000, "Norris", "St", ((-2000, 3300),)),
    (2100, "Diamond", "St", ((-1800, 3300),)),
    (2200, "Susquehanna", "Ave", ((-2200, 3300),)),
    (2300, "Dauphin", "St", ((-2400, 3300),)),
    (2400, "York", "St", ((-2500, 3300),)),
    (2500, "Cumberland", "St", ((-2600, 3300),)),
    (2600, "Huntingdon", "St", ((-2600, 3300),)),
    (2700, "Lehigh", "Ave", ((-2800, 3500),)),
    (2800, "Somerset", "St", ((-3000, 3500),)),
    (2900, "Cambria", "St", ((-3000, 3500),)),
    (3000, "Indiana", "Ave", ((-3000, 3500),)),
    (3200, "Allegheny", "Ave", ((-3500, 3600),)),
    (3300, "Westmoreland", "St", ((-3200, 3600),)),
    (3400, "Ontario", "St", ((-3500, 3600),)),
    (3500, "Tioga", "St", ((-3000, 3600),)),
    (3600, "Venango", "St", ((-2000, 3600),)),
    (3700, "Erie", "Ave", ((-1000, 3600),)),
    (4100, "Hunting Park", "Ave", ((-1000, 2200),)),
    (4700, "Wyoming", "Ave", ((-1000, 2000),)),
    (5600, "Olney", "Ave", ((-1000, 2200),)),
    (-100, "Chestnut", "St", ((100, 6300),)),
    (-150, "Sansom", "St", ((100, 2400), (3200, 4000))),
    (-200, "Walnut", "St", ((100, 6300),)),
    (-250, "Locust", "St", ((200, 2400), (3400, 6200))),
    (-300, "Spruce", "St", ((100, 2400), (3300, 6300))),
    (-350, "Delancey", "St", ((100, 2400),)),
    (-400, "Pine", "St", ((100, 2500), (4000, 6200))),
    (-500, "Lombard", "St", ((100, 2600),)),
    (-600, "South", "St", ((100, 2600),)),
    (-700, "Bainbridge", "St", ((100, 2600),)),
    (-800, "Fitzwater", "St", ((100, 2600),)),
    (-900, "Catharine", "St", ((100, 2600),)),
    (-1000, "Christian", "St", ((100, 2600),)),
    (-1100, "Carpenter", "St", ((100, 2600),)),
    (-1200, "Washington", "Ave", ((100, 3100),)),
    (-1300, "Ellsworth", "St", ((100, 2600),)),
    (-1400, "Federal", "St", ((100, 2600),)),
    (-1500, "Wharton", "St", ((100, 3200),)),
    (-1600, "Reed", "St", ((100, 2600),)),
    (-1700, "Dickinson", "St", ((100, 3300),)),
    (-1800, "Tasker", "St", ((100, 3200),)),
    (-1900, "Morris", "St", ((100, 3000),)),
    (-2000, "Moore", "St", ((100, 3000),)),
    (-2100, "Mifflin", "St", ((100, 3000),)),
    (-2200, "McKean", "St", ((100, 3000),)),
    (-2300, "Snyder", "Ave", ((100, 2600),)),
    (-2400, "Jackson", "St", ((100, 3000),)),
    (-2500, "Wolf", "St", ((100, 3000),)),
    (-2600, "Ritner", "St", ((100, 2800),)),
    (-2700, "Porter", "St", ((100, 2800),)),
    (-2800, "Shunk", "St", ((100, 2800),)),
    (-2900, "Oregon", "Ave", ((0, 3000),)),
    (-3500, "Pattison", "Ave", ((100, 1700),)),
]
# The diagonal avenues: their bends, each ("grid", x, y) or ("point", lat, long), with its house number.
_Bend = tuple[str, float, float, int]
_DIAGONALS: list[tuple[str, tuple[_Bend, ...]]] = [
    (
        "Ridge Ave",
        (
            ("grid", 1000, 300, 900),
            ("grid", 1400, 600, 1300),
            ("grid", 2100, 1200, 1900),
            ("grid", 2900, 2300, 2900),
            ("grid", 3300, 2900, 3300),
            ("point", 40.0105, -75.1918, 4100),
            ("point", 40.0160, -75.2075, 4800),
            ("point", 40.0335, -75.2215, 6000),
            ("point", 40.0520, -75.2395, 7400),
            ("point", 40.0745, -75.2640, 9000),
        ),
    ),
    (
        "Germantown Ave",
        (
            ("grid", 450, 1200, 1200),
            ("grid", 1400, 3700, 3700),
            ("point", 40.0347, -75.1757, 5600),
            ("point", 40.0540, -75.1936, 7100),
            ("point", 40.0760, -75.2080, 8600),
            ("point", 40.0840, -75.2160, 9000),
        ),
    ),
    (
        "Kensington Ave",
        (
            ("grid", 100, 2350, 2300),
            ("point", 39.9887, -75.1272, 2600),
            ("point", 39.9965, -75.1134, 3200),
            ("point", 40.0058, -75.0966, 3800),
            ("point", 40.0170, -75.0830, 4700),
        ),
    ),
    (
        "Frankford Ave",
        (
            ("point", 39.9620, -75.1370, 900),
            ("point", 39.9689, -75.1343, 1200),
            ("point", 39.9813, -75.1247, 2400),
            ("point", 39.9915, -75.1112, 3200),
            ("point", 40.0053, -75.0960, 4000),
            ("point", 40.0170, -75.0830, 4600),
            ("point", 40.0229, -75.0776, 5200),
            ("point", 40.0440, -75.0470, 7300),
            ("point", 40.0600, -75.0230, 8600),
            ("point", 40.0860, -74.9800, 9900),
        ),
    ),
    (
        "Lancaster Ave",
        (("grid", 3200, 100, 3200), ("grid", 3800, 900, 3800), ("grid", 5200, 1700, 5200), ("grid", 6300, 2600, 6300)),
    ),
    (
        "Baltimore Ave",
        (
            ("grid", 3200, -150, 3200),
            ("grid", 4000, -500, 4000),
            ("grid", 4900, -900, 4900),
            ("grid", 6300, -1600, 6300),
        ),
    ),
    (
        "Roosevelt Blvd",
        (
            ("grid", 2200, 4100, 1000),
            ("grid", 1400, 4450, 1400),
            ("grid", 100, 4900, 2000),
            ("point", 40.0290, -75.1000, 4000),
            ("point", 40.0390, -75.0700, 6000),
            ("point", 40.0490, -75.0560, 7500),
            ("point", 40.0780, -75.0230, 9500),
            ("point", 40.1000, -75.0000, 11000),
            ("point", 40.1270, -74.9700, 14000),
        ),
    ),
]


def _interpolate(table: Iterable[tuple[float, ...]], at: float) -> tuple[float, ...]:
    """The values of a table's rows at `at` (its first column), straight between rows and beyond the ends."""
    rows = list(table)
    below, above = rows[0], rows[1]
    for index in range(len(rows) - 1):
        below, above = rows[index], rows[index + 1]
        if at <= above[0]:
            break
    share = (at - below[0]) / (above[0] - below[0])
    return tuple(low + (high - low) * share for low, high in zip(below[1:], above[1:], strict=True))


def grid_point(x: float, y: float) -> tuple[float, float]:
    """(latitude, longitude) of the grid's house numbers x (west of the Delaware along Market; negative: east
    of Front) and y (north of Market; negative: south)."""
    lat, long = _interpolate(_MARKET, x)
    (broad_lat,) = _interpolate(_BROAD, y)
    metres = (broad_lat - 39.9526) * _METRES_PER_DEGREE / math.cos(_LEAN)
    return (
        lat + metres * math.cos(_LEAN) / _METRES_PER_DEGREE,
        long + metres * math.sin(_LEAN) / (_METRES_PER_DEGREE * _COS_LAT),
    )


def _feature(name: str, points: list[tuple[float, float]], first: int, last: int) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"name": name, "from_number": first, "to_number": last},
        "geometry": {"type": "LineString", "coordinates": [[round(long, 6), round(lat, 6)] for lat, long in points]},
    }


def _pieces(low: int, high: int) -> Iterable[tuple[int, int]]:
    """The street from house number `low` to `high` (either may be negative) in pieces of a few blocks, each
    (start, end) on a block's boundary: few enough rows for a quick seed, short enough to interpolate."""
    start = low - low % 100
    while start < high:
        end = min((start // _PIECE + 1) * _PIECE, high + (-high) % 100)
        yield start, end
        start = end


def street_features() -> list[dict[str, Any]]:
    """The demo streets as GeoJSON features, one a block."""
    features: list[dict[str, Any]] = []
    for x, given, stretches in _NUMBERED:
        name = given or _ordinal(x // 100)
        for low, high in stretches:
            for start, end in _pieces(low, high):
                # Market is where N and S meet.
                pieces = [(start, 0), (0, end)] if start < 0 < end else [(start, end)]
                for piece_start, piece_end in pieces:
                    # "N 5th St" numbers run north from Market, "S 5th St" south: each piece from its low number.
                    north = piece_start >= 0
                    begin, finish = (piece_start, piece_end) if north else (piece_end, piece_start)
                    features.append(
                        _feature(
                            f"{'N' if north else 'S'} {name} St",
                            [grid_point(x, begin), grid_point(x, finish)],
                            abs(begin),
                            abs(finish) - 1,
                        )
                    )
    for y, name, suffix, stretches in _EAST_WEST:
        for low, high in stretches:
            for start, end in _pieces(low, high):
                pieces = [(start, 100), (100, end)] if start < 100 < end else [(start, end)]
                for piece_start, piece_end in pieces:
                    # West of Front numbers run with the grid's x; east of it (E Lehigh Ave) from Front eastward.
                    west = piece_start >= 100
                    begin, finish = (piece_start, piece_end) if west else (piece_end, piece_start)
                    first, last = (begin, finish - 1) if west else (100 - begin, 100 - finish - 1)
                    prefix = ("W " if west else "E ") if y >= 1200 else ""
                    features.append(
                        _feature(f"{prefix}{name} {suffix}", [grid_point(begin, y), grid_point(finish, y)], first, last)
                    )
    for name, bends in _DIAGONALS:
        points = [(grid_point(a, b) if kind == "grid" else (a, b), number) for kind, a, b, number in bends]
        for (here, low), (there, high) in itertools.pairwise(points):
            features.append(_feature(name, [here, there], low, high - 1))
    return features


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def add_streets(city: Jurisdiction) -> int:
    """Load the demo streets (replacing the city's street segments); the number of segments made."""
    return import_streets(city, {"type": "FeatureCollection", "features": street_features()})
