"""Open311 GeoReport v2 over real HTTP: pytest-django's live server, the `requests` library, both formats.

What a real client does, end to end: post with an API key, resolve a batch token, read a request back,
filter, page to the last page by the headers, and harvest incrementally with `updated_after` while the
city keeps changing requests (the way FixMyStreet and open-data mirrors stay in sync).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import requests as http
from django.utils import timezone

from civic311.catalogue.models import Service
from civic311.open311 import formats
from civic311.open311 import services as open311
from civic311.service_requests import services as intake
from civic311.service_requests.lifecycle import Status, open311_status
from civic311.service_requests.models import ServiceRequest

from .factories import JurisdictionFactory, ServiceFactory

pytestmark = pytest.mark.django_db(transaction=True)

CITY_HALL = {"lat": "39.9526", "long": "-75.1635"}
TIMEOUT = 30


@pytest.fixture
def city(transactional_db):
    return JurisdictionFactory()


@pytest.fixture
def dumping(city):
    return ServiceFactory(jurisdiction=city, code="SR-ST02", name="Illegal Dumping")


@pytest.fixture
def potholes(city):
    return ServiceFactory(jurisdiction=city, code="SR-ST03", name="Pothole Repair")


@pytest.fixture
def abandoned_car(city):
    return ServiceFactory(
        jurisdiction=city, code="SR-PO01", name="Abandoned Vehicle", open311_type=Service.Open311Type.BATCH
    )


@pytest.fixture
def api_key(city):
    return open311.issue_api_key(city, "HTTP test client", requests_per_minute=100_000).key


@pytest.fixture
def api(live_server):
    client = Client(live_server.url + "/open311/v2/")
    yield client
    # Close the keep-alive connections while the server still runs, so its request threads end in the test.
    client.session.close()


class Client:
    """A thin Open311 client: every answer is checked for the contract's content types."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = http.Session()

    def get(self, path: str, **params) -> http.Response:
        response = self.session.get(self.base + path, params=params, timeout=TIMEOUT)
        _check_content_type(path, response)
        return response

    def get_url(self, url: str) -> http.Response:
        response = self.session.get(url, timeout=TIMEOUT)
        _check_content_type(url, response)
        return response

    def post(self, path: str, **form) -> http.Response:
        response = self.session.post(self.base + path, data=form, timeout=TIMEOUT)
        _check_content_type(path, response)
        return response

    def json(self, path: str, **params) -> list | dict:
        response = self.get(path, **params)
        assert response.status_code == 200, (path, params, response.status_code, response.text[:500])
        return response.json()


def _check_content_type(path: str, response: http.Response) -> None:
    kind = response.headers.get("Content-Type", "")
    if ".xml" in path.split("?")[0]:
        assert kind.startswith("text/xml"), (path, kind)
    else:
        assert kind.startswith(("application/json", "text/xml")), (path, kind)


def _file(service: Service, *, when: dt.datetime, private: bool = False, **fields) -> ServiceRequest:
    report = intake.Report(
        service_code=service.code,
        description=fields.pop("description", "Bags of trash."),
        is_private=private,
        **{**CITY_HALL, **fields},
    )
    return intake.submit(service.jurisdiction, report, now=when).service_request


def xml_root(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314  (our own server's output)


def _parse(stamp: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(stamp)  # Python 3.11 reads a trailing "Z" as UTC
    assert parsed.tzinfo is not None, f"timestamp without a zone: {stamp}"
    return parsed


# --- POST, read back, idempotency, keys ----------------------------------------------------------------------


def test_post_a_request_and_read_it_back_in_both_formats(api, dumping, api_key):
    posted = api.post(
        "requests.json",
        api_key=api_key,
        service_code="SR-ST02",
        description="Mattresses on the curb.",
        email="pat@example.org",
        first_name="Pat",
        client_request_id="round-trip-1",
        **CITY_HALL,
    )
    assert posted.status_code in (200, 201), posted.text
    body = posted.json()
    assert isinstance(body, list) and len(body) == 1
    number = body[0]["service_request_id"]
    assert isinstance(number, str) and number
    assert "service_notice" in body[0] and "account_id" in body[0]

    again = api.post(
        "requests.json",
        api_key=api_key,
        service_code="SR-ST02",
        description="Mattresses on the curb.",
        client_request_id="round-trip-1",
        **CITY_HALL,
    )
    assert again.status_code in (200, 201), again.text
    assert again.json()[0]["service_request_id"] == number, "client_request_id must return the first request"
    assert ServiceRequest.objects.filter(jurisdiction=dumping.jurisdiction).count() == 1

    [found] = api.json(f"requests/{number}.json")
    assert found["service_request_id"] == number
    assert found["service_code"] == "SR-ST02"
    assert found["status"] == "open"
    assert found["description"] == "Mattresses on the curb."
    assert float(found["lat"]) == pytest.approx(39.9526) and float(found["long"]) == pytest.approx(-75.1635)
    requested = _parse(found["requested_datetime"])
    assert abs(requested - timezone.now()) < dt.timedelta(minutes=5)
    assert _parse(found["updated_datetime"]) >= requested
    # Nothing about the requester is published.
    assert "pat@example.org" not in api.get(f"requests/{number}.json", extensions="true").text

    xml = api.get(f"requests/{number}.xml")
    assert xml.status_code == 200
    assert xml.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = xml_root(xml.content)
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert request.findtext("service_request_id") == number
    assert request.findtext("status") == "open"

    # The same request by id through the list method, which overrides every other filter.
    listed = api.json("requests.json", service_request_id=number, service_code="SR-NOPE", status="closed")
    assert [item["service_request_id"] for item in listed] == [number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_posting_needs_a_valid_key(api, dumping, api_key, fmt):
    for form in ({}, {"api_key": "not-a-key"}, {"api_key": api_key + "x"}):
        response = api.post(f"requests.{fmt}", service_code="SR-ST02", description="x", **CITY_HALL, **form)
        assert response.status_code == 403, (form, response.text)
        codes = (
            [item["code"] for item in response.json()]
            if fmt == "json"
            else [int(code.text or "") for code in xml_root(response.content).iter("code")]
        )
        assert codes == [403]
    assert not ServiceRequest.objects.exists()


def test_a_bad_post_is_a_400_naming_the_field(api, dumping, api_key):
    response = api.post("requests.json", api_key=api_key, service_code="SR-ST02", lat="91", long="-75.16")
    assert response.status_code == 400
    errors = response.json()
    assert all(isinstance(error["code"], int) and error["code"] == 400 for error in errors)
    assert any("lat" in error["description"] for error in errors), errors
    unknown = api.post("requests.json", api_key=api_key, service_code="SR-NOPE", **CITY_HALL)
    assert unknown.status_code in (400, 404), unknown.text


# --- batch services: token → id ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_batch_service_answers_with_a_token_that_resolves_to_the_id(api, abandoned_car, api_key, fmt):
    posted = api.post(
        f"requests.{fmt}",
        api_key=api_key,
        service_code="SR-PO01",
        description="A car with no plates for weeks.",
        **CITY_HALL,
    )
    assert posted.status_code in (200, 201), posted.text
    if fmt == "json":
        [item] = posted.json()
        token = item["token"]
        assert not item.get("service_request_id")
    else:
        [item] = xml_root(posted.content).findall("request")
        token = item.findtext("token")
        assert not item.findtext("service_request_id")
    assert token

    resolved = api.get(f"tokens/{token}.{fmt}")
    assert resolved.status_code == 200, resolved.text
    if fmt == "json":
        [found] = resolved.json()
        number, echoed = found["service_request_id"], found["token"]
    else:
        [found] = xml_root(resolved.content).findall("request")
        number, echoed = found.findtext("service_request_id"), found.findtext("token")
    assert echoed == token
    assert number == ServiceRequest.objects.get().tracking_number

    [request] = api.json(f"requests/{number}.json")
    assert request["service_code"] == "SR-PO01"

    missing = api.get(f"tokens/no-such-token.{fmt}")
    assert missing.status_code == 404


# --- filters ---------------------------------------------------------------------------------------------------


def test_filters_by_service_status_and_dates(api, dumping, potholes):
    now = timezone.now().replace(microsecond=0)
    day = dt.timedelta(days=1)
    d1 = _file(dumping, when=now - 60 * day)
    d2 = _file(dumping, when=now - 30 * day)
    d3 = _file(dumping, when=now - 2 * day)
    p1 = _file(potholes, when=now - 45 * day)
    p2 = _file(potholes, when=now - 1 * day)
    old = _file(dumping, when=now - 120 * day)  # outside the default 90-day window
    hidden = _file(dumping, when=now - 3 * day, private=True)
    intake.change_status(d2, Status.CLOSED, actor=None, public_reason="Issue Resolved", now=now - 29 * day)
    intake.change_status(p2, Status.CANCELLED, actor=None, public_reason="Reported twice", now=now - day / 2)

    def numbers(**params) -> set[str]:
        items = api.json("requests.json", **params)
        ids = [item["service_request_id"] for item in items]
        assert len(ids) == len(set(ids)), f"repeated ids for {params}"
        return set(ids)

    def ids(*requests: ServiceRequest) -> set[str]:
        return {request.tracking_number for request in requests}

    assert numbers() == ids(d1, d2, d3, p1, p2)
    assert hidden.tracking_number not in numbers(service_request_id=hidden.tracking_number)
    assert numbers(service_code="SR-ST02") == ids(d1, d2, d3)
    assert numbers(service_code="SR-ST03") == ids(p1, p2)
    assert numbers(service_code="SR-ST02,SR-ST03") == ids(d1, d2, d3, p1, p2)
    assert numbers(service_code="SR-NOPE") == set()
    assert numbers(status="closed") == ids(d2, p2)
    assert numbers(status="open") == ids(d1, d3, p1)
    assert numbers(status="open,closed") == ids(d1, d2, d3, p1, p2)
    assert numbers(service_code="SR-ST02", status="open") == ids(d1, d3)

    def stamp(value: dt.datetime) -> str:
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")

    assert numbers(start_date=stamp(now - 50 * day), end_date=stamp(now - 10 * day)) == ids(d2, p1)
    assert numbers(start_date=stamp(now - 130 * day), end_date=stamp(now - 50 * day)) == ids(old, d1)
    assert numbers(start_date=stamp(now - 31 * day), end_date=stamp(now)) == ids(d2, d3, p2)
    assert numbers(start_date=stamp(now - 50 * day), end_date=stamp(now), service_code="SR-ST03", status="open") == ids(
        p1
    )
    # Local time with its offset means the same instant.
    local = (now - 50 * day).astimezone(dumping.jurisdiction.zone).isoformat()
    assert numbers(start_date=local, end_date=stamp(now - 10 * day)) == ids(d2, p1)

    too_wide = api.get("requests.json", start_date=stamp(now - 200 * day), end_date=stamp(now))
    assert too_wide.status_code in (200, 400)  # the contract allows an error or a clipped window
    if too_wide.status_code == 400:
        assert all(isinstance(error["code"], int) for error in too_wide.json())
    bad = api.get("requests.json", status="pending")
    assert bad.status_code == 400


# --- pagination ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_pages_to_the_last_page_by_the_headers(api, dumping, fmt):
    now = timezone.now()
    made = [_file(dumping, when=now - dt.timedelta(hours=3 * n + 1)) for n in range(23)]
    expected = {request.tracking_number for request in made}

    response = api.get(f"requests.{fmt}", page_size=5)
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "23"
    assert response.headers["X-Total-Pages"] == "5"
    assert "last" in response.links and "next" in response.links
    seen: list[str] = []
    sizes = []
    pages = 0
    while True:
        pages += 1
        assert pages <= 10, "the next links never end"
        if fmt == "json":
            items = [item["service_request_id"] for item in response.json()]
        else:
            items = [node.findtext("service_request_id") for node in xml_root(response.content).findall("request")]
        seen.extend(items)
        sizes.append(len(items))
        if "next" not in response.links:
            assert response.links["last"]["url"] == response.url or response.headers["X-Page"] == "5"
            break
        response = api.get_url(response.links["next"]["url"])
        assert response.status_code == 200
    assert sizes == [5, 5, 5, 5, 3]
    assert len(seen) == len(set(seen)), "a request appeared on two pages"
    assert set(seen) == expected

    past_the_end = api.get(f"requests.{fmt}", page_size=5, page=6)
    assert past_the_end.status_code == 200
    if fmt == "json":
        assert past_the_end.json() == []
    else:
        assert xml_root(past_the_end.content).findall("request") == []
    for bad in ("0", "-1", "abc", "1001"):
        assert api.get(f"requests.{fmt}", page_size=bad).status_code == 400, bad


# --- incremental harvesting ------------------------------------------------------------------------------------


class Harvester:
    """A client that mirrors every public request by polling `updated_after=<the newest updated_datetime seen>`.

    Each call asks for one small page. When the page is full it asks again from the newest timestamp on
    it (requests at exactly that timestamp come again: `updated_after` is inclusive, so they are matched
    by id). When a full page holds nothing newer than where it started (many requests share one second,
    the resolution of updated_datetime) it takes that second in one page of the maximum size instead of
    paging by offset inside it. `mirror` keeps each request's newest copy.
    """

    PAGE_SIZE = 5
    MAX_PAGE_SIZE = 1000

    def __init__(self, api: Client, since: dt.datetime) -> None:
        self.api = api
        self.watermark = since.isoformat()
        self.mirror: dict[str, dict] = {}
        self.calls = 0

    def poll(self, meanwhile=lambda call: None) -> None:
        """One round, until a page is not full; `meanwhile(n)` runs after the n-th call (the city at work)."""
        size = self.PAGE_SIZE
        while True:
            self.calls += 1
            assert self.calls < 500, "the harvest does not converge"
            items = self.api.json("requests.json", updated_after=self.watermark, page_size=size)
            ids = [item["service_request_id"] for item in items]
            assert len(ids) == len(set(ids)), f"one page repeats a request: {ids}"
            for item in items:
                kept = self.mirror.get(item["service_request_id"])
                if kept is None or _parse(item["updated_datetime"]) >= _parse(kept["updated_datetime"]):
                    self.mirror[item["service_request_id"]] = item
            meanwhile(self.calls)
            if not items:
                return
            newest = max(items, key=lambda item: _parse(item["updated_datetime"]))["updated_datetime"]
            moved = _parse(newest) > _parse(self.watermark)
            if moved:
                self.watermark = newest
            if len(items) < size:
                return
            if not moved:
                assert size < self.MAX_PAGE_SIZE, "more than 1000 requests share one second"
                size = self.MAX_PAGE_SIZE
            else:
                size = self.PAGE_SIZE


def test_updated_after_harvest_misses_nothing_while_requests_keep_changing(api, dumping, potholes):
    """Changes land between rounds and between the calls of a round: some in reverse order of filing
    (newest filed changed first), some sharing one second across a page boundary, a new request, a
    close and a reopen. After a final quiet round the mirror equals every public request at its newest
    updated_datetime and status."""
    zone = dumping.jurisdiction.zone
    real_now = timezone.now().replace(microsecond=0)
    made = [_file(dumping if n % 2 else potholes, when=real_now - dt.timedelta(days=20 - n)) for n in range(20)]
    _file(dumping, when=real_now - dt.timedelta(days=5, hours=3), private=True)
    clock = [real_now + dt.timedelta(seconds=1)]

    def tick(seconds: float = 1.0) -> dt.datetime:
        clock[0] += dt.timedelta(seconds=seconds)
        return clock[0]

    def note(request: ServiceRequest, text: str, when: dt.datetime) -> None:
        intake.add_note(request, text, actor=None, public=True, now=when)

    harvester = Harvester(api, since=real_now - dt.timedelta(days=30))
    harvester.poll()
    assert len(harvester.mirror) == 20

    # 1. Eight changes in reverse filing order, one second apart: the newest change is on the oldest request.
    for request in reversed(made[:8]):
        note(request, "Crew scheduled.", tick())
    harvester.poll()

    # 2. Seven changes inside one second (more than a page): a page boundary falls among equal timestamps.
    same_second = tick().replace(microsecond=0)
    for offset, request in enumerate(made[8:15]):
        intake.change_status(
            request, Status.ACKNOWLEDGED, actor=None, now=same_second + dt.timedelta(microseconds=offset)
        )
    harvester.poll()

    # 3. Changes while the harvester is between calls: an old request, a new one, and a close.
    def city_at_work(call: int) -> None:
        if call == harvester.calls and not getattr(city_at_work, "done", False):
            city_at_work.done = True  # type: ignore[attr-defined]
            note(made[1], "Parts ordered.", tick())
            _file(potholes, when=tick(), description="A new pothole.")
            intake.change_status(made[16], Status.CLOSED, actor=None, public_reason="Issue Resolved", now=tick())

    for request in reversed(made[15:20]):
        note(request, "Inspected.", tick())
    harvester.poll(meanwhile=city_at_work)

    # 4. A close and a reopen in the same second as other notes; then a quiet round.
    when = tick().replace(microsecond=0)
    intake.change_status(made[0], Status.CLOSED, actor=None, public_reason="Issue Resolved", now=when)
    intake.change_status(
        made[0], Status.REOPENED, actor=None, public_reason="Still there", now=when + dt.timedelta(microseconds=5)
    )
    note(made[19], "Follow-up.", when + dt.timedelta(microseconds=9))
    harvester.poll()
    harvester.poll()

    truth = {
        request.tracking_number: (formats.timestamp(request.updated_at, zone), open311_status(request.status))
        for request in ServiceRequest.objects.filter(jurisdiction=dumping.jurisdiction, is_private=False)
    }
    mirrored = {number: (item["updated_datetime"], item["status"]) for number, item in harvester.mirror.items()}
    missing = sorted(set(truth) - set(mirrored))
    stale = sorted(number for number in set(truth) & set(mirrored) if truth[number] != mirrored[number])
    extra = sorted(set(mirrored) - set(truth))
    assert not extra, f"harvested requests that are not public: {extra}"
    assert (missing, stale) == ([], []), (
        f"the harvest missed {len(missing)} request(s) {missing} and missed the latest change of {len(stale)} "
        f"(id, (harvested), (truth)): {[(n, mirrored[n], truth[n]) for n in stale]} after {harvester.calls} calls. "
        "A harvester that resumes from the newest updated_datetime it saw needs pages ordered by "
        "updated_datetime (then id) when updated_after/updated_before is given"
    )
    assert len(mirrored) == 21
