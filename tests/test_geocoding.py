"""Addresses that find their place (issue 21): the geocoder's one interface (`jurisdictions.geocoding`) over
the city's own address points, `manage.py load_address_points`, a report given only an address, the report
form's JSON helpers, and a city's own Nominatim or Pelias server (a real local HTTP server here), with the
address points answering whenever it fails."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from civic311 import rate_limits
from civic311.catalogue.models import Service
from civic311.jurisdictions import geocoding
from civic311.jurisdictions.models import AddressPoint, Jurisdiction, Neighborhood
from civic311.public import geocoding_views
from civic311.service_requests.models import ServiceRequest

from .factories import JurisdictionFactory, filed_request

pytestmark = pytest.mark.django_db

# Center City (the `center_city` fixture) is the box 39.94-39.96 N, 75.18-75.14 W.
POINTS = [
    ("1400 John F Kennedy Blvd", 39.95360, -75.16360),
    ("1500 Market St", 39.95290, -75.16540),
    ("1520 Market St", 39.95300, -75.16580),
    ("1501 Market St", 39.95270, -75.16545),
    ("1234 N 5th St", 39.97180, -75.14450),
    ("1234 S 5th St", 39.93300, -75.15200),
    ("1500 N Broad St", 39.97600, -75.15940),
]
FAR_FROM_EVERY_POINT = (39.9050, -75.2300)


def load(city: Jurisdiction, rows: list[tuple[str, float, float]] = POINTS) -> int:
    return geocoding.replace_address_points(city, [geocoding.address_point(city, *row) for row in rows])


@pytest.fixture(autouse=True)
def _fresh_street_names() -> Iterator[None]:
    geocoding.forget_cached_addresses()
    yield
    geocoding.forget_cached_addresses()


@pytest.fixture
def city(jurisdiction: Jurisdiction, center_city: Neighborhood) -> Jurisdiction:
    load(jurisdiction)
    return jurisdiction


# --- normalisation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("1400 North Broad Street", "1400 n broad st"),
        ("1400 N. BROAD ST.", "1400 n broad st"),
        ("1400 n broad st, Philadelphia, PA 19121", "1400 n broad st"),
        ("1400 N Broad St Apt 2", "1400 n broad st"),
        ("1400 N Broad St #3", "1400 n broad st"),
        ("1234 N Fifth Street", "1234 n 5th st"),
        ("1234 N 5 St", "1234 n 5th st"),
        ("1400 John F. Kennedy Boulevard", "1400 john f kennedy blvd"),
        ("2000 East Lehigh Avenue", "2000 e lehigh ave"),
        ("1400-02 Market St", "1400 market st"),
        ("  0042   Market   St ", "42 market st"),
        ("South St", "south st"),
        ("1200 Calle Ñandú", "1200 calle nandu"),
    ],
)
def test_addresses_are_normalised_in_one_way(written: str, key: str) -> None:
    assert geocoding.normalize_address(written) == key


def test_the_parts_of_an_address() -> None:
    parsed = geocoding.parse_address("1234 N. Fifth Street")
    assert (parsed.number, parsed.direction, parsed.street, parsed.suffix) == (1234, "n", "5th", "st")
    assert geocoding.parse_address("Market Street").number is None


# --- geocode ------------------------------------------------------------------------------------------------


def test_a_city_address_is_placed_exactly_with_its_neighborhood(city: Jurisdiction, center_city: Neighborhood) -> None:
    place = geocoding.geocode(city, "1400 john f. kennedy boulevard, Philadelphia PA")
    assert place == geocoding.Place(
        "1400 John F Kennedy Blvd", 39.9536, -75.1636, center_city.pk, exact=True, source="address_points"
    )


def test_a_misspelt_street_finds_the_citys_address(city: Jurisdiction) -> None:
    place = geocoding.geocode(city, "1500 Markett Street")
    assert place is not None
    assert (place.address, place.lat, place.long, place.exact) == ("1500 Market St", 39.9529, -75.1654, False)


def test_the_direction_tells_two_streets_of_one_name_apart(city: Jurisdiction) -> None:
    north = geocoding.geocode(city, "1234 North 5th Street")
    south = geocoding.geocode(city, "1234 South Fifth Street")
    assert north is not None and south is not None
    assert (north.address, north.neighborhood_id) == ("1234 N 5th St", None)  # outside Center City
    assert south.address == "1234 S 5th St"


def test_a_number_between_two_of_the_citys_is_placed_between_them_on_its_side(city: Jurisdiction) -> None:
    place = geocoding.geocode(city, "1510 Market St")
    assert place is not None
    # Between 1500 and 1520 (the even side), not towards 1501 across the street.
    assert place.address == "1510 Market St" and not place.exact
    assert place.lat == pytest.approx(39.95295) and place.long == pytest.approx(-75.1656)


@pytest.mark.parametrize("text", ["99 Nowhere Lane", "Market St", "", "1500", "9000 Market St"])
def test_what_cannot_be_placed_is_none(city: Jurisdiction, text: str) -> None:
    assert geocoding.geocode(city, text) is None


def test_another_citys_addresses_are_never_used(city: Jurisdiction) -> None:
    other = JurisdictionFactory(slug="springfield", name="Springfield", jurisdiction_id="springfield.gov")
    assert geocoding.geocode(other, "1500 Market St") is None
    assert geocoding.suggest(other, "1500 mar") == []
    assert geocoding.reverse(other, 39.9529, -75.1654) is None


# --- suggest ------------------------------------------------------------------------------------------------


def test_suggestions_begin_as_typed_best_first(city: Jurisdiction) -> None:
    found = geocoding.suggest(city, "15")
    assert found == []  # too short to ask
    found = geocoding.suggest(city, "1500 mark")
    assert [place.address for place in found] == ["1500 Market St"]
    assert found[0].exact is False  # "1500 mark" is not yet the whole address
    assert geocoding.suggest(city, "1500 Market Street")[0].exact is True
    found = geocoding.suggest(city, "150")
    assert [place.address for place in found] == ["1500 Market St", "1500 N Broad St", "1501 Market St"]
    assert [place.address for place in geocoding.suggest(city, "150", limit=1)] == ["1500 Market St"]
    assert [place.address for place in geocoding.suggest(city, "1234 n 5")] == ["1234 N 5th St"]


def test_a_street_without_a_number_suggests_its_addresses(city: Jurisdiction) -> None:
    found = [place.address for place in geocoding.suggest(city, "market st")]
    assert found == ["1500 Market St", "1501 Market St", "1520 Market St"]


def test_a_misspelt_street_still_suggests_the_addresses_near_the_number(city: Jurisdiction) -> None:
    found = [place.address for place in geocoding.suggest(city, "1510 Markte")]
    assert found == ["1501 Market St", "1500 Market St", "1520 Market St"]  # the nearest numbers first


def test_suggestions_read_a_bounded_number_of_rows(jurisdiction: Jurisdiction, django_assert_max_num_queries) -> None:
    load(jurisdiction, [(f"{number} Market St", 39.9529, -75.1654) for number in range(1000, 1600)])
    with django_assert_max_num_queries(3):
        found = geocoding.suggest(jurisdiction, "market st", limit=8)
    assert [place.address for place in found] == [f"{number} Market St" for number in range(1000, 1008)]


# --- reverse ------------------------------------------------------------------------------------------------


def test_a_dropped_pin_gets_the_nearest_address(city: Jurisdiction, center_city: Neighborhood) -> None:
    place = geocoding.reverse(city, 39.95292, -75.16555)  # a few metres from 1500 Market St
    assert place is not None and (place.address, place.neighborhood_id) == ("1500 Market St", center_city.pk)


def test_a_pin_with_no_address_within_the_radius_gets_none(city: Jurisdiction) -> None:
    assert geocoding.reverse(city, *FAR_FROM_EVERY_POINT) is None
    # About 200 m north of 1400 John F Kennedy Blvd: beyond the 150 m.
    assert geocoding.reverse(city, 39.9536 + 200 / 111_195, -75.1636) is None
    assert geocoding.reverse(city, 39.9536 + 120 / 111_195, -75.1636) is not None
    assert geocoding.reverse(city, 10.0, 10.0) is None  # outside the city


# --- manage.py load_address_points ------------------------------------------------------------------------------


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "addresses.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _load(path: Path, *extra: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_address_points", str(path), "--jurisdiction", "phila.gov", *extra, stdout=out)
    return out.getvalue()


GOOD = "address,lat,long,zipcode\n1400 John F Kennedy Blvd,39.9536,-75.1636,19102\n1500 Market St,39.9529,-75.1654,\n"


def test_a_good_file_is_loaded_with_its_keys_and_cells(jurisdiction: Jurisdiction, tmp_path: Path) -> None:
    output = _load(_csv(tmp_path, "\ufeff" + GOOD))
    assert "Philadelphia: address points loaded: 2." in output
    point = AddressPoint.objects.get(house_number=1400)
    assert (point.address, point.key, point.street_key, point.zipcode) == (
        "1400 John F Kennedy Blvd",
        "1400 john f kennedy blvd",
        "john f kennedy",
        "19102",
    )
    assert len(point.h3_cell) == 15 and point.jurisdiction == jurisdiction


def test_a_bad_file_lists_every_problem_by_line_and_writes_nothing(jurisdiction: Jurisdiction, tmp_path: Path) -> None:
    load(jurisdiction)
    bad = _csv(
        tmp_path,
        "address,lat,long\n"
        "1500 Market St,39.9529,-75.1654\n"  # line 2 is good
        ",39.95,-75.16\n"  # 3: no address
        "1600 Market St,north,-75.16\n"  # 4: not a latitude
        "1700 Market St,40.7128,-74.0060\n"  # 5: New York
        "1800 Market St,39.95,-75.16,extra\n",  # 6: a value too many
    )
    with pytest.raises(CommandError) as refused:
        _load(bad)
    assert refused.value.returncode == 2
    message = str(refused.value)
    assert "addresses.csv was not loaded; nothing changed" in message
    assert "Line 3 has no address." in message
    assert "Line 4: the latitude is not a number between -90 and 90." in message
    assert "Line 5: the point (40.7128, -74.006) is outside Philadelphia." in message
    assert "Line 6 has more values than the file has columns." in message
    assert "Line 2" not in message
    assert AddressPoint.objects.filter(jurisdiction=jurisdiction).count() == len(POINTS)  # untouched


def test_a_file_without_the_columns_is_refused(jurisdiction: Jurisdiction, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="needs the columns address, lat and long; missing: long") as refused:
        _load(_csv(tmp_path, "address,lat,lng\n1500 Market St,39.95,-75.16\n"))
    assert refused.value.returncode == 2
    with pytest.raises(CommandError, match="cannot be read"):
        _load(tmp_path / "missing.csv")


def test_loading_again_replaces_the_citys_points_only(jurisdiction: Jurisdiction, tmp_path: Path) -> None:
    other = JurisdictionFactory(slug="springfield", name="Springfield", jurisdiction_id="springfield.gov")
    load(other, [("1 Elm St", 39.95, -75.16)])
    load(jurisdiction)
    _load(_csv(tmp_path, GOOD))
    assert sorted(AddressPoint.objects.filter(jurisdiction=jurisdiction).values_list("address", flat=True)) == [
        "1400 John F Kennedy Blvd",
        "1500 Market St",
    ]
    assert AddressPoint.objects.filter(jurisdiction=other).count() == 1
    # And the geocoder follows at once: a street of the old file is gone.
    assert geocoding.geocode(jurisdiction, "1234 N 5th St") is None


def test_a_dry_run_checks_and_writes_nothing(jurisdiction: Jurisdiction, tmp_path: Path) -> None:
    output = _load(_csv(tmp_path, GOOD), "--dry-run")
    assert "address points that would be loaded: 2; dry run, nothing changed." in output
    assert not AddressPoint.objects.exists()


# --- a report with an address and no point ----------------------------------------------------------------------


def test_an_address_only_report_gets_a_point_and_a_neighborhood(
    city: Jurisdiction, service: Service, center_city: Neighborhood
) -> None:
    filed = filed_request(service, lat="", long="", address="1400 john f kennedy boulevard")
    filed.refresh_from_db()
    assert (filed.lat, filed.long) == (39.9536, -75.1636)
    assert filed.neighborhood == center_city
    assert filed.address == "1400 John F Kennedy Blvd"  # as the city writes it
    assert filed.h3_cell and filed.h3_cell == AddressPoint.objects.get(house_number=1400).h3_cell


def test_a_point_given_is_never_moved_by_the_address(city: Jurisdiction, service: Service) -> None:
    filed = filed_request(service, lat="39.9526", long="-75.1635", address="1234 N 5th St")
    assert (filed.lat, filed.long, filed.address) == (39.9526, -75.1635, "1234 N 5th St")


def test_an_unknown_address_is_accepted_with_a_note(city: Jurisdiction, service: Service, client: Client) -> None:
    filed = filed_request(service, lat="", long="", address="99 Nowhere Lane")
    assert (filed.address, filed.lat, filed.long, filed.neighborhood_id, filed.h3_cell) == (
        "99 Nowhere Lane",
        None,
        None,
        None,
        "",
    )
    page = client.get(reverse("public:confirmation", args=[filed.tracking_number])).content.decode()
    assert "We could not place this address on the map; the city will find it." in page
    assert "Nowhere" not in page  # the confirmation never repeats an address (the public may see it)
    placed = filed_request(service, lat="", long="", address="1500 Market St")
    page = client.get(reverse("public:confirmation", args=[placed.tracking_number])).content.decode()
    assert "could not place" not in page


def test_the_report_form_without_javascript_places_a_typed_address(
    city: Jurisdiction, service: Service, center_city: Neighborhood, client: Client
) -> None:
    page = client.get(reverse("public:report", args=[service.code])).content.decode()
    assert "address_lookup.js" in page and "data-address-lookup" in page
    response = client.post(
        reverse("public:report", args=[service.code]),
        {"description": "A sofa on the pavement", "address": "1500 Market Street"},
    )
    assert response.status_code == 302
    filed = ServiceRequest.objects.get()
    assert (filed.address, filed.neighborhood) == ("1500 Market St", center_city)


# --- the report form's JSON helpers ------------------------------------------------------------------------------


def test_suggestions_as_json_hold_only_the_address_and_its_point(city: Jurisdiction, client: Client) -> None:
    response = client.post(reverse("public:address_suggestions"), {"q": "1500 mark"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    found = response.json()
    assert found[0] == {"address": "1500 Market St", "lat": 39.9529, "long": -75.1654}
    assert all(set(place) == {"address", "lat", "long"} for place in found)
    assert client.post(reverse("public:address_suggestions")).json() == []
    assert client.post(reverse("public:address_suggestions"), {"q": "zz\x00zz"}).json() == []


def test_the_address_at_a_point_as_json(city: Jurisdiction, client: Client) -> None:
    url = reverse("public:address_at")
    response = client.post(url, {"lat": "39.95292", "long": "-75.16555"})
    assert response.status_code == 200 and response.json() == {"address": "1500 Market St"}
    lat, long = FAR_FROM_EVERY_POINT
    assert client.post(url, {"lat": str(lat), "long": str(long)}).status_code == 404
    assert client.get(url, {"lat": "39.95292", "long": "-75.16555"}).status_code == 405  # never in a URL


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"lat": "39.95"},
        {"lat": "north", "long": "-75.16"},
        {"lat": "91", "long": "-75.16"},
        {"lat": "nan", "long": "1"},
    ],
)
def test_the_address_at_a_bad_point_is_400(city: Jurisdiction, client: Client, query: dict[str, str]) -> None:
    response = client.post(reverse("public:address_at"), query)
    assert response.status_code == 400 and "error" in response.json()


def test_the_lookups_are_rate_limited(city: Jurisdiction, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geocoding_views, "LOOKUPS", rate_limits.Rate("address_lookup", 2, 3600))
    assert client.post(reverse("public:address_suggestions"), {"q": "1500 mark"}).status_code == 200
    assert client.post(reverse("public:address_at"), {"lat": "39.95292", "long": "-75.16555"}).status_code == 200
    refused = client.post(reverse("public:address_suggestions"), {"q": "1500 mark"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert client.get(reverse("public:address_suggestions"), {"q": "x"}).status_code == 405


# --- a city's own Nominatim or Pelias server ------------------------------------------------------------------------


class FakeServer:
    """A real HTTP server on a free local port, answering with `answer(path, query)` → (status, body)."""

    def __init__(self, answer: Callable[[str, dict[str, list[str]]], tuple[int, Any]]) -> None:
        self.asked: list[tuple[str, dict[str, list[str]]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlparse(self.path)
                query = parse_qs(parts.query)
                server.asked.append((parts.path, query))
                status, body = answer(parts.path, query)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that gave up (the timeout test) is no error of the server's

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., FakeServer]]:
    servers: list[FakeServer] = []

    def start(answer: Callable[[str, dict[str, list[str]]], tuple[int, Any]]) -> FakeServer:
        servers.append(FakeServer(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_nominatim_server_answers_when_configured(
    city: Jurisdiction, center_city: Neighborhood, settings: Any, serve: Callable[..., FakeServer]
) -> None:
    def answer(path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path == "/reverse":
            return 200, {"lat": "39.9526", "lon": "-75.1635", "display_name": "City Hall, Philadelphia"}
        return 200, [{"lat": "39.9526", "lon": "-75.1635", "display_name": "1 Penn Sq, Philadelphia", "type": "house"}]

    server = serve(answer)
    settings.CIVIC311_GEOCODER, settings.CIVIC311_GEOCODER_URL = "nominatim", server.url + "/"
    place = geocoding.geocode(city, "1 Penn Square")
    assert place == geocoding.Place("1 Penn Sq, Philadelphia", 39.9526, -75.1635, center_city.pk, True, "nominatim")
    path, query = server.asked[0]
    assert path == "/search" and query["q"] == ["1 Penn Square"] and query["bounded"] == ["1"]
    assert query["viewbox"] == ["-75.28,40.14,-74.96,39.87"]
    reversed_place = geocoding.reverse(city, 39.9526, -75.1635)
    assert reversed_place is not None and reversed_place.address == "City Hall, Philadelphia"


def test_a_pelias_server_suggests_and_its_answers_outside_the_city_are_dropped(
    city: Jurisdiction, settings: Any, serve: Callable[..., FakeServer]
) -> None:
    def feature(label: str, long: float, lat: float) -> dict[str, Any]:
        return {"properties": {"label": label, "match_type": "exact"}, "geometry": {"coordinates": [long, lat]}}

    server = serve(
        lambda path, query: (
            200,
            {"features": [feature("1500 Market St", -75.1654, 39.9529), feature("1500 Market St, NYC", -74.0, 40.71)]},
        )
    )
    settings.CIVIC311_GEOCODER, settings.CIVIC311_GEOCODER_URL = "pelias", server.url
    found = geocoding.suggest(city, "1500 mar")
    assert [(place.address, place.source) for place in found] == [("1500 Market St", "pelias")]
    assert server.asked[0][0] == "/v1/autocomplete" and server.asked[0][1]["text"] == ["1500 mar"]


@pytest.mark.parametrize("failure", ["error", "garbage", "slow"])
def test_a_failing_server_falls_back_to_the_address_points_and_logs_nothing_personal(
    city: Jurisdiction,
    settings: Any,
    serve: Callable[..., FakeServer],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    def answer(path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if failure == "slow":
            time.sleep(1.0)
            return 200, []
        return (500, {"error": "down"}) if failure == "error" else (200, {"not": "a list"})

    monkeypatch.setattr(geocoding, "REMOTE_TIMEOUT_SECONDS", 0.2)
    server = serve(answer)
    settings.CIVIC311_GEOCODER, settings.CIVIC311_GEOCODER_URL = "nominatim", server.url
    with caplog.at_level(logging.WARNING, logger="civic311.jurisdictions.geocoding"):
        place = geocoding.geocode(city, "1500 Market Street")
        near = geocoding.reverse(city, 39.95292, -75.16555)
    assert place is not None and (place.address, place.source) == ("1500 Market St", "address_points")
    assert near is not None and near.address == "1500 Market St"
    assert server.asked  # it was asked first
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "geocoder nominatim failed" in logged
    assert "Market" not in logged and "39.95" not in logged and "75.16" not in logged


def test_nothing_is_fetched_without_a_server_url(
    city: Jurisdiction, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("fetched over the network")

    monkeypatch.setattr(geocoding.requests, "get", no_network)
    settings.CIVIC311_GEOCODER, settings.CIVIC311_GEOCODER_URL = "pelias", ""
    assert geocoding.backend_name() == "address_points"
    place = geocoding.geocode(city, "1500 Market St")
    assert place is not None and place.source == "address_points"
    settings.CIVIC311_GEOCODER = "google"  # not one of ours: the address points, said in the log
    assert geocoding.backend_name() == "address_points"
