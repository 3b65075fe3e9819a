"""Open311 GET requests (issue 22): the plain list built from tuples, and the cached count of a window's past.

The plain list (no `extensions=true`) is read with `values_list()`, never as model objects: its responses
are compared byte for byte, in XML and JSON, with the same pages read the way they were before (model
objects from `fetch_for_output` without extensions, serialized one by one, and a live COUNT). The total's
settled part (whole hours before B, the start of the current UTC hour less one) is kept in the shared cache
for 10 minutes; the rest is counted live.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.test.utils import CaptureQueriesContext

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.open311 import selectors, serializers
from civic311.service_requests import services as requests
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Photo, ServiceRequest

from .factories import DepartmentFactory, ServiceFactory, jpeg
from .test_open311_reads import camden  # noqa: F401  (a second city, as the reads tests make it)

UTC = dt.UTC
NOW = dt.datetime(2026, 1, 20, 17, 25, tzinfo=UTC)  # B, the settled boundary, is 16:00
BOUNDARY = dt.datetime(2026, 1, 20, 16, 0, tzinfo=UTC)
FILED_AT = dt.datetime(2026, 1, 12, 15, 0, tzinfo=UTC)
CITY_HALL = (39.9526, -75.1635)
BASE = "/open311/v2"


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver"]


def file(service: Service, *, at: dt.datetime = FILED_AT, **fields: Any) -> ServiceRequest:
    report: dict[str, Any] = {
        "description": "Mattresses on the sidewalk & <tires>.",
        "address": "1400 John F Kennedy Blvd",
        "zipcode": "19107",
        "lat": repr(CITY_HALL[0]),
        "long": repr(CITY_HALL[1]),
    }
    report.update(fields)
    return requests.submit(
        service.jurisdiction, requests.Report(service_code=service.code, **report), now=at
    ).service_request


def total(client, **params: str) -> int:
    response = client.get(f"{BASE}/requests.json", params)
    assert response.status_code == 200, response.content
    return int(response["X-Total-Count"])


# --- the plain list from tuples -----------------------------------------------------------------


@pytest.fixture
def world(jurisdiction, department):
    """Several services and departments (one translated), each status, photos public and not, a media_url,
    a request with no point, one with no expected date, and private requests (never shown)."""
    parks = DepartmentFactory(jurisdiction=jurisdiction, slug="parks", name="Parks & Recreation")
    parks.translations = {"es": {"name": "Parques y Recreación"}}
    parks.save()
    dumping = ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="SR-ST02",
        name="Illegal Dumping",
        translations={"es": {"name": "Vertido ilegal", "service_notice": "5 días hábiles"}},
    )
    trees = ServiceFactory(jurisdiction=jurisdiction, department=parks, code="SR-PR01", name="Tree <Down>")
    pothole = ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="SR-ST03",
        name="Pothole Repair",
        sla_unit=Service.SlaUnit.NONE,
        sla_value=None,
        service_notice="",
    )
    services = [dumping, trees, pothole]
    made = []
    for n, status in enumerate([*Status, *Status]):
        fields: dict[str, Any] = {}
        if n % 4 == 1:
            fields["photos"] = [jpeg("a.jpg"), jpeg("b.jpg", color=(1, 2, 3))]
        if n % 5 == 2:
            fields["media_url"] = "https://img.example.org/photo?a=1&b=<2>"
        if n % 6 == 3:
            fields.update(lat=None, long=None, address="Somewhere near the park")
        item = file(services[n % 3], at=FILED_AT + dt.timedelta(hours=n * 7), **fields)
        ServiceRequest.objects.filter(pk=item.pk).update(status=status, status_notes=f"Notes {n} “quoted”")
        made.append(item)
    # Two photos filed at the same moment (ordered by pk), the second one withheld.
    withheld = Photo.objects.filter(service_request=made[5]).order_by("pk").values_list("pk", flat=True)[1]
    Photo.objects.filter(pk=withheld).update(is_public=False)
    # A service and department not usually paired.
    ServiceRequest.objects.filter(pk=made[9].pk).update(service=trees, department=department)
    file(dumping, at=FILED_AT + dt.timedelta(hours=3), is_private=True, photos=[jpeg()])
    file(trees, at=FILED_AT + dt.timedelta(hours=50), is_private=True)
    assert ServiceRequest.objects.filter(expected_at=None, is_private=False).exists()
    return made


def model_path_page(
    jurisdiction: Jurisdiction,
    wanted: selectors.RequestFilter,
    *,
    page: int,
    size: int,
    extensions: bool,
    cursor: str = "",
) -> selectors.Page:
    """The page as it was read before issue 22: model objects (`fetch_for_output` without extensions) and a
    live COUNT. `reads` serializes `Page.requests` one by one (see `model_path`)."""
    assert not extensions
    found = selectors.filtered_requests(jurisdiction, wanted)
    count = found.count()
    start = (page - 1) * size
    ordered = found.order_by(*wanted.ordering)
    rows: list[ServiceRequest] = []
    after = selectors.decode_cursor(cursor)
    window: QuerySet[ServiceRequest] | None = None
    if after is not None:
        moment, pk = after
        name = wanted.ordering[0]
        window = ordered.filter(Q(**{f"{name}__gt": moment}) | Q(**{name: moment, "pk__gt": pk}))[:size]
    elif start < count:
        window = ordered[start : start + size]
    if window is not None:
        rows = selectors.fetch_for_output(window, jurisdiction, extensions=False)
    next_cursor = ""
    if len(rows) == size and start + size < count:
        next_cursor = selectors.encode_cursor(getattr(rows[-1], wanted.ordering[0]), rows[-1].pk)
    return selectors.Page(rows, count, page, size, next_cursor)


@pytest.fixture
def model_path(monkeypatch):
    """Switches GET requests to the model path (for the plain list only) while the context is open."""

    class Switch:
        def __enter__(self):
            serialize = serializers.service_request

            def plain(item, *, absolute, extensions):
                return serialize(item, absolute=absolute, extensions=False)

            monkeypatch.setattr(selectors, "page_of_requests", model_path_page)
            monkeypatch.setattr(serializers, "service_request", plain)

        def __exit__(self, *exc):
            monkeypatch.undo()

    return Switch()


def both_ways(client, model_path, query: str, language: str = "en") -> tuple[bytes, bytes]:
    """The response (body and pagination headers) from tuples, then from model objects."""

    def one() -> bytes:
        response = client.get(f"{BASE}/{query}", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, response.content
        headers = "\n".join(
            f"{name}: {response[name]}" for name in ("Content-Type", "X-Total-Count", "X-Total-Pages", "Link")
        )
        return response.content + b"\n\n" + headers.encode()

    from_rows = one()
    with model_path:
        from_models = one()
    return from_rows, from_models


QUERIES = [
    "",
    "?page_size=5",
    "?page_size=5&page=2",
    "?page_size=7&page=3",
    "?page_size=4&page=99",
    "?service_code=SR-ST02,SR-PR01",
    "?service_code=SR-ST03&page_size=2&page=2",
    "?service_code=NOPE",
    "?status=open",
    "?status=closed&page_size=3",
    "?status=open,closed",
    "?updated_after=2026-01-01T00:00:00Z&page_size=6&page=2",
    "?start_date=2026-01-13T00:00:00Z&end_date=2026-01-15T00:00:00Z",
    "?bbox=-75.2,39.9,-75.1,40.0",
    "?lat=39.9526&long=-75.1635&radius=500",
    "?service_request_id=1,3,5,7,999",
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("query", QUERIES)
def test_the_plain_list_from_rows_is_byte_identical_to_the_model_path(client, world, model_path, fmt, query):
    from_rows, from_models = both_ways(client, model_path, f"requests.{fmt}{query}")
    assert from_rows == from_models


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_identical_in_another_language(client, world, model_path, fmt):
    from_rows, from_models = both_ways(client, model_path, f"requests.{fmt}", language="es")
    assert b"Vertido ilegal" in from_rows and "Parques y Recreación".encode() in from_rows
    assert from_rows == from_models


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("query", ["?page_size=4", "?page_size=3&updated_after=2026-01-01T00:00:00Z"])
def test_cursor_pages_are_identical_to_the_model_path(client, world, model_path, fmt, query):
    url = f"requests.{fmt}{query}"
    pages = 0
    while url:
        from_rows, from_models = both_ways(client, model_path, url)
        assert from_rows == from_models
        links = from_rows.decode().rsplit("\nLink: ", 1)[-1].split(", ")
        link = next((part for part in links if part.endswith('rel="next"')), "")
        url = link.split(">")[0].split(f"{BASE}/")[-1] if "cursor=" in link else ""
        pages += 1
    assert pages >= 3


def test_what_the_plain_list_shows(client, world):
    body = client.get(f"{BASE}/requests.json").json()
    shown = {item["service_request_id"]: item for item in body}
    assert len(shown) == len(world)  # the private ones are not there
    with_photos = shown[world[5].tracking_number]
    assert with_photos["media_url"].startswith("http://testserver/") and "/photos/" in with_photos["media_url"]
    assert shown[world[2].tracking_number]["media_url"] == "https://img.example.org/photo?a=1&b=<2>"
    assert shown[world[3].tracking_number]["lat"] is None and shown[world[3].tracking_number]["long"] is None
    assert {item["status"] for item in body} == {"open", "closed"}
    assert any(item["expected_datetime"] is None for item in body)


def test_the_plain_list_makes_no_model_object_per_request(client, world, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a ServiceRequest model object was built")

    monkeypatch.setattr(ServiceRequest, "from_db", classmethod(refuse))
    assert client.get(f"{BASE}/requests.xml?page_size=1000").status_code == 200
    assert client.get(f"{BASE}/requests.json?page_size=2&page=3").status_code == 200
    monkeypatch.undo()
    assert client.get(f"{BASE}/requests.json?extensions=true").status_code == 200


def test_the_plain_list_reads_the_page_in_a_fixed_number_of_queries(client, world):
    client.get(f"{BASE}/requests.json")  # fills the per-process caches and the settled count
    with CaptureQueriesContext(connection) as small:
        client.get(f"{BASE}/requests.json?page_size=3")
    with CaptureQueriesContext(connection) as large:
        client.get(f"{BASE}/requests.json?page_size=1000")
    assert len(large) == len(small)


def test_a_private_row_is_never_serialized(world):
    page = selectors.fetch_plain(ServiceRequest.objects.filter(pk=world[0].pk))
    page.rows = [page.rows[0]._replace(is_private=True)]
    with pytest.raises(ValueError, match="private"):
        serializers.plain_requests(page, absolute=lambda url: url, zone=UTC)


# --- the cached count of the past ---------------------------------------------------------------


@pytest.fixture
def service_counts(monkeypatch):
    """How often the settled count was found in the cache (hit), and how often not (miss)."""
    calls = {"hit": 0, "miss": 0}

    class Spy:
        def get_many(self, keys: list[str]) -> dict[str, Any]:
            found = cache.get_many(keys)
            for key in keys:
                if key.startswith("open311:settled-count:"):
                    calls["hit" if key in found else "miss"] += 1
            return found

        def __getattr__(self, name: str) -> Any:
            return getattr(cache, name)

    monkeypatch.setattr(selectors, "cache", Spy())
    return calls


def test_settled_before_is_the_start_of_the_last_hour():
    assert selectors.settled_before(NOW) == BOUNDARY
    assert selectors.settled_before(dt.datetime(2026, 1, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))) == (
        dt.datetime(2026, 1, 20, 16, 0, tzinfo=UTC)
    )


def test_the_total_is_right_on_first_and_cached_reads(client, service, service_counts):
    for n in range(5):
        file(service, at=FILED_AT + dt.timedelta(days=n))
    file(service, at=NOW - dt.timedelta(minutes=20))  # after B: counted live
    assert total(client) == 6
    assert service_counts == {"hit": 0, "miss": 1}
    assert total(client) == 6
    assert total(client, service_code="SR-ST02") == 6
    assert service_counts == {"hit": 1, "miss": 2}
    # A window wholly before B is one cached count.
    window = {"start_date": "2026-01-12T00:00:00Z", "end_date": "2026-01-14T00:00:00Z"}
    assert total(client, **window) == 2
    with CaptureQueriesContext(connection) as captured:
        assert total(client, **window) == 2
    assert not [query for query in captured if "COUNT(" in query["sql"].upper() and "cache" not in query["sql"]]


def test_a_request_filed_now_counts_at_once(client, service):
    file(service, at=FILED_AT)
    assert total(client) == 1
    file(service, at=NOW - dt.timedelta(minutes=1))
    file(service, at=BOUNDARY)
    assert total(client) == 3
    assert total(client, service_code="SR-ST02") == 3


def test_a_request_made_private_in_the_past_shows_when_the_cached_count_goes(client, service):
    old = file(service, at=FILED_AT)
    file(service, at=FILED_AT + dt.timedelta(days=1))
    assert total(client) == 2
    ServiceRequest.objects.filter(pk=old.pk).update(is_private=True)
    response = client.get(f"{BASE}/requests.json")
    assert len(response.json()) == 1  # the list itself is live
    assert response["X-Total-Count"] == "2"  # its total lags
    cache.clear()
    assert total(client) == 1


def test_the_cached_count_lasts_ten_minutes(client, service):
    old = file(service, at=FILED_AT)
    assert total(client) == 1
    ServiceRequest.objects.filter(pk=old.pk).update(is_private=True)
    with time_machine.travel(NOW + dt.timedelta(minutes=9), tick=False):
        assert total(client) == 1
    with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
        assert total(client) == 0


@pytest.mark.parametrize("kind", ["status", "updated_after", "updated_before", "service_request_id", "starts_after_b"])
def test_lists_that_change_as_requests_change_are_never_cached(client, service, service_counts, kind):
    at = NOW - dt.timedelta(minutes=20) if kind == "starts_after_b" else FILED_AT
    target = file(service, at=at)
    file(service, at=at)
    params = {
        "status": {"status": "open"},
        "updated_after": {"updated_after": "2026-01-01T00:00:00Z"},
        "updated_before": {"updated_before": "2026-02-01T00:00:00Z", "start_date": "2026-01-01T00:00:00Z"},
        "service_request_id": {"service_request_id": f"{target.tracking_number},nothing"},
        "starts_after_b": {"start_date": "2026-01-20T16:30:00Z"},
    }[kind]
    before = total(client, **params)
    ServiceRequest.objects.filter(pk=target.pk).update(is_private=True)
    assert total(client, **params) == before - 1
    assert service_counts == {"hit": 0, "miss": 0}


def test_a_status_filtered_total_moves_at_once(client, service):
    made = file(service, at=FILED_AT)
    assert total(client, status="open") == 1
    ServiceRequest.objects.filter(pk=made.pk).update(status=Status.CLOSED)
    assert total(client, status="open") == 0
    assert total(client, status="closed") == 1


def test_the_default_window_keeps_its_key_as_it_moves(client, service, service_counts):
    # The default window starts 90 days before now: its first, partial hour is counted live.
    edge = file(service, at=NOW - dt.timedelta(days=90) + dt.timedelta(minutes=5))
    file(service, at=FILED_AT)
    assert total(client) == 2
    with time_machine.travel(NOW + dt.timedelta(minutes=4), tick=False):
        assert total(client) == 2
    with time_machine.travel(NOW + dt.timedelta(minutes=6), tick=False):
        assert total(client) == 1  # the edge request left the window at once
    assert service_counts == {"hit": 2, "miss": 1}
    assert edge.requested_at < BOUNDARY


@pytest.mark.parametrize(
    "other",
    [
        {"service_code": "SR-ST03"},
        {"bbox": "-75.2,39.9,-75.1,40.0"},
        {"lat": "39.9526", "long": "-75.1635", "radius": "100"},
        {"start_date": "2026-01-12T00:00:00Z", "end_date": "2026-01-13T00:00:00Z"},
    ],
)
def test_each_filter_has_its_own_count(client, service, jurisdiction, department, other):
    pothole = ServiceFactory(jurisdiction=jurisdiction, department=department, code="SR-ST03")
    file(service, at=FILED_AT)
    file(service, at=FILED_AT + dt.timedelta(days=1), lat=repr(40.1), long=repr(-75.0))
    file(pothole, at=FILED_AT - dt.timedelta(days=2), lat=None, long=None)
    assert total(client) == 3
    assert total(client, **other) == 1


def test_each_jurisdiction_has_its_own_count(client, service, camden):  # noqa: F811 (the imported fixture)
    _county, car = camden
    file(service, at=FILED_AT)
    file(service, at=FILED_AT + dt.timedelta(days=1))
    file(car, at=FILED_AT, lat=repr(39.94), long=repr(-75.12))
    assert total(client, jurisdiction_id="phila.gov") == 2
    assert total(client, jurisdiction_id="camdennj.gov") == 1
    assert total(client, jurisdiction_id="phila.gov", service_code="SR-ST02") == 2
