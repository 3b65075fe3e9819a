"""A second jurisdiction must not break the first one's clients (issue 14, item 2).

One rule picks the jurisdiction of every call (`jurisdictions.selectors.resolve_jurisdiction`): the
`jurisdiction_id` sent, else the API key's jurisdiction, else the host called, else the deployment's
configured default (CIVIC311_DEFAULT_JURISDICTION, else the one marked default, else the only one).
Open311, the open-data pages and the public site all use it; a 400 only when nothing applies.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction
from civic311.open311 import services as open311
from civic311.service_requests.models import ServiceRequest

from .factories import DepartmentFactory, JurisdictionFactory, ServiceFactory, filed_request

pytestmark = pytest.mark.django_db

CAMDEN_HOST = "311.camden.example"
CAMDEN_POINT: dict[str, Any] = {"lat": "39.93", "long": "-75.1"}  # inside both bounding boxes
CITY_HALL = {"lat": "39.9526", "long": "-75.1635"}


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver", CAMDEN_HOST, "311.phila.gov"]


@pytest.fixture
def camden(db):
    """The second city added to Philadelphia's deployment (Philadelphia stays the one marked default)."""
    return JurisdictionFactory(
        slug="camden",
        name="Camden",
        jurisdiction_id="camdennj.gov",
        is_default=False,
        host=CAMDEN_HOST,
        min_lat=39.85,
        max_lat=39.98,
        min_long=-75.14,
        max_long=-74.95,
    )


@pytest.fixture
def camden_service(camden):
    department = DepartmentFactory(jurisdiction=camden, slug="camden-works", name="Camden Public Works")
    return ServiceFactory(jurisdiction=camden, department=department, code="CAM-1", name="Abandoned Car")


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["service_code"] for item in json.loads(response.content)]


def error(response, status: int) -> str:
    assert response.status_code == status, response.content
    if response["Content-Type"].startswith("text/xml"):
        root = ET.fromstring(response.content)  # noqa: S314  (our own output)
        assert root.tag == "errors"
        return root[0].findtext("description") or ""
    (item,) = json.loads(response.content)
    assert item["code"] == status
    return item["description"]


def unmark_every_default() -> None:
    Jurisdiction.objects.update(is_default=False)
    places.forget_cached_geography()


def pk(jurisdiction: Jurisdiction | None) -> int | None:
    return jurisdiction.pk if jurisdiction is not None else None


# --- the rule -----------------------------------------------------------------------------------


def test_the_rule_in_order(jurisdiction, camden, settings):
    # The id sent wins over everything; then the key's city; then the host; then the default.
    assert (
        pk(
            places.resolve_jurisdiction(
                jurisdiction_id="CAMDENNJ.gov ", api_key_jurisdiction=jurisdiction.pk, host=CAMDEN_HOST
            )
        )
        == camden.pk
    )
    assert pk(places.resolve_jurisdiction(jurisdiction_id="phila.gov", host=CAMDEN_HOST)) == jurisdiction.pk
    assert pk(places.resolve_jurisdiction(api_key_jurisdiction=jurisdiction.pk, host=CAMDEN_HOST)) == jurisdiction.pk
    assert pk(places.resolve_jurisdiction(api_key_jurisdiction=camden.pk)) == camden.pk
    assert pk(places.resolve_jurisdiction(host="311.Camden.example:8443")) == camden.pk
    assert pk(places.resolve_jurisdiction(host="elsewhere.example")) == jurisdiction.pk  # the one marked default
    assert pk(places.resolve_jurisdiction()) == jurisdiction.pk
    # A key of no jurisdiction here (deleted since) is no answer: the next step decides.
    assert pk(places.resolve_jurisdiction(api_key_jurisdiction=999_999, host=CAMDEN_HOST)) == camden.pk
    with pytest.raises(places.UnknownJurisdiction):
        places.resolve_jurisdiction(jurisdiction_id="nowhere.gov", host=CAMDEN_HOST)
    with pytest.raises(places.UnknownJurisdiction):
        places.resolve_jurisdiction(jurisdiction_id="phila.gov\x00")


def test_a_host_is_matched_whatever_its_port_or_trailing_dot(client, jurisdiction, camden, camden_service):
    # A fully qualified host ("311.camden.example.") passes ALLOWED_HOSTS, so it must find Camden, not the default.
    assert pk(places.resolve_jurisdiction(host="311.Camden.example.")) == camden.pk
    assert pk(places.resolve_jurisdiction(host="311.camden.example.:8443")) == camden.pk
    assert codes(client.get("/open311/v2/services.json", HTTP_HOST="311.camden.example.")) == ["CAM-1"]
    # A host saved with its port (so that e-mail links carry it) is still that city's host.
    Jurisdiction.objects.filter(pk=camden.pk).update(host="311.Camden.example:8443")
    places.forget_cached_geography()
    assert pk(places.resolve_jurisdiction(host="311.camden.example:8443")) == camden.pk
    assert pk(places.resolve_jurisdiction(host="311.camden.example")) == camden.pk
    assert pk(places.resolve_jurisdiction(host="elsewhere.example")) == jurisdiction.pk


def test_the_configured_default(jurisdiction, camden, settings):
    settings.CIVIC311_DEFAULT_JURISDICTION = "CamdenNJ.gov"  # the setting wins over the admin's mark
    assert pk(places.default_jurisdiction()) == camden.pk
    assert pk(places.resolve_jurisdiction(host="elsewhere.example")) == camden.pk
    assert pk(places.resolve_jurisdiction(host="311.phila.gov")) == camden.pk  # Philadelphia has no host set
    settings.CIVIC311_DEFAULT_JURISDICTION = "nowhere.gov"  # names no jurisdiction: no default at all
    assert places.default_jurisdiction() is None
    settings.CIVIC311_DEFAULT_JURISDICTION = ""
    unmark_every_default()
    assert places.default_jurisdiction() is None  # several, none marked, no setting: nothing applies
    assert places.resolve_jurisdiction(host="elsewhere.example") is None
    assert pk(places.resolve_jurisdiction(host=CAMDEN_HOST)) == camden.pk
    Jurisdiction.objects.filter(pk=camden.pk).delete()
    places.forget_cached_geography()
    assert pk(places.default_jurisdiction()) == jurisdiction.pk  # with one jurisdiction, that one


# --- Open311 --------------------------------------------------------------------------------------


def test_adding_a_second_city_keeps_the_first_citys_clients_working(client, service, camden, camden_service):
    # Philadelphia's harvesters never send jurisdiction_id: with Camden added they still get Philadelphia.
    assert codes(client.get("/open311/v2/services.json")) == ["SR-ST02"]
    filed = filed_request(service)
    listed = json.loads(client.get("/open311/v2/requests.json").content)
    assert [item["service_request_id"] for item in listed] == [filed.tracking_number]
    assert client.get(f"/open311/v2/requests/{filed.tracking_number}.json").status_code == 200
    assert client.get(f"/open311/v2/services/{service.code}.xml").status_code == 200
    # Camden's by its id or its host.
    assert codes(client.get("/open311/v2/services.json", {"jurisdiction_id": "camdennj.gov"})) == ["CAM-1"]
    assert codes(client.get("/open311/v2/services.json", HTTP_HOST=CAMDEN_HOST)) == ["CAM-1"]


def test_a_key_says_which_city_a_post_is_for(client, service, camden, camden_service):
    philadelphia_key = open311.issue_api_key(service.jurisdiction, "FixMyStreet").key
    camden_key = open311.issue_api_key(camden, "Camden app").key
    response = client.post(
        "/open311/v2/requests.json",
        {"api_key": camden_key, "service_code": "CAM-1", **CAMDEN_POINT, "description": "A car with no plates."},
    )
    assert response.status_code == 200, response.content
    (created,) = json.loads(response.content)
    assert (
        ServiceRequest.objects.get(tracking_number=created["service_request_id"], jurisdiction=camden).service
        == camden_service
    )
    response = client.post(
        "/open311/v2/requests.json",
        {"api_key": philadelphia_key, "service_code": "SR-ST02", **CITY_HALL, "description": "Tires."},
    )
    assert response.status_code == 200, response.content
    # The key picks the city only when nothing said otherwise: the id sent still wins (and the key is refused).
    response = client.post(
        "/open311/v2/requests.json",
        {"api_key": camden_key, "service_code": "SR-ST02", **CITY_HALL, "jurisdiction_id": "phila.gov"},
    )
    assert "jurisdiction" in error(response, 403)
    # A GET with a key is that key's city's too.
    assert codes(client.get("/open311/v2/services.json", {"api_key": camden_key})) == ["CAM-1"]


def test_400_only_when_nothing_applies(client, service, camden, camden_service, settings):
    unmark_every_default()
    assert "jurisdiction_id" in error(client.get("/open311/v2/services.json"), 400)
    assert "jurisdiction_id" in error(client.get("/open311/v2/requests.xml"), 400)
    # Each of the rule's other steps is enough.
    assert codes(client.get("/open311/v2/services.json", HTTP_HOST=CAMDEN_HOST)) == ["CAM-1"]
    camden_key = open311.issue_api_key(camden, "Camden app").key
    assert codes(client.get("/open311/v2/services.json", {"api_key": camden_key})) == ["CAM-1"]
    settings.CIVIC311_DEFAULT_JURISDICTION = "phila.gov"
    assert codes(client.get("/open311/v2/services.json")) == ["SR-ST02"]
    # An id that names no jurisdiction stays a 404, whatever else would apply.
    assert "nowhere.gov" in error(client.get("/open311/v2/services.json", {"jurisdiction_id": "nowhere.gov"}), 404)


def test_discovery_of_a_second_citys_host(client, camden):
    body = json.loads(client.get("/open311/v2/discovery.json", HTTP_HOST=CAMDEN_HOST).content)
    assert body["contact"].startswith("Camden 311")


# --- open data ------------------------------------------------------------------------------------


def csv_subjects(response) -> list[str]:
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode("utf-8")
    return [row["subject"] for row in csv.DictReader(io.StringIO(text, newline=""))]


def test_open_data_follows_the_same_rule(client, service, camden, camden_service, settings):
    filed_request(service)
    filed_request(camden_service, **CAMDEN_POINT)
    url = "/open-data/service-requests.csv"
    assert csv_subjects(client.get(url)) == ["Illegal Dumping"]
    assert csv_subjects(client.get(url, {"jurisdiction_id": "camdennj.gov"})) == ["Abandoned Car"]
    assert csv_subjects(client.get(url, HTTP_HOST=CAMDEN_HOST)) == ["Abandoned Car"]
    assert client.get(url, {"jurisdiction_id": "nowhere.gov"}).status_code == 404
    # The page keeps the city it was asked for in its links and its form.
    page = client.get("/open-data/", {"jurisdiction_id": "camdennj.gov"}).content.decode()
    assert "service-requests.csv?jurisdiction_id=camdennj.gov" in page
    assert 'name="jurisdiction_id" value="camdennj.gov"' in page
    assert '<option value="CAM-1">' in page and '<option value="SR-ST02">' not in page

    unmark_every_default()
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "jurisdiction_id" in response.content.decode()
    assert client.get("/open-data/").status_code == 400
    assert csv_subjects(client.get(url, HTTP_HOST=CAMDEN_HOST)) == ["Abandoned Car"]
    settings.CIVIC311_DEFAULT_JURISDICTION = "camdennj.gov"
    assert csv_subjects(client.get(url)) == ["Abandoned Car"]


# --- the public site ------------------------------------------------------------------------------


def test_the_public_site_by_host_then_the_configured_default(client, service, camden, settings):
    camden_request = filed_request(
        ServiceFactory(
            jurisdiction=camden,
            department=DepartmentFactory(jurisdiction=camden, slug="camden-roads"),
            code="CAM-2",
            name="Camden Pothole",
        ),
        **CAMDEN_POINT,
    )
    track = f"/track/{camden_request.tracking_number}/"
    assert "Camden Pothole" in client.get(track, HTTP_HOST=CAMDEN_HOST).content.decode()
    assert client.get(track).status_code == 404  # Philadelphia's site, and Philadelphia has no such request
    settings.CIVIC311_DEFAULT_JURISDICTION = "camdennj.gov"
    assert "Camden Pothole" in client.get(track).content.decode()
