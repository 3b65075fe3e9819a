"""Open311 details that real clients trip on (issue 14, item 3): discovery's url and doubled slashes,
media_url null, a POST to an unknown path, long service_request_id lists, and a private request's number.

The 1,000 ids through the real gunicorn configuration are in tests/test_open311_long_queries.py.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
import requests as http
from django.test import Client

from civic311.open311 import endpoints
from civic311.open311 import services as open311
from civic311.open311.georeport_client import GeoReportClient
from civic311.open311.selectors import MAX_REQUEST_IDS, TRACKING_NUMBER_MAX
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, ServiceRequest

from .factories import filed_request

CITY_HALL = {"lat": "39.9526", "long": "-75.1635"}


def json_of(response):
    assert response["Content-Type"] == "application/json; charset=utf-8", response.content[:200]
    return json.loads(response.content)


def xml_of(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8", response.content[:200]
    return ET.fromstring(response.content)  # noqa: S314  (our own output)


def error(response, status: int, fmt: str) -> str:
    assert response.status_code == status, response.content[:300]
    if fmt == "json":
        (item,) = json_of(response)
        assert item["code"] == status
        return item["description"]
    root = xml_of(response)
    assert root.tag == "errors" and root[0].findtext("code") == str(status)
    return root[0].findtext("description") or ""


# --- discovery's url, and doubled slashes ----------------------------------------------------------


def discovered_url(client) -> str:
    (production, test) = json_of(client.get("/open311/v2/discovery.json"))["endpoints"]
    assert production["url"] == test["url"]
    return production["url"]


def test_discovery_url_ends_without_a_slash_and_clients_append_the_method(client, service):
    url = discovered_url(client)
    assert url == "http://testserver/open311/v2"  # the specification's own form
    assert xml_of(client.get(url + "/services.xml")).tag == "services"
    # A client that kept the old url (with the slash) joins it the same way: a doubled slash.
    services = json_of(client.get(url + "//services.json"))
    assert [item["service_code"] for item in services] == ["SR-ST02"]
    assert xml_of(client.get("/open311//v2/services/SR-ST02.xml")).tag == "service_definition"
    assert json_of(client.get("/open311/v2///discovery.json"))["endpoints"][0]["url"] == url


def test_a_doubled_slash_post_and_its_links(client, service):
    key = open311.issue_api_key(service.jurisdiction, "Old client").key
    response = client.post(
        "/open311/v2//requests.json", {"api_key": key, "service_code": "SR-ST02", **CITY_HALL, "description": "Tires."}
    )
    assert response.status_code == 200, response.content
    (created,) = json_of(response)
    assert ServiceRequest.objects.filter(tracking_number=created["service_request_id"]).exists()
    listed = client.get("/open311/v2//requests.json", {"page_size": "1"})
    assert listed.status_code == 200
    assert "//requests.json" not in listed["Link"] and "/open311/v2/requests.json?" in listed["Link"]
    # A doubled slash in a path that names nothing is still a 404 in the caller's format.
    assert error(client.get("/open311/v2//nothing.json"), 404, "json")
    assert error(client.get("/open311/v2//nothing"), 404, "xml")


@pytest.mark.django_db(transaction=True)
def test_real_clients_join_the_discovered_url(live_server, jurisdiction, service):
    with http.Session() as session:
        discovery = session.get(f"{live_server.url}/open311/v2/discovery.json", timeout=30).json()
        url = discovery["endpoints"][0]["url"]
        assert url == f"{live_server.url}/open311/v2"
        for base in (url, url + "/"):  # today's url, and the one discovery gave before
            answer = session.get(base + "/services.json", timeout=30)
            assert answer.status_code == 200 and answer.json()[0]["service_code"] == "SR-ST02"
            answer = session.get(base + "/services.xml", timeout=30)
            assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/xml; charset=utf-8"
    # civic311's own client, given the discovered url as the endpoint.
    filed = filed_request(service)
    ours = GeoReportClient(url)
    try:
        (remote,) = ours.get_requests([filed.tracking_number])
    finally:
        ours.session.close()  # while the server still runs, so its request threads end in the test
    assert remote.service_request_id == filed.tracking_number


# --- media_url ------------------------------------------------------------------------------------


def test_an_empty_media_url_is_null_in_json_and_empty_in_xml(client, service, staff):
    filed = filed_request(service)
    (item,) = json_of(client.get(f"/open311/v2/requests/{filed.tracking_number}.json"))
    assert item["media_url"] is None
    assert item["lat"] == 39.9526
    (extended,) = json_of(client.get(f"/open311/v2/requests/{filed.tracking_number}.json", {"extensions": "true"}))
    assert extended["media_url"] is None and extended["extended_attributes"]["photos"] == []
    assert all(entry["media_url"] is None for entry in json_of(client.get("/open311/v2/requests.json")))
    request_xml = xml_of(client.get(f"/open311/v2/requests/{filed.tracking_number}.xml"))
    assert request_xml.find("request/media_url") is not None
    assert request_xml.findtext("request/media_url") == ""
    # The same for servicerequestupdates.
    requests_services.add_note(filed, "Crew on the way.", actor=staff, public=True)
    updates = json_of(client.get("/open311/v2/servicerequestupdates.json"))
    assert updates and all(update["media_url"] is None for update in updates)
    # A link the client sent is given back as sent.
    linked = filed_request(service, media_url="https://photos.example.org/1.jpg")
    (item,) = json_of(client.get(f"/open311/v2/requests/{linked.tracking_number}.json"))
    assert item["media_url"] == "https://photos.example.org/1.jpg"


# --- a POST to an unknown path --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("/open311/v2/nothing.json", "json"),
        ("/open311/v2/nothing.xml", "xml"),
        ("/open311/v2/nothing", "xml"),
        ("/open311/v3/requests.json", "json"),
        ("/open311/", "xml"),
        ("/open311/v2/requests/123/notes.json", "json"),
    ],
)
def test_a_post_to_an_unknown_path_is_a_404_in_the_callers_format(db, path, fmt):
    strict = Client(enforce_csrf_checks=True)  # as a real client: no CSRF cookie, no token
    response = strict.post(path, {"api_key": "x", "service_code": "SR-ST02"})
    assert "Open311" in error(response, 404, fmt)
    assert b"CSRF" not in response.content and b"<html" not in response.content.lower()


def test_a_post_to_a_known_path_is_not_stopped_by_csrf_either(service):
    strict = Client(enforce_csrf_checks=True)
    key = open311.issue_api_key(service.jurisdiction, "Strict client").key
    response = strict.post("/open311/v2//requests.json", {"api_key": key, "service_code": "SR-ST02", **CITY_HALL})
    assert response.status_code == 200, response.content
    assert error(strict.post("/open311/v2/services.json"), 400, "json")


# --- long service_request_id lists ----------------------------------------------------------------


def longest_ids(count: int) -> list[str]:
    return [f"{n:0{TRACKING_NUMBER_MAX}d}" for n in range(1, count + 1)]


def test_a_thousand_of_the_longest_ids_are_served(client, service):
    numbers = longest_ids(MAX_REQUEST_IDS)
    filed = [filed_request(service) for _ in range(3)]
    for row, number in zip(filed, (numbers[0], numbers[499], numbers[-1]), strict=True):
        ServiceRequest.objects.filter(pk=row.pk).update(tracking_number=number)
    # As requests sends it: the commas percent-encoded.
    query = "service_request_id=" + "%2C".join(numbers) + "&jurisdiction_id=phila.gov&extensions=true"
    assert len(query) <= endpoints.MAX_QUERY_CHARS
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 200, response.content[:300]
    assert [item["service_request_id"] for item in json_of(response)] == [numbers[0], numbers[499], numbers[-1]]
    # Links that repeat such a query would be a header line clients refuse; the X- headers still page.
    assert "Link" not in response and response["X-Total-Count"] == "3"
    assert "Link" in client.get("/open311/v2/requests.json", {"service_request_id": numbers[0]})


def test_too_many_ids_or_too_long_a_query_is_a_400_in_the_callers_format(client, service):
    numbers = longest_ids(MAX_REQUEST_IDS + 1)
    too_many = "service_request_id=" + ",".join(number.lstrip("0") for number in numbers)
    assert "1000" in error(client.get(f"/open311/v2/requests.json?{too_many}"), 400, "json")
    too_long = "service_request_id=" + "%2C".join(numbers[:900]) + "&description=" + "x" * 9_000
    assert len(too_long) > endpoints.MAX_QUERY_CHARS
    refused = "The query is too long: at most 40000 characters."
    assert error(client.get(f"/open311/v2/requests.json?{too_long}"), 400, "json") == refused
    assert error(client.get(f"/open311/v2/requests.xml?{too_long}"), 400, "xml") == refused
    assert error(client.get(f"/open311/v2/requests?{too_long}"), 400, "xml") == refused
    assert error(client.get(f"/open311/v2/services.json?{too_long}"), 400, "json") == refused
    # An id longer than any tracking number finds nothing, and is not an error.
    assert json_of(client.get("/open311/v2/requests.json", {"service_request_id": "9" * 40})) == []


# --- a private request's number ------------------------------------------------------------------


@pytest.fixture
def private_and_its_duplicate(service, staff):
    private = filed_request(service, is_private=True, description="About my neighbour.")
    duplicate = filed_request(service)
    requests_services.change_status(duplicate, Status.DUPLICATE, actor=staff, duplicate_of=private)
    duplicate.refresh_from_db()
    return private, duplicate


def test_a_duplicate_of_a_private_request_does_not_publish_its_number(client, private_and_its_duplicate):
    private, duplicate = private_and_its_duplicate
    number = private.tracking_number
    assert duplicate.duplicate_of_id == private.pk  # staff still see which one
    assert number not in duplicate.status_notes
    assert duplicate.status_notes == "Duplicate of another request."
    assert all(number not in entry.text for entry in duplicate.history.filter(is_public=True))
    marked = HistoryEntry.objects.filter(service_request=duplicate, kind=HistoryEntry.Kind.STATUS).get()
    assert marked.is_public and marked.text == "Duplicate of another request."
    for fmt in ("json", "xml"):
        body = client.get(f"/open311/v2/requests/{duplicate.tracking_number}.{fmt}", {"extensions": "true"}).content
        assert number.encode() not in body
    updates = client.get("/open311/v2/servicerequestupdates.json").content
    assert number.encode() not in updates
    export = client.get("/open-data/service-requests.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8"), newline="")))
    assert [row["status_notes"] for row in rows] == ["Duplicate of another request."]
    track = client.get(f"/track/{duplicate.tracking_number}/").content.decode()
    assert number not in track


def test_a_duplicate_of_a_public_request_still_names_it(service, staff):
    original = filed_request(service)
    duplicate = filed_request(service)
    marked = requests_services.change_status(duplicate, Status.DUPLICATE, actor=staff, duplicate_of=original)
    assert marked.status_notes == f"Duplicate of request {original.tracking_number}."


def test_tracking_a_private_request_shows_only_that_it_is_private(client, service, staff):
    private = filed_request(
        service,
        is_private=True,
        description="About my neighbour.",
        address="1234 Hidden Lane",
        first_name="Pat",
        email="pat@example.org",
    )
    requests_services.change_status(private, Status.CLOSED, actor=staff, public_reason="Spoke with the owner.")
    response = client.get(f"/track/{private.tracking_number}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "This request is private" in page and private.tracking_number in page
    for secret in (
        "Illegal Dumping",
        "Spoke with the owner",
        "Closed",
        "1234 Hidden Lane",
        "History",
        "Reported",
        "Streets Department",
        "Follow this request",
    ):
        assert secret not in page, secret
    # The track form finds it and says the same.
    found = client.get("/track/", {"number": private.tracking_number}, follow=True)
    assert "This request is private" in found.content.decode()
    # The requester's own signed link still leads to their follow-up page.
    token = requests_services.resident_link_token(private)
    page = client.get(f"/track/{private.tracking_number}/", {"t": token}).content.decode()
    assert "This request is private" in page and "/follow-up/?t=" in page
    assert "Spoke with the owner" not in page


def test_tracking_a_private_request_in_spanish(client, service):
    private = filed_request(service, is_private=True)
    page = client.get(f"/track/{private.tracking_number}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert private.tracking_number in page
    # The page itself in Spanish (the number alone would be there whatever the page said).
    assert "Esta solicitud es privada" in page and "This request is private" not in page
