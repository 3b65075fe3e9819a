"""Where a resident is, from the map links and location cards phones share (`inbox.shared_locations`)."""

from __future__ import annotations

import pytest

from civic311.inbox import shared_locations
from civic311.inbox.shared_locations import Point

CITY_HALL = Point(39.9526, -75.1635)


@pytest.mark.parametrize(
    "text",
    [
        "https://maps.google.com/?q=39.9526,-75.1635",
        "It is here: https://www.google.com/maps?q=39.9526%2C-75.1635 thanks",
        "https://www.google.com/maps/search/?api=1&query=39.9526,-75.1635",
        "https://www.google.com/maps/@39.9526,-75.1635,17z",
        "https://www.google.com/maps/place/City+Hall/@39.95,-75.16,17z/data=!3d39.9526!4d-75.1635",
        "https://maps.apple.com/?ll=39.9526,-75.1635&q=Dropped%20Pin",
        "https://maps.apple.com/?q=39.9526,-75.1635",
        "geo:39.9526,-75.1635;u=35",
        "geo:0,0?q=39.9526,-75.1635(Pothole)",
        "https://www.openstreetmap.org/?mlat=39.9526&mlon=-75.1635#map=17/39.95/-75.16",
        "https://www.openstreetmap.org/#map=17/39.9526/-75.1635",
    ],
)
def test_a_point_is_read_from_the_map_links_phones_share(text):
    assert shared_locations.point_in_text(text) == CITY_HALL


@pytest.mark.parametrize(
    "text",
    [
        "",
        "the corner of Broad and Market",
        "https://maps.app.goo.gl/AbCdEf123",  # a short link names no point until followed: never followed
        "https://example.com/?q=39.9526,-75.1635",  # not a map
        "https://maps.google.com/?q=City+Hall+Philadelphia",
        "https://maps.google.com/?q=139.9,-75.1",  # not a latitude
        "geo:0,0",
        "https://maps.apple.com/?ll=abc,def",
    ],
)
def test_no_point_is_made_up(text):
    assert shared_locations.point_in_text(text) is None


def test_the_point_of_a_location_card():
    card = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:;Current Location;;;\r\nFN:Current Location\r\n"
        b"item1.URL;type=pref:http://maps.apple.com/?ll=39.952600\\,-75.163500&q=39.952600\\,-75.163\r\n 500\r\n"
        b"item1.X-ABLabel:map url\r\nEND:VCARD\r\n"
    )
    assert shared_locations.point_in_vcard(card) == CITY_HALL
    assert shared_locations.point_in_vcard(b"BEGIN:VCARD\nGEO:39.9526;-75.1635\nEND:VCARD\n") == CITY_HALL
    assert shared_locations.point_in_vcard(b"BEGIN:VCARD\nGEO:geo:39.9526,-75.1635\nEND:VCARD\n") == CITY_HALL
    assert shared_locations.point_in_vcard(b"BEGIN:VCARD\nFN:Ana\nEND:VCARD\n") is None
    assert shared_locations.point_in_vcard(b"GEO:39.9526;-75.1635\n" + b"x" * 70_000) is None


@pytest.mark.parametrize(
    "text", ["here", "Here!", "I'm here", "right here.", "aquí", "Aqui", "estoy aquí", "mi ubicación"]
)
def test_here_alone_says_where_the_resident_is(text):
    assert shared_locations.says_here(text)


@pytest.mark.parametrize("text", ["here is a pothole", "1400 John F Kennedy Blvd", "there"])
def test_other_words_are_not_here(text):
    assert not shared_locations.says_here(text)


def test_a_point_outside_the_city_is_not_inside(jurisdiction):
    assert shared_locations.inside(jurisdiction, CITY_HALL)
    assert not shared_locations.inside(jurisdiction, Point(40.7128, -74.0060))  # New York
