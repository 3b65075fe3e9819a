"""Places in text: addresses, intersections and neighborhood names matched to the city's streets and
neighborhoods (text_intelligence.places), on a few streets the tests draw, and on the demo city's grid."""

from __future__ import annotations

import math
import statistics

import pytest

from civic311.demo.services import load_neighborhoods
from civic311.demo.streets import add_streets
from civic311.jurisdictions.models import Jurisdiction, StreetSegment
from civic311.jurisdictions.services import import_streets, street_key
from civic311.text_intelligence.places import places_in_text
from tests.factories import JurisdictionFactory, NeighborhoodFactory, box

pytestmark = pytest.mark.django_db

# A small grid: Market runs east-west at 39.95 N from Front (-75.14) to 20th (-75.17), numbered 100 to 1999;
# 5th runs north-south at -75.15 from Oregon (39.92) to Lehigh (39.99), N numbers north of Market, S south;
# Lehigh runs east-west at 39.99 N; Chestnut parallel to Market.
WEST_PER_100 = 0.0015  # degrees of longitude per 100 house numbers along Market


def _line(name: str, points: list[tuple[float, float]], first: int | None = None, last: int | None = None) -> dict:
    return {
        "type": "Feature",
        "properties": {"name": name, "from_number": first, "to_number": last},
        "geometry": {"type": "LineString", "coordinates": [list(point) for point in points]},
    }


def _market_x(number: float) -> float:
    return -75.14 - (number - 100) / 100 * WEST_PER_100


SMALL_GRID = {
    "type": "FeatureCollection",
    "features": [
        *[
            _line("Market St", [(_market_x(n), 39.95), (_market_x(n + 100), 39.95)], n, n + 99)
            for n in range(100, 2000, 100)
        ],
        _line("Chestnut St", [(_market_x(100), 39.949), (_market_x(2000), 39.949)], 100, 1999),
        _line("N 5th St", [(-75.15, 39.95), (-75.15, 39.99)], 0, 2799),
        _line("S 5th St", [(-75.15, 39.95), (-75.15, 39.92)], 0, 2999),
        _line("W Lehigh Ave", [(-75.14, 39.99), (-75.20, 39.99)], 100, 4099),
        _line("N Broad St", [(-75.163, 39.95), (-75.163, 40.05)], 0, 5999),
        _line("W Girard Ave", [(-75.13, 39.97), (-75.20, 39.97)], 100, 4699),
        _line("Germantown Ave", [(-75.15, 39.98), (-75.19, 40.05)], 1200, 8999),
    ],
}


def _metres(lat: float, long: float, other_lat: float, other_long: float) -> float:
    return math.hypot((lat - other_lat) * 111_200, (long - other_long) * 111_200 * math.cos(math.radians(lat)))


@pytest.fixture
def city(jurisdiction: Jurisdiction) -> Jurisdiction:
    import_streets(jurisdiction, SMALL_GRID)
    NeighborhoodFactory(
        jurisdiction=jurisdiction, slug="center-city", name="Center City", boundary=box(-75.18, 39.94, -75.14, 39.96)
    )
    NeighborhoodFactory(
        jurisdiction=jurisdiction, slug="kensington", name="Kensington", boundary=box(-75.16, 39.98, -75.10, 40.0)
    )
    NeighborhoodFactory(
        jurisdiction=jurisdiction, slug="germantown", name="Germantown", boundary=box(-75.20, 40.02, -75.15, 40.06)
    )
    NeighborhoodFactory(
        jurisdiction=jurisdiction,
        slug="northeast",
        name="Northeast / Bustleton",
        boundary=box(-75.10, 40.04, -75.0, 40.1),
    )
    NeighborhoodFactory(
        jurisdiction=jurisdiction, slug="mount-airy", name="Mount Airy", boundary=box(-75.22, 40.06, -75.18, 40.08)
    )
    return jurisdiction


def _one(city: Jurisdiction, text: str, kind: str):
    found = [place for place in places_in_text(city, text) if place.kind == kind]
    assert len(found) == 1, (text, found)
    return found[0]


# --- street names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("N 5th St", "5th"),
        ("N. 5th Street", "5th"),
        ("5 St", "5th"),
        ("S 22ND ST", "22nd"),
        ("W Lehigh Ave", "lehigh"),
        ("Cecil B. Moore Ave", "cecil b moore"),
        ("South St", "south"),  # a direction is the name when nothing else is
        ("Spring Garden St", "spring garden"),
        ("Calle Ñandú", "calle nandu"),
        ("Roosevelt Blvd", "roosevelt"),
        ("", ""),
    ],
)
def test_street_key_folds_direction_suffix_case_accents_and_ordinals(name: str, key: str) -> None:
    assert street_key(name) == key


# --- addresses ----------------------------------------------------------------------------------------


def test_an_address_is_placed_by_interpolating_its_house_number_along_the_segment(city: Jurisdiction) -> None:
    place = _one(city, "Pothole at 1234 Market St, please fix", "address")
    assert place.label == "1234 Market St"
    assert place.text == "1234 Market St"
    assert place.lat == pytest.approx(39.95)
    # 34 % along the 1200-1299 block.
    assert place.long == pytest.approx(_market_x(1200) - 0.34 / 0.99 * WEST_PER_100, abs=1e-6)
    assert place.neighborhood is not None and place.neighborhood.name == "Center City"


@pytest.mark.parametrize(
    "text",
    ["1234 N. 5th street has trash", "1234 North 5th St", "1234 n fifth st", "calle 5 norte 1234", "1234 N 5ta"],
)
def test_a_numbered_street_is_written_many_ways(city: Jurisdiction, text: str) -> None:
    place = _one(city, text, "address")
    assert place.label == "1234 N 5th St"
    assert place.lat == pytest.approx(39.95 + 0.04 * 1234 / 2799, abs=1e-6)
    assert place.long == pytest.approx(-75.15)


def test_the_direction_chooses_north_or_south_of_market(city: Jurisdiction) -> None:
    north, south = _one(city, "1234 N 5th St", "address"), _one(city, "1234 S 5th St", "address")
    assert north.lat > 39.95 > south.lat
    assert south.label == "1234 S 5th St"


def test_spanish_order_and_block_of(city: Jurisdiction) -> None:
    assert _one(city, "hay basura en la calle Market 1234", "address").label == "1234 Market St"
    assert _one(city, "the 1200 block of Market is dark", "address").label == "1200 Market St"


def test_a_typo_in_a_long_street_name_is_forgiven(city: Jurisdiction) -> None:
    assert _one(city, "2100 W Lehihg Ave", "address").label == "2100 W Lehigh Ave"


@pytest.mark.parametrize(
    "text",
    [
        "9999 Market St",  # no segment holds the number
        "2 cars on market for weeks",  # a count, not a house number
        "called 3 times about Market st",
        "Market 2 days ago",
        "1234 Nowhere Street",
        "I paid 1234 dollars",
        "the market is marked 1500",
    ],
)
def test_no_address_where_none_is_written_or_matched(city: Jurisdiction, text: str) -> None:
    assert [place for place in places_in_text(city, text) if place.kind == "address"] == []


# --- intersections -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "5th and Lehigh light out",
        "5th & Lehigh",
        "5th/Lehigh",
        "corner of N 5th St and W Lehigh Ave",
        "esquina de la 5 y Lehigh",
        "fifth and lehigh",
        "Lehigh and 5th",
        "5 and Lehigh",
        "la quinta con Lehigh",
        "5TH @ LEHIGH",
    ],
)
def test_an_intersection_is_where_the_two_streets_cross(city: Jurisdiction, text: str) -> None:
    place = _one(city, text, "intersection")
    assert place.lat == pytest.approx(39.99)
    assert place.long == pytest.approx(-75.15)
    assert set(place.label.split(" & ")) == {"N 5th St", "W Lehigh Ave"}
    assert place.neighborhood is not None and place.neighborhood.name == "Kensington"


def test_broad_and_girard_and_a_diagonal(city: Jurisdiction) -> None:
    assert _one(city, "Broad & Girard", "intersection").label == "N Broad St & W Girard Ave"
    diagonal = _one(city, "Germantown Ave and Lehigh", "intersection")
    assert diagonal.lat == pytest.approx(39.99) and -75.19 < diagonal.long < -75.15


@pytest.mark.parametrize(
    "text",
    ["on Lehigh between 5th and Broad", "W Lehigh Ave btwn N 5th St & N Broad St", "en la Lehigh entre la 5 y Broad"],
)
def test_a_block_between_two_cross_streets_is_placed_at_its_middle(city: Jurisdiction, text: str) -> None:
    place = _one(city, text, "intersection")
    assert place.lat == pytest.approx(39.99)
    assert place.long == pytest.approx((-75.15 - 75.163) / 2)
    assert place.label == "W Lehigh Ave between N 5th St and N Broad St"


def test_a_block_needs_three_streets_that_cross(city: Jurisdiction) -> None:
    assert places_in_text(city, "Market between Chestnut and Lehigh") == []  # neither meets Market
    assert places_in_text(city, "between 5th and Broad") == []


@pytest.mark.parametrize(
    "text",
    [
        "Market and Chestnut",  # parallel: they never cross
        "between 2 and 3 weeks",
        "5 and 6",
        "salt and pepper",
        "front and back",
        "Market and Market",
    ],
)
def test_no_intersection_where_streets_do_not_cross(city: Jurisdiction, text: str) -> None:
    assert [place for place in places_in_text(city, text) if place.kind == "intersection"] == []


# --- neighborhoods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("trash everywhere in Kensington", "Kensington"),
        ("KENSINGTÓN is dirty", "Kensington"),
        ("in kensingon again", "Kensington"),
        ("up in the Northeast", "Northeast / Bustleton"),
        ("Bustleton", "Northeast / Bustleton"),
        ("Mt Airy", "Mount Airy"),
        ("centre city", "Center City"),
        ("in Germantown", "Germantown"),
    ],
)
def test_a_neighborhood_is_named_with_folded_case_accents_and_a_typo(city: Jurisdiction, text: str, name: str) -> None:
    place = _one(city, text, "neighborhood")
    assert place.label == name
    assert place.neighborhood is not None and place.neighborhood.name == name
    assert place.lat is None and place.long is None  # a neighborhood is no point


@pytest.mark.parametrize(
    "text",
    [
        "at the center of the block",  # a part of a name is not the name
        "the city never came",
        "Germantown Ave is full of potholes",  # the street, not the neighborhood
        "Kensingtonian",
        "Airy room",
    ],
)
def test_no_neighborhood_from_a_part_of_a_name_or_a_street(city: Jurisdiction, text: str) -> None:
    assert [place for place in places_in_text(city, text) if place.kind == "neighborhood"] == []


def test_the_most_precise_place_comes_first(city: Jurisdiction) -> None:
    found = places_in_text(city, "In Kensington, at 5th and Lehigh, near 2100 W Lehigh Ave")
    assert [place.kind for place in found] == ["address", "intersection", "neighborhood"]


def test_a_named_neighborhood_chooses_between_two_crossings(city: Jurisdiction) -> None:
    # Two stretches of "Oak St" both cross Market: the one in the named neighborhood is meant.
    StreetSegment.objects.create(jurisdiction=city, name="Oak St", key="oak", line=[[-75.145, 39.94], [-75.145, 39.96]])
    StreetSegment.objects.create(jurisdiction=city, name="Oak St", key="oak", line=[[-75.165, 39.94], [-75.165, 39.96]])
    east, west = _market_x(100) - 0.005, -75.165
    assert _one(city, "Oak and Market", "intersection").long in (pytest.approx(east), pytest.approx(west))
    NeighborhoodFactory(jurisdiction=city, slug="west", name="Logan Square", boundary=box(-75.17, 39.94, -75.16, 39.96))
    assert _one(city, "Oak and Market in Logan Square", "intersection").long == pytest.approx(west)


# --- the city's own streets -------------------------------------------------------------------------


def test_another_citys_streets_are_not_read(city: Jurisdiction) -> None:
    other = JurisdictionFactory(
        slug="springfield", name="Springfield", jurisdiction_id="springfield.gov", is_default=False
    )
    assert places_in_text(other, "1234 Market St at 5th and Lehigh") == []


def test_new_streets_are_read_at_once_after_an_import(city: Jurisdiction) -> None:
    assert places_in_text(city, "2100 Elm St") == []
    import_streets(
        city,
        {"type": "FeatureCollection", "features": [_line("Elm St", [(-75.15, 39.96), (-75.17, 39.96)], 2000, 2299)]},
    )
    assert _one(city, "2100 Elm St", "address").label == "2100 Elm St"
    assert places_in_text(city, "1234 Market St") == []  # replaced


def test_a_city_without_streets_still_finds_neighborhoods(jurisdiction: Jurisdiction) -> None:
    NeighborhoodFactory(jurisdiction=jurisdiction, slug="fishtown", name="Fishtown")
    found = places_in_text(jurisdiction, "1234 Market St in Fishtown")
    assert [(place.kind, place.label) for place in found] == [("neighborhood", "Fishtown")]


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "🙂🙂🙂🚮🚮",
        "这里有很多垃圾请尽快处理",
        "Il y a des ordures partout dans la rue",
        "&&&///@@@",
        "1234",
        "and and y y",
    ],
)
def test_texts_without_places_answer_nothing(city: Jurisdiction, text: str) -> None:
    assert places_in_text(city, text) == []


def test_a_very_long_text_is_read_by_its_start_and_never_fails(city: Jurisdiction) -> None:
    text = "Pothole at 1234 Market St. " + "blah " * 2000 + " and 5th and Lehigh at the very end"
    assert len(text) > 10_000
    assert [place.label for place in places_in_text(city, text)] == ["1234 Market St"]


def test_links_are_not_read_as_streets(city: Jurisdiction) -> None:
    assert places_in_text(city, "see https://example.com/5th/and/Lehigh/1234-market") == []


def test_a_broken_segment_never_makes_reading_fail(city: Jurisdiction) -> None:
    StreetSegment.objects.create(jurisdiction=city, name="Bad St", key="bad", line=[[1, 2]], from_number=1, to_number=9)
    assert _one(city, "1234 Market St", "address").label == "1234 Market St"


# --- the demo city's grid, against real positions -----------------------------------------------------

# Corners whose real position is known (SEPTA stations at street corners, City Hall; ±50 m): the text, and
# the true latitude and longitude.
DEMO_PHRASES = [
    ("Pothole in front of 1500 Market St", 39.9527, -75.1655),
    ("light out at 5th and Lehigh", 39.9908, -75.1404),
    ("Broad & Girard is flooded", 39.9717, -75.1595),
    ("corner of 52nd and Market", 39.9600, -75.2252),
    ("esquina de la 5 y Lehigh, no hay luz", 39.9908, -75.1404),
    ("Broad/Olney bus stop trash", 40.0390, -75.1445),
    ("Kensington & Allegheny needles everywhere", 39.9965, -75.1133),
    ("Broad and Erie", 40.0094, -75.1508),
    ("Broad and Oregon", 39.9160, -75.1716),
    ("Broad & Washington", 39.9383, -75.1670),
    ("Front and Girard", 39.9689, -75.1362),
    ("2nd & Market", 39.9500, -75.1437),
    ("Broad and Snyder", 39.9245, -75.1700),
    ("Broad & Lehigh", 39.9921, -75.1545),
    ("30th and Market", 39.9557, -75.1822),
    ("40th & Market", 39.9575, -75.2020),
    ("46th and Market", 39.9589, -75.2142),
    ("60th & Market", 39.9620, -75.2407),
    ("63rd and Market", 39.9627, -75.2466),
    ("Broad and Spring Garden", 39.9622, -75.1612),
    ("Broad & Fairmount", 39.9669, -75.1609),
    ("Broad and Cecil B Moore", 39.9787, -75.1583),
    ("Broad & Susquehanna", 39.9870, -75.1566),
    ("Broad & Allegheny", 40.0011, -75.1529),
    ("Broad and Hunting Park", 40.0164, -75.1493),
    ("Broad & Wyoming", 40.0243, -75.1474),
    ("Broad & Walnut", 39.9488, -75.1642),
    ("Broad and South", 39.9437, -75.1656),
    ("Broad & Tasker", 39.9296, -75.1688),
    ("8th and Market", 39.9513, -75.1535),
    ("11th & Market", 39.9522, -75.1584),
    ("Kensington and Huntingdon", 39.9887, -75.1272),
    ("Kensington & Somerset", 39.9914, -75.1224),
    ("3700 N Broad St", 40.0094, -75.1508),
    ("5200 Market St", 39.9600, -75.2252),
    ("calle Market 1100", 39.9522, -75.1584),
    ("1200 S Broad St", 39.9383, -75.1670),
    ("2700 N 5th Street", 39.9908, -75.1404),
    ("la 52 y Market", 39.9600, -75.2252),
    ("Broad y Girard", 39.9717, -75.1595),
]


def test_the_demo_grid_places_real_corners_close_to_where_they_are(jurisdiction: Jurisdiction) -> None:
    load_neighborhoods(jurisdiction)
    assert add_streets(jurisdiction) > 1000
    distances = []
    for text, lat, long in DEMO_PHRASES:
        found = next((place for place in places_in_text(jurisdiction, text) if place.lat is not None), None)
        assert found is not None and found.lat is not None and found.long is not None, text
        assert found.neighborhood is not None, text
        distances.append(_metres(found.lat, found.long, lat, long))
    assert statistics.median(distances) < 150
    assert max(distances) < 400
    named = places_in_text(jurisdiction, "so much trash in Fishtwon and Port Richmond")
    assert [place.label for place in named] == ["Fishtown", "Port Richmond"]
