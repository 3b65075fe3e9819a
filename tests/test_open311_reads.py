"""Open311 GeoReport v2, the GET side: discovery, services, service definitions, requests and one request,
in XML and JSON, with every filter, pagination, the extensions, privacy, several jurisdictions and
constant query counts. Structures are checked field by field, in order, as strict clients read them."""

from __future__ import annotations

import datetime as dt
import json
import math
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civic311.catalogue.models import Service, ServiceAttribute
from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.selectors import forget_cached_geography
from civic311.open311 import endpoints, selectors
from civic311.people.models import StaffRole
from civic311.service_requests import services as requests
from civic311.service_requests.models import Photo, ServiceRequest

from .factories import (
    AttributeValueFactory,
    DepartmentFactory,
    JurisdictionFactory,
    NeighborhoodFactory,
    ServiceAttributeFactory,
    ServiceFactory,
    ServiceGroupFactory,
    StaffFactory,
    jpeg,
    select_attribute,
    with_role,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 1, 20, 17, 0, tzinfo=UTC)  # Tuesday noon in Philadelphia (EST, -05:00)
FILED_AT = dt.datetime(2026, 1, 12, 15, 0, tzinfo=UTC)  # Monday 10:00 EST
CITY_HALL = (39.9526, -75.1635)
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'
BASE = "/open311/v2"
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
EXTENDED_FIELDS = ["channel", "detailed_status", "parent_service_request_id", "duplicate_of", "neighborhood", "photos"]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def file(
    service: Service,
    *,
    at: dt.datetime = FILED_AT,
    lat: float | None = CITY_HALL[0],
    long: float | None = CITY_HALL[1],
    **fields,
) -> ServiceRequest:
    report: dict[str, Any] = {
        "description": "Mattresses on the sidewalk.",
        "address": "1400 John F Kennedy Blvd",
        "zipcode": "19107",
    }
    if lat is not None:
        report.update(lat=repr(lat), long=repr(long))
    if service.code == "SR-ST02":
        report["answers"] = {"kind": ["trash"]}  # the required question
    report.update(fields)
    return requests.submit(
        service.jurisdiction, requests.Report(service_code=service.code, **report), now=at
    ).service_request


def get(client, path: str, **params):
    headers = {key: params.pop(key) for key in list(params) if key.startswith("HTTP_")}
    return client.get(f"{BASE}/{path}", params, **headers)


def as_json(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def as_xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(XML_DECLARATION)
    return ET.fromstring(response.content)  # noqa: S314  (our own output)


def names(element: ET.Element | None) -> list[str]:
    assert element is not None, "no such element"
    return [child.tag for child in element]


def child_at(element: ET.Element, path: str) -> ET.Element:
    """The element at `path`, which must be there."""
    found = element.find(path)
    assert found is not None, path
    return found


def ids(response) -> list[str]:
    return [item["service_request_id"] for item in as_json(response)]


def error_of(response, status: int, fmt: str = "json") -> str:
    """The single error's description, after checking the error body's exact structure."""
    assert response.status_code == status
    if fmt == "json":
        body = as_json(response)
        assert isinstance(body, list) and len(body) == 1
        assert list(body[0]) == ["code", "description"]
        assert body[0]["code"] == status and isinstance(body[0]["code"], int)
        return body[0]["description"]
    root = as_xml(response)
    assert root.tag == "errors" and names(root) == ["error"]
    assert names(root[0]) == ["code", "description"]
    assert root[0].findtext("code") == str(status)
    return root[0].findtext("description") or ""


def north_of(lat: float, long: float, metres: float) -> tuple[float, float]:
    return lat + metres / METRES_PER_DEGREE, long


def east_of(lat: float, long: float, metres: float) -> tuple[float, float]:
    return lat, long + metres / (METRES_PER_DEGREE * math.cos(math.radians(lat)))


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver", "311.phila.gov"]


@pytest.fixture
def city(jurisdiction):
    jurisdiction.contact_email = "311@phila.gov"
    jurisdiction.contact_phone = "215-686-8686"
    jurisdiction.save()
    return jurisdiction


@pytest.fixture
def catalogue(city, department):
    """Two offered services (one with questions), one inactive and one information-only."""
    group = ServiceGroupFactory(jurisdiction=city, name="Streets", translations={"es": {"name": "Calles"}})
    dumping = ServiceFactory(
        jurisdiction=city,
        department=department,
        group=group,
        code="SR-ST02",
        name="Illegal Dumping",
        description="Trash dumped on a street or lot.",
        keywords="trash, mattress,tires",
        order=1,
        translations={"es": {"name": "Vertido ilegal", "description": "Basura tirada en la calle."}},
    )
    ServiceAttributeFactory(
        service=dumping,
        code="where",
        datatype=ServiceAttribute.Datatype.STRING,
        description="Where exactly?",
        datatype_description="One line",
        order=1,
        translations={"es": {"description": "¿Dónde exactamente?"}},
    )
    kind = select_attribute(dumping, "kind", ["tires", "furniture", "trash"], required=True, multi=True)
    kind.order = 2
    kind.description = "What was dumped?"
    kind.save()
    value = kind.values.get(key="tires")
    value.translations = {"es": {"name": "Neumáticos"}}
    value.save()
    ServiceAttributeFactory(
        service=dumping,
        code="notice",
        datatype=ServiceAttribute.Datatype.TEXT,
        description="Do not touch the dumped material.",
        variable=False,
        order=3,
    )
    pothole = ServiceFactory(
        jurisdiction=city,
        department=department,
        group=group,
        code="SR-ST03",
        name="Pothole Repair",
        description="",
        keywords="",
        order=2,
        open311_type=Service.Open311Type.BATCH,
        sla_unit=Service.SlaUnit.NONE,
        sla_value=None,
        service_notice="",
    )
    ServiceFactory(jurisdiction=city, department=department, group=group, code="SR-OLD", is_active=False)
    ServiceFactory(jurisdiction=city, department=department, group=group, code="INFO-1", kind=Service.Kind.INFORMATION)
    return {"dumping": dumping, "pothole": pothole}


@pytest.fixture
def dumping(catalogue):
    return catalogue["dumping"]


@pytest.fixture
def pothole(catalogue):
    return catalogue["pothole"]


# --- discovery ----------------------------------------------------------------------------------


def test_discovery_in_xml(client, city):
    response = get(client, "discovery.xml")
    assert response.status_code == 200
    root = as_xml(response)
    assert root.tag == "discovery"
    assert names(root) == ["changeset", "contact", "key_service", "endpoints"]
    assert dt.datetime.fromisoformat(root.findtext("changeset") or "") <= NOW
    assert "311@phila.gov" in (root.findtext("contact") or "")
    endpoints_ = child_at(root, "endpoints")
    assert names(endpoints_) == ["endpoint", "endpoint"]
    assert [e.findtext("type") for e in endpoints_] == ["production", "test"]
    for item in endpoints_:
        assert names(item) == ["specification", "url", "changeset", "type", "formats"]
        assert item.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
        assert item.findtext("url") == "http://testserver/open311/v2"
        assert item.findtext("changeset") == root.findtext("changeset")
        assert [f.tag for f in child_at(item, "formats")] == ["format", "format"]
        assert [f.text for f in child_at(item, "formats")] == ["text/xml", "application/json"]


def test_discovery_in_json_uses_the_host_called(client, city):
    body = as_json(get(client, "discovery.json", HTTP_HOST="311.phila.gov"))
    assert list(body) == ["changeset", "contact", "key_service", "endpoints"]
    assert body["changeset"][-6:] in ("-05:00", "-04:00")
    assert [e["url"] for e in body["endpoints"]] == ["http://311.phila.gov/open311/v2"] * 2
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]


def test_discovery_needs_no_jurisdiction_id_even_with_several(client, city):
    JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camdennj.gov", is_default=False)
    assert get(client, "discovery.json").status_code == 200
    assert "Camden" in as_json(get(client, "discovery.json", jurisdiction_id="camdennj.gov"))["contact"]
    assert error_of(get(client, "discovery.json", jurisdiction_id="nowhere.gov"), 404)


# --- services -----------------------------------------------------------------------------------


def test_services_in_xml(client, catalogue):
    root = as_xml(get(client, "services.xml"))
    assert root.tag == "services"
    assert names(root) == ["service", "service"]
    first, second = root
    assert names(first) == SERVICE_FIELDS
    assert [first.findtext(name) for name in SERVICE_FIELDS] == [
        "SR-ST02",
        "Illegal Dumping",
        "Trash dumped on a street or lot.",
        "true",
        "realtime",
        "trash,mattress,tires",
        "Streets",
    ]
    assert [second.findtext(name) for name in SERVICE_FIELDS] == [
        "SR-ST03",
        "Pothole Repair",
        "",
        "false",
        "batch",
        "",
        "Streets",
    ]


def test_services_in_json(client, catalogue):
    body = as_json(get(client, "services.json"))
    assert isinstance(body, list)
    assert [list(item) for item in body] == [SERVICE_FIELDS, SERVICE_FIELDS]
    assert body[0] == {
        "service_code": "SR-ST02",
        "service_name": "Illegal Dumping",
        "description": "Trash dumped on a street or lot.",
        "metadata": True,
        "type": "realtime",
        "keywords": "trash,mattress,tires",
        "group": "Streets",
    }
    assert body[1]["metadata"] is False


def test_services_without_an_extension_are_xml(client, catalogue):
    assert as_xml(get(client, "services")).tag == "services"


def test_services_in_spanish(client, catalogue):
    body = as_json(get(client, "services.json", HTTP_ACCEPT_LANGUAGE="es"))
    assert body[0]["service_name"] == "Vertido ilegal"
    assert body[0]["description"] == "Basura tirada en la calle."
    assert body[0]["group"] == "Calles"
    assert body[1]["service_name"] == "Pothole Repair"  # no translation: English


def test_services_at_a_point_in_the_city(client, catalogue):
    body = as_json(get(client, "services.json", lat="39.9526", long="-75.1635"))
    assert [item["service_code"] for item in body] == ["SR-ST02", "SR-ST03"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_at_a_point_outside_the_city_are_refused(client, catalogue, fmt):
    description = error_of(get(client, f"services.{fmt}", lat="40.7128", long="-74.0060"), 400, fmt)
    assert "outside Philadelphia" in description


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "39.95"},
        {"long": "-75.16"},
        {"lat": "north", "long": "-75.16"},
        {"lat": "39.95", "long": "-200"},
        {"lat": "nan", "long": "-75.16"},
    ],
)
def test_services_with_a_bad_point_are_refused(client, catalogue, params):
    assert error_of(get(client, "services.json", **params), 400)


def test_services_sent_empty_point_is_no_point(client, catalogue):
    assert len(as_json(get(client, "services.json", lat="", long=""))) == 2


# --- service definitions ------------------------------------------------------------------------


def test_service_definition_in_xml(client, dumping):
    root = as_xml(get(client, "services/SR-ST02.xml"))
    assert root.tag == "service_definition"
    assert names(root) == ["service_code", "attributes"]
    assert root.findtext("service_code") == "SR-ST02"
    attributes = child_at(root, "attributes")
    assert names(attributes) == ["attribute"] * 3
    where, kind, notice = attributes
    assert names(where) == ATTRIBUTE_FIELDS
    assert [where.findtext(name) for name in ATTRIBUTE_FIELDS[:-1]] == [
        "true",
        "where",
        "string",
        "false",
        "One line",
        "1",
        "Where exactly?",
    ]
    assert names(where.find("values")) == []
    assert [kind.findtext(name) for name in ("code", "datatype", "required", "order")] == [
        "kind",
        "multivaluelist",
        "true",
        "2",
    ]
    values = child_at(kind, "values")
    assert names(values) == ["value"] * 3
    assert names(values[0]) == ["key", "name"]
    assert [(v.findtext("key"), v.findtext("name")) for v in values] == [
        ("tires", "Tires"),
        ("furniture", "Furniture"),
        ("trash", "Trash"),
    ]
    assert notice.findtext("variable") == "false"
    assert notice.findtext("datatype") == "text"


def test_service_definition_in_json(client, dumping):
    body = as_json(get(client, "services/SR-ST02.json"))
    assert list(body) == ["service_code", "attributes"]
    assert [list(item) for item in body["attributes"]] == [ATTRIBUTE_FIELDS] * 3
    assert body["attributes"][0] == {
        "variable": True,
        "code": "where",
        "datatype": "string",
        "required": False,
        "datatype_description": "One line",
        "order": 1,
        "description": "Where exactly?",
        "values": [],
    }
    assert body["attributes"][1]["values"][0] == {"key": "tires", "name": "Tires"}
    assert body["attributes"][2]["variable"] is False


def test_service_definition_in_spanish(client, dumping):
    body = as_json(get(client, "services/SR-ST02.json", HTTP_ACCEPT_LANGUAGE="es-US,es;q=0.9"))
    assert body["attributes"][0]["description"] == "¿Dónde exactamente?"
    assert body["attributes"][1]["values"][0]["name"] == "Neumáticos"
    assert body["attributes"][1]["values"][1]["name"] == "Furniture"


def test_a_service_without_questions_has_an_empty_list(client, pothole):
    assert as_json(get(client, "services/SR-ST03.json")) == {"service_code": "SR-ST03", "attributes": []}
    root = as_xml(get(client, "services/SR-ST03.xml"))
    assert names(root) == ["service_code", "attributes"] and names(root.find("attributes")) == []


@pytest.mark.parametrize("code", ["SR-NOPE", "SR-OLD", "INFO-1", "sr-st02", "x" * 300])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_inactive_or_information_services_have_no_definition(client, catalogue, code, fmt):
    assert "no service" in error_of(get(client, f"services/{code}.{fmt}"), 404, fmt)


# --- one request, field by field ----------------------------------------------------------------


@pytest.fixture
def filed(dumping, center_city):
    return file(dumping, answers={"where": "By the fence", "kind": ["tires", "trash"]})


def test_a_request_in_json(client, filed):
    body = as_json(get(client, "requests.json"))
    assert isinstance(body, list) and len(body) == 1
    item = body[0]
    assert list(item) == REQUEST_FIELDS
    assert item == {
        "service_request_id": filed.tracking_number,
        "status": "open",
        "status_notes": "",
        "service_name": "Illegal Dumping",
        "service_code": "SR-ST02",
        "description": "Mattresses on the sidewalk.",
        "agency_responsible": "Streets Department",
        "service_notice": "5 Business Days",
        "requested_datetime": "2026-01-12T10:00:00-05:00",
        "updated_datetime": "2026-01-12T10:00:00-05:00",
        "expected_datetime": "2026-01-19T17:00:00-05:00",
        "address": "1400 John F Kennedy Blvd",
        "address_id": "",
        "zipcode": "19107",
        "lat": 39.9526,
        "long": -75.1635,
        "media_url": None,
    }
    assert isinstance(item["service_request_id"], str)


def test_a_request_in_xml(client, filed):
    root = as_xml(get(client, "requests.xml"))
    assert root.tag == "service_requests"
    assert names(root) == ["request"]
    item = root[0]
    assert names(item) == REQUEST_FIELDS
    assert item.findtext("service_request_id") == filed.tracking_number
    assert item.findtext("requested_datetime") == "2026-01-12T10:00:00-05:00"
    assert item.findtext("lat") == "39.9526" and item.findtext("long") == "-75.1635"
    assert item.findtext("address_id") == "" and item.findtext("media_url") == ""


def test_a_request_without_a_point_or_sla_has_nulls(client, pothole):
    file(pothole, lat=None)
    item = as_json(get(client, "requests.json"))[0]
    assert item["lat"] is None and item["long"] is None and item["expected_datetime"] is None
    assert item["service_notice"] == ""
    element = as_xml(get(client, "requests.xml"))[0]
    assert names(element) == REQUEST_FIELDS
    assert child_at(element, "lat").text is None and child_at(element, "expected_datetime").text is None


def test_summer_timestamps_carry_the_summer_offset(client, dumping):
    summer = dt.datetime(2025, 7, 15, 13, 30, 15, 250_000, tzinfo=UTC)
    file(dumping, at=summer)
    item = as_json(get(client, "requests.json", start_date="2025-07-01", end_date="2025-07-31"))[0]
    assert item["requested_datetime"] == "2025-07-15T09:30:15-04:00"


def test_a_closed_request_has_its_reason_as_status_notes(client, filed, staff):
    requests.change_status(
        filed,
        "closed",
        actor=staff,
        public_reason="Repair Completed",
        internal_note="Crew 7, overtime.",
        now=FILED_AT + dt.timedelta(days=2),
    )
    item = as_json(get(client, "requests.json"))[0]
    assert item["status"] == "closed"
    assert item["status_notes"] == "Repair Completed"
    assert item["updated_datetime"] == "2026-01-14T10:00:00-05:00"
    assert "Crew 7" not in get(client, "requests.json", extensions="true").content.decode()


@pytest.mark.parametrize("status", ["in_progress", "on_hold", "acknowledged"])
def test_every_open_state_is_open(client, filed, staff, status):
    requests.change_status(filed, status, actor=staff, now=FILED_AT + dt.timedelta(hours=1))
    assert as_json(get(client, "requests.json"))[0]["status"] == "open"


def test_media_url_is_the_clients_link_first(client, dumping):
    file(dumping, media_url="https://cdn.example.org/p/1.jpg", photos=[jpeg()])
    item = as_json(get(client, "requests.json", extensions="true"))[0]
    assert item["media_url"] == "https://cdn.example.org/p/1.jpg"
    assert item["extended_attributes"]["photos"][0] == "https://cdn.example.org/p/1.jpg"
    assert item["extended_attributes"]["photos"][1].startswith("http://testserver/media/photos/")


def test_media_url_is_the_first_public_photo_otherwise(client, dumping):
    service_request = file(dumping, photos=[jpeg(), jpeg()])
    hidden, shown = Photo.objects.filter(service_request=service_request).order_by("pk")
    Photo.objects.filter(pk=hidden.pk).update(is_public=False)
    item = as_json(get(client, "requests.json", extensions="true", HTTP_HOST="311.phila.gov"))[0]
    assert item["media_url"] == f"http://311.phila.gov{shown.image.url}"
    assert item["extended_attributes"]["photos"] == [item["media_url"]]
    assert hidden.image.url not in json.dumps(item)


# --- extensions ---------------------------------------------------------------------------------


def test_extensions_in_json(client, filed, staff, center_city):
    later = FILED_AT + dt.timedelta(hours=2)
    requests.add_note(filed, "Crew scheduled for Thursday.", actor=staff, public=True, now=later)
    requests.add_note(filed, "Caller is the councilmember's aide.", actor=staff, public=False, now=later)
    requests.change_status(filed, "in_progress", actor=staff, now=later + dt.timedelta(hours=1))
    requests.change_status(
        filed, "closed", actor=staff, public_reason="Repair Completed", now=later + dt.timedelta(days=1)
    )
    requests.change_status(
        filed, "reopened", actor=staff, public_reason="Still there.", now=later + dt.timedelta(days=2)
    )
    follow_on = file(filed.service, at=later + dt.timedelta(days=3), description="Follow-on pick-up.")
    ServiceRequest.objects.filter(pk=follow_on.pk).update(parent=filed)
    secret_child = file(filed.service, at=later + dt.timedelta(days=3), is_private=True)
    ServiceRequest.objects.filter(pk=secret_child.pk).update(parent=filed)

    body = as_json(get(client, "requests.json", extensions="true", service_request_id=filed.tracking_number))
    item = body[0]
    assert list(item) == [*REQUEST_FIELDS, "extended_attributes", "attributes", "notes"]
    assert item["extended_attributes"] == {
        "channel": "web",
        "detailed_status": "reopened",
        "parent_service_request_id": "",
        "duplicate_of": "",
        "neighborhood": "Center City",
        "photos": [],
    }
    assert item["attributes"] == [
        {"code": "where", "name": "Where exactly?", "value": "By the fence"},
        {"code": "kind", "name": "What was dumped?", "value": "tires"},
        {"code": "kind", "name": "What was dumped?", "value": "trash"},
    ]
    assert [(note["type"], note["description"]) for note in item["notes"]] == [
        ("opened", ""),
        ("activity", "Crew scheduled for Thursday."),
        ("activity", ""),
        ("closed", "Repair Completed"),
        ("reopened", "Still there."),
        ("follow_on_created", "Illegal Dumping"),
    ]
    assert all(list(note) == ["datetime", "type", "summary", "description"] for note in item["notes"])
    assert item["notes"][0]["datetime"] == "2026-01-12T10:00:00-05:00"
    assert follow_on.tracking_number in item["notes"][-1]["summary"]
    assert secret_child.tracking_number not in json.dumps(body)
    assert "aide" not in json.dumps(body)

    child = as_json(get(client, f"requests/{follow_on.tracking_number}.json", extensions="true"))[0]
    assert child["extended_attributes"]["parent_service_request_id"] == filed.tracking_number


def test_extensions_in_xml(client, filed, staff):
    file(filed.service, photos=[jpeg()])
    root = as_xml(get(client, "requests.xml", extensions="true"))
    first, second = root
    assert names(first) == [*REQUEST_FIELDS, "extended_attributes", "attributes", "notes"]
    assert names(first.find("extended_attributes")) == EXTENDED_FIELDS
    assert names(first.find("extended_attributes/photos")) == []
    assert names(second.find("extended_attributes/photos")) == ["photo"]
    assert names(first.find("attributes")) == ["attribute"] * 3
    assert names(first.find("attributes/attribute")) == ["code", "name", "value"]
    assert names(first.find("notes")) == ["note"]
    assert names(first.find("notes/note")) == ["datetime", "type", "summary", "description"]
    assert first.findtext("notes/note/type") == "opened"


def test_extensions_in_spanish(client, filed):
    item = as_json(get(client, "requests.json", extensions="1", HTTP_ACCEPT_LANGUAGE="es"))[0]
    assert item["service_name"] == "Vertido ilegal"
    assert item["attributes"][0]["name"] == "¿Dónde exactamente?"


def test_a_duplicate_names_its_original_unless_the_original_is_private(client, dumping, staff):
    original = file(dumping)
    duplicate = file(dumping, at=FILED_AT + dt.timedelta(hours=1))
    requests.change_status(
        duplicate, "duplicate", actor=staff, duplicate_of=original, now=FILED_AT + dt.timedelta(hours=2)
    )
    item = as_json(get(client, f"requests/{duplicate.tracking_number}.json", extensions="true"))[0]
    assert item["status"] == "closed"
    assert item["extended_attributes"]["duplicate_of"] == original.tracking_number
    assert item["extended_attributes"]["detailed_status"] == "duplicate"
    ServiceRequest.objects.filter(pk=original.pk).update(is_private=True)
    item = as_json(get(client, f"requests/{duplicate.tracking_number}.json", extensions="true"))[0]
    assert item["extended_attributes"]["duplicate_of"] == ""


def test_without_extensions_there_are_none(client, filed):
    assert list(as_json(get(client, "requests.json", extensions="false"))[0]) == REQUEST_FIELDS
    assert error_of(get(client, "requests.json", extensions="maybe"), 400) == "extensions must be true or false."


# --- one request by id --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_one_request_is_a_list_of_one(client, filed, fmt):
    response = get(client, f"requests/{filed.tracking_number}.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = as_json(response)
        assert len(body) == 1 and list(body[0]) == REQUEST_FIELDS
        assert body[0]["service_request_id"] == filed.tracking_number
    else:
        root = as_xml(response)
        assert root.tag == "service_requests" and names(root) == ["request"]
        assert names(root[0]) == REQUEST_FIELDS


def test_one_request_ignores_the_date_window(client, dumping):
    old = file(dumping, at=NOW - dt.timedelta(days=400))
    assert ids(get(client, f"requests/{old.tracking_number}.json")) == [old.tracking_number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_or_private_request_is_not_found(client, dumping, fmt):
    secret = file(dumping, is_private=True)
    for number in ("99999999", secret.tracking_number, "x" * 40, "%00"):
        assert "no service request" in error_of(get(client, f"requests/{number}.{fmt}"), 404, fmt)


# --- privacy ------------------------------------------------------------------------------------


def test_private_requests_and_requester_details_never_appear(client, dumping, staff):
    public = file(dumping, first_name="Pat", last_name="Resident", email="pat@example.org", phone="215-555-0100")
    secret = file(dumping, is_private=True, description="Domestic matter at this address.")
    requests.add_note(public, "Requester called twice.", actor=staff, public=False)
    for params in (
        {},
        {"service_request_id": f"{public.tracking_number},{secret.tracking_number}"},
        {"extensions": "true"},
        {"status": "open"},
    ):
        for fmt in ("json", "xml"):
            content = get(client, f"requests.{fmt}", **params).content.decode()
            assert public.tracking_number in content
            for leak in (
                secret.tracking_number,
                "Domestic",
                "Pat",
                "pat@example.org",
                "555-0100",
                "Requester called",
                "dana",
                "Resident",
            ):
                assert leak not in content
    response = get(client, "requests.json")
    assert response["X-Total-Count"] == "1"


# --- filters ------------------------------------------------------------------------------------


def test_service_request_id_overrides_every_other_filter(client, dumping, pothole):
    a = file(dumping, at=NOW - dt.timedelta(days=300))
    b = file(pothole)
    c = file(pothole)
    found = ids(
        get(
            client,
            "requests.json",
            service_request_id=f"{a.tracking_number}, #{b.tracking_number},nope",
            service_code="SR-NONE",
            status="closed",
            start_date="2020-01-01T00:00:00Z",
            bbox="0,0,1,1",
        )
    )
    assert found == [a.tracking_number, b.tracking_number]
    assert c.tracking_number not in found


def test_service_code_filter(client, dumping, pothole):
    a, b = file(dumping), file(pothole)
    assert ids(get(client, "requests.json", service_code="SR-ST02")) == [a.tracking_number]
    assert ids(get(client, "requests.json", service_code="SR-ST02,SR-ST03")) == [a.tracking_number, b.tracking_number]
    assert ids(get(client, "requests.json", service_code="SR-NONE")) == []


def test_status_filter(client, dumping, staff):
    open_, closed = file(dumping), file(dumping)
    requests.change_status(closed, "cancelled", actor=staff, public_reason="Withdrawn.")
    assert ids(get(client, "requests.json", status="open")) == [open_.tracking_number]
    assert ids(get(client, "requests.json", status="closed")) == [closed.tracking_number]
    assert len(ids(get(client, "requests.json", status="open,closed"))) == 2
    assert len(ids(get(client, "requests.json", status="OPEN,Closed"))) == 2


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_status_is_refused(client, dumping, fmt):
    assert "in_progress" in error_of(get(client, f"requests.{fmt}", status="open,in_progress"), 400, fmt)


def test_the_default_window_is_the_last_90_days(client, dumping):
    too_old = file(dumping, at=NOW - dt.timedelta(days=90, seconds=1))
    oldest = file(dumping, at=NOW - dt.timedelta(days=90))
    newest = file(dumping, at=NOW)
    assert ids(get(client, "requests.json")) == [oldest.tracking_number, newest.tracking_number]
    assert too_old.tracking_number not in ids(get(client, "requests.json", start_date="", end_date=""))


def test_start_and_end_date_are_inclusive(client, dumping):
    stamps = [
        dt.datetime(2025, 2, 1, 5, 0, tzinfo=UTC),
        dt.datetime(2025, 2, 10, 12, 0, 0, 500_000, tzinfo=UTC),
        dt.datetime(2025, 2, 11, 4, 59, 59, tzinfo=UTC),
        dt.datetime(2025, 2, 11, 5, 0, tzinfo=UTC),
    ]
    made = [file(dumping, at=stamp).tracking_number for stamp in stamps]
    # Dates alone are days in the city's zone (EST, -05:00): 2025-02-01 starts at 05:00Z.
    assert ids(get(client, "requests.json", start_date="2025-02-01", end_date="2025-02-10")) == made[:3]
    # A timestamp to the second includes the whole second (we print seconds).
    assert ids(get(client, "requests.json", start_date="2025-02-10T12:00:00Z", end_date="2025-02-10T12:00:00Z")) == [
        made[1]
    ]
    # Fractional seconds, Z, and offsets, however written.
    assert ids(get(client, "requests.json", start_date="2025-02-10T12:00:00.6Z", end_date="2025-02-11T00:00:00Z")) == []
    assert (
        ids(
            get(
                client,
                "requests.json",
                start_date="2025-02-10T07:00:00.4-05:00",
                end_date="2025-02-10T23:59:59.999999-05:00",
            )
        )
        == made[1:3]
    )
    # An unencoded "+" arrives as a space; it is understood.
    response = client.get(f"{BASE}/requests.json?start_date=2025-02-10T17:00:00+05:00&end_date=2025-02-10")
    assert ids(response) == made[1:3]
    # In summer a day starts at 04:00Z.
    summer = file(dumping, at=dt.datetime(2025, 7, 1, 4, 0, tzinfo=UTC)).tracking_number
    file(dumping, at=dt.datetime(2025, 7, 1, 3, 59, 59, tzinfo=UTC))
    assert ids(get(client, "requests.json", start_date="2025-07-01", end_date="2025-07-01")) == [summer]
    # A timestamp without a zone is in the city's zone.
    assert ids(get(client, "requests.json", start_date="2025-02-10T23:59:59", end_date="2025-02-11T00:00:00")) == [
        made[2],
        made[3],
    ]


def test_only_a_start_date_means_90_days_from_it(client, dumping):
    inside = file(dumping, at=dt.datetime(2025, 5, 29, 23, 59, 59, tzinfo=UTC))
    file(dumping, at=dt.datetime(2025, 5, 30, 0, 0, 0, tzinfo=UTC))
    assert ids(get(client, "requests.json", start_date="2025-03-01T00:00:00Z")) == [inside.tracking_number]


def test_only_an_end_date_means_90_days_before_it(client, dumping):
    file(dumping, at=dt.datetime(2025, 3, 1, 12, tzinfo=UTC))
    inside = file(dumping, at=dt.datetime(2025, 3, 20, 12, tzinfo=UTC))
    assert ids(get(client, "requests.json", end_date="2025-06-01T00:00:00Z")) == [inside.tracking_number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_window_wider_than_90_days_is_refused(client, dumping, fmt):
    assert get(client, f"requests.{fmt}", start_date="2025-01-01", end_date="2025-03-31").status_code == 200
    assert get(client, f"requests.{fmt}", start_date="2025-03-01", end_date="2025-05-29").status_code == 200
    description = error_of(get(client, f"requests.{fmt}", start_date="2025-01-01", end_date="2025-04-01"), 400, fmt)
    assert "90 days" in description
    assert error_of(
        get(client, f"requests.{fmt}", start_date="2025-01-01T00:00:00Z", end_date="2025-04-01T00:00:01Z"), 400, fmt
    )


def test_an_end_before_the_start_is_refused(client, dumping):
    assert "after start_date" in error_of(
        get(client, "requests.json", start_date="2025-03-02", end_date="2025-03-01"), 400
    )


@pytest.mark.parametrize("name", ["start_date", "end_date", "updated_after", "updated_before"])
@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2025-13-01",
        "2025-02-30T00:00:00Z",
        "2025-01-01T25:00:00Z",
        "1737400000",
        "0001-01-01T00:00:00+05:00",
        "2025-01-01T00:00:00+25:00",
        "9" * 60,
    ],
)
def test_a_malformed_date_is_refused_naming_the_parameter(client, dumping, name, value):
    description = error_of(get(client, "requests.json", **{name: value}), 400)
    assert description.startswith(f"{name} must be a W3C date")


def test_extreme_dates_are_refused_not_crashed(client, dumping):
    assert error_of(get(client, "requests.json", end_date="0001-01-01T00:00:00Z"), 400)
    assert error_of(get(client, "requests.json", start_date="9999-12-31T00:00:00Z"), 400)


def test_updated_filters_replace_the_default_window(client, dumping, staff):
    old = file(dumping, at=NOW - dt.timedelta(days=400))
    recent = file(dumping, at=NOW - dt.timedelta(days=2))
    requests.add_note(old, "Still working on it.", actor=staff, public=True, now=NOW - dt.timedelta(days=1))
    since = (NOW - dt.timedelta(days=1)).isoformat()
    assert ids(get(client, "requests.json", updated_after=since)) == [old.tracking_number]
    assert ids(get(client, "requests.json", updated_after="2000-01-01T00:00:00Z")) == [
        recent.tracking_number,
        old.tracking_number,
    ]  # by last change
    assert ids(get(client, "requests.json", updated_before=(NOW - dt.timedelta(days=2)).isoformat())) == [
        recent.tracking_number
    ]
    # Without updated_*, the old request is outside the default window whatever it was updated.
    assert ids(get(client, "requests.json")) == [recent.tracking_number]
    # With start_date too, both apply.
    assert ids(
        get(
            client,
            "requests.json",
            updated_after="2000-01-01T00:00:00Z",
            start_date=(NOW - dt.timedelta(days=3)).isoformat(),
        )
    ) == [recent.tracking_number]
    assert error_of(get(client, "requests.json", updated_after=since, updated_before="2000-01-01"), 400)


def test_with_updated_filters_the_order_is_by_last_change(client, dumping, staff):
    first, second, third = (file(dumping, at=FILED_AT + dt.timedelta(hours=n)) for n in range(3))
    requests.add_note(first, "Crew scheduled.", actor=staff, public=True, now=FILED_AT + dt.timedelta(days=2))
    requests.add_note(third, "Inspected.", actor=staff, public=True, now=FILED_AT + dt.timedelta(days=1))
    by_change = [second.tracking_number, third.tracking_number, first.tracking_number]
    assert ids(get(client, "requests.json", updated_after="2026-01-01")) == by_change
    assert ids(get(client, "requests.json", updated_before="2026-02-01")) == by_change
    # Otherwise the order is by filing, also with service_request_id (which overrides updated_*).
    by_filing = [first.tracking_number, second.tracking_number, third.tracking_number]
    assert ids(get(client, "requests.json")) == by_filing
    assert (
        ids(get(client, "requests.json", updated_after="2026-01-01", service_request_id=",".join(reversed(by_filing))))
        == by_filing
    )


def test_unknown_parameters_are_ignored(client, filed):
    assert ids(get(client, "requests.json", color="blue", api_key="whatever")) == [filed.tracking_number]


# --- pagination ---------------------------------------------------------------------------------


def test_pages_to_the_last_one_neither_repeat_nor_skip(client, dumping):
    same_moment = FILED_AT
    made = [
        file(dumping, at=same_moment if n % 2 else FILED_AT + dt.timedelta(minutes=n)).tracking_number for n in range(7)
    ]
    expected = sorted(
        made,
        key=lambda number: (
            ServiceRequest.objects.get(tracking_number=number).requested_at,
            ServiceRequest.objects.get(tracking_number=number).pk,
        ),
    )
    seen: list[str] = []
    url: str | None = f"{BASE}/requests.json?page_size=3&service_code=SR-ST02"
    pages = 0
    while url:
        response = client.get(url)
        pages += 1
        assert response["X-Total-Count"] == "7"
        assert response["X-Page-Size"] == "3"
        assert response["X-Total-Pages"] == "3"
        assert response["X-Page"] == str(pages)
        seen.extend(ids(response))
        links = dict(_links(response["Link"]))
        assert set(links) >= {"first", "last"}
        assert ("prev" in links) == (pages > 1)
        url = links.get("next")
        if url:
            assert parse_qs(urlsplit(url).query)["service_code"] == ["SR-ST02"]
    assert pages == 3
    assert seen == expected


def test_next_links_carry_a_cursor_so_a_request_filed_meanwhile_repeats_nothing(client, dumping):
    made = [file(dumping, at=FILED_AT + dt.timedelta(minutes=n)).tracking_number for n in range(6)]
    first = client.get(f"{BASE}/requests.json?page_size=3&service_code=SR-ST02")
    assert ids(first) == made[:3]
    next_url = dict(_links(first["Link"]))["next"]
    assert parse_qs(urlsplit(next_url).query)["cursor"] and parse_qs(urlsplit(next_url).query)["page"] == ["2"]
    # Filed between the two calls but dated earlier: page 2 by number would now repeat made[2].
    file(dumping, at=FILED_AT - dt.timedelta(minutes=5))
    cache.clear()  # dated days back (as only an import files): the cached count of the past shows it when it expires
    second = client.get(next_url)
    assert ids(second) == made[3:]
    assert second["X-Total-Count"] == "7" and second["X-Page"] == "2"
    assert ids(get(client, "requests.json", page_size="3", page="2", service_code="SR-ST02")) == made[2:5]


def test_the_cursor_follows_the_harvesting_order(client, dumping, staff):
    made = [file(dumping, at=FILED_AT + dt.timedelta(minutes=n)) for n in range(4)]
    # Changed in the reverse order they were filed: harvesting lists them by last change.
    for n, item in enumerate(reversed(made)):
        requests.add_note(
            item, "Crew on the way.", actor=staff, public=True, now=FILED_AT + dt.timedelta(hours=1, minutes=n)
        )
    url: str | None = f"{BASE}/requests.json?page_size=2&updated_after=2026-01-12T00:00:00Z"
    seen = []
    while url:
        response = client.get(url)
        seen.extend(ids(response))
        url = dict(_links(response["Link"])).get("next")
    assert seen == [item.tracking_number for item in reversed(made)]


@pytest.mark.parametrize("cursor", ["abc", "1.2.3", "12345", ".5", "9" * 50, "-99999999999999999999.1"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_cursor_this_server_did_not_give_is_refused(client, dumping, cursor, fmt):
    file(dumping)
    assert error_of(get(client, f"requests.{fmt}", cursor=cursor), 400, fmt).startswith("cursor")


def _links(header: str):
    for part in header.split(", "):
        target, rel = part.split("; ")
        yield rel.removeprefix('rel="').removesuffix('"'), target.strip("<>")


def test_a_page_past_the_end_is_empty(client, filed):
    response = get(client, "requests.xml", page="5", page_size="10")
    assert response.status_code == 200
    assert names(as_xml(response)) == []
    assert response["X-Total-Count"] == "1" and response["X-Page"] == "5" and response["X-Total-Pages"] == "1"
    assert 'rel="next"' not in response["Link"]
    assert "X-Total-Count" in response["Access-Control-Expose-Headers"]


def test_the_default_page_size_is_1000(client, filed):
    response = get(client, "requests.json")
    assert response["X-Page-Size"] == "1000" and response["X-Page"] == "1"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page", "0"),
        ("page", "-1"),
        ("page", "two"),
        ("page", "1.5"),
        ("page_size", "0"),
        ("page_size", "1001"),
        ("page_size", "abc"),
        ("page", "99999999999999999999"),
        ("page", "٣"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_page_values_are_refused(client, dumping, name, value, fmt):
    assert error_of(get(client, f"requests.{fmt}", **{name: value}), 400, fmt).startswith(name)


# --- places -------------------------------------------------------------------------------------


def test_bbox_includes_its_edges(client, dumping):
    on_edge = file(dumping, lat=39.95, long=-75.17)
    inside = file(dumping, lat=39.945, long=-75.165)
    file(dumping, lat=39.9500001, long=-75.165)  # just north
    file(dumping, lat=39.945, long=-75.1700001)  # just west
    file(dumping, lat=None)  # no point: never in a box
    assert ids(get(client, "requests.json", bbox="-75.17,39.94,-75.16,39.95")) == [
        on_edge.tracking_number,
        inside.tracking_number,
    ]


@pytest.mark.parametrize(
    "bbox",
    [
        "1,2,3",
        "a,b,c,d",
        "-75.16,39.94,-75.17,39.95",
        "-75.17,39.96,-75.16,39.95",
        "-75.17,91,-75.16,92",
        "-75.17,39.94,-75.16,39.95,1",
        "nan,0,1,1",
    ],
)
def test_bad_bboxes_are_refused(client, dumping, bbox):
    assert error_of(get(client, "requests.json", bbox=bbox), 400).startswith("bbox")


def test_radius_is_exact_at_its_edge(client, dumping):
    lat, long = CITY_HALL
    made = {}
    for name, (plat, plong) in {
        "centre": (lat, long),
        "north_999": north_of(lat, long, 999.5),
        "north_1001": north_of(lat, long, 1000.5),
        "east_999": east_of(lat, long, 999.5),
        "east_1001": east_of(lat, long, 1000.5),
        # Inside the square around the circle but outside the circle.
        "corner": east_of(*north_of(lat, long, 800), 800),
    }.items():
        made[name] = file(dumping, lat=plat, long=plong).tracking_number
    found = set(ids(get(client, "requests.json", lat=repr(lat), long=repr(long), radius="1000")))
    assert found == {made["centre"], made["north_999"], made["east_999"]}
    found = set(ids(get(client, "requests.json", lat=repr(lat), long=repr(long), radius="1200")))
    assert found == {
        made["centre"],
        made["north_999"],
        made["east_999"],
        made["north_1001"],
        made["east_1001"],
        made["corner"],
    }
    assert ids(get(client, "requests.json", lat=repr(lat), long=repr(long), radius="0")) == [made["centre"]]


def test_radius_and_bbox_combine(client, dumping):
    lat, long = CITY_HALL
    north = file(dumping, lat=north_of(lat, long, 500)[0], long=long)
    file(dumping, lat=lat - 0.004, long=long)
    box = f"{long - 0.01},{lat},{long + 0.01},{lat + 0.01}"
    assert ids(get(client, "requests.json", lat=lat, long=long, radius=1000, bbox=box)) == [north.tracking_number]


def test_a_circle_across_the_antimeridian_finds_both_sides(db):
    world = JurisdictionFactory(
        slug="fiji",
        name="Fiji",
        jurisdiction_id="fiji.example",
        is_default=False,
        time_zone="Pacific/Fiji",
        min_lat=-90,
        max_lat=90,
        min_long=-180,
        max_long=180,
    )
    service = ServiceFactory(jurisdiction=world, code="FJ-1")
    west = file(service, lat=0.0, long=179.9995)
    east = file(service, lat=0.0, long=-179.9995)  # 111 m from west, across the line
    far = file(service, lat=0.0, long=-179.99)
    wanted = selectors.RequestFilter(circle=selectors.Circle(0.0, 179.9995, 200))
    found = set(selectors.filtered_requests(world, wanted).values_list("tracking_number", flat=True))
    assert found == {west.tracking_number, east.tracking_number}
    assert far.tracking_number not in found


@pytest.mark.parametrize(
    "params",
    [
        {"radius": "100"},
        {"lat": "39.95", "long": "-75.16"},
        {"lat": "39.95", "long": "-75.16", "radius": "-1"},
        {"lat": "39.95", "long": "-75.16", "radius": "100001"},
        {"lat": "39.95", "long": "-75.16", "radius": "inf"},
        {"lat": "39.95", "radius": "5"},
    ],
)
def test_bad_circles_are_refused(client, dumping, params):
    assert error_of(get(client, "requests.json", **params), 400)


# --- several jurisdictions ----------------------------------------------------------------------


@pytest.fixture
def camden(db):
    county = JurisdictionFactory(
        slug="camden",
        name="Camden",
        jurisdiction_id="camdennj.gov",
        is_default=False,
        min_lat=39.85,
        max_lat=39.98,
        min_long=-75.14,
        max_long=-74.95,
    )
    department = DepartmentFactory(jurisdiction=county, name="Camden Public Works")
    service = ServiceFactory(jurisdiction=county, department=department, code="CAM-1", name="Abandoned Car")
    return county, service


def test_with_several_jurisdictions_the_id_is_required_only_without_a_default(client, dumping, camden):
    # Philadelphia is the one marked default: its clients need not send jurisdiction_id (issue 14).
    assert "SR-ST02" in [s["service_code"] for s in as_json(get(client, "services.json"))]
    Jurisdiction.objects.update(is_default=False)
    forget_cached_geography()
    for path in ("services.json", "services/SR-ST02.json", "requests.json", "requests/1.json"):
        assert "jurisdiction_id" in error_of(get(client, path), 400)
    assert "nowhere.gov" in error_of(get(client, "services.json", jurisdiction_id="nowhere.gov"), 404)
    assert error_of(get(client, "requests.xml", jurisdiction_id="nowhere.gov"), 404, "xml")


def test_each_jurisdiction_sees_only_its_own(client, dumping, camden):
    _county, car = camden
    ours = file(dumping)
    theirs = file(car, lat=39.94, long=-75.12)
    assert ours.tracking_number == theirs.tracking_number  # numbered per jurisdiction
    assert [s["service_code"] for s in as_json(get(client, "services.json", jurisdiction_id="camdennj.gov"))] == [
        "CAM-1"
    ]
    assert [s["service_code"] for s in as_json(get(client, "services.json", jurisdiction_id="PHILA.gov"))] == [
        "SR-ST02",
        "SR-ST03",
    ]
    assert error_of(get(client, "services/SR-ST02.json", jurisdiction_id="camdennj.gov"), 404)
    body = as_json(get(client, "requests.json", jurisdiction_id="camdennj.gov"))
    assert [(r["service_code"], r["agency_responsible"]) for r in body] == [("CAM-1", "Camden Public Works")]
    detail = as_json(get(client, f"requests/{ours.tracking_number}.json", jurisdiction_id="phila.gov"))
    assert detail[0]["service_code"] == "SR-ST02"
    # Camden's bounds: a point in Philadelphia's west is outside Camden.
    assert error_of(get(client, "services.json", jurisdiction_id="camdennj.gov", lat="39.95", long="-75.2"), 400)


# --- queries ------------------------------------------------------------------------------------


def _queries(client, path: str, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = get(client, path, **params)
    assert response.status_code == 200
    return len(captured)


def test_a_page_costs_the_same_queries_at_any_size(client, dumping, center_city, staff, django_assert_max_num_queries):
    def make(count: int) -> None:
        for n in range(count):
            made = file(
                dumping,
                photos=[jpeg()] if n % 2 else [],
                answers={"kind": ["tires"]},
                at=FILED_AT + dt.timedelta(minutes=n),
            )
            requests.add_note(made, "On the list.", actor=staff, public=True, now=FILED_AT + dt.timedelta(hours=5))
            if n % 3 == 0:
                requests.change_status(
                    made, "duplicate", actor=staff, duplicate_of=first, now=FILED_AT + dt.timedelta(hours=6)
                )

    first = file(dumping)
    make(2)
    get(client, "requests.json")  # the first call fills the per-process caches (the jurisdiction's)
    small = _queries(client, "requests.json", extensions="true")
    small_plain = _queries(client, "requests.xml")
    make(15)
    assert _queries(client, "requests.json", extensions="true") == small
    assert _queries(client, "requests.xml") == small_plain
    with django_assert_max_num_queries(10):
        get(
            client,
            "requests.json",
            extensions="true",
            bbox="-76,39,-74,41",
            lat="39.9526",
            long="-75.1635",
            radius="5000",
            status="open,closed",
            service_code="SR-ST02",
        )
    with django_assert_max_num_queries(8):
        get(client, "services.json")


# --- what the foundation answers ----------------------------------------------------------------


def test_an_unknown_extension_is_a_400_in_xml(client, catalogue):
    for path in ("services.yaml", "requests.csv", "discovery.html"):
        response = get(client, path)
        assert "format" in error_of(response, 400, "xml")


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("nothing.json", "json"),
        ("v2/nothing.json", "json"),
        ("v2/nothing.xml", "xml"),
        ("v2/requests/1/extra.json", "json"),
        ("v3/services.json", "json"),
        ("v2/services/a/b", "xml"),
    ],
)
def test_unknown_paths_are_a_404_in_the_format_asked(client, catalogue, path, fmt):
    assert error_of(client.get(f"/open311/{path}"), 404, fmt)


def test_other_methods_are_a_400_with_allow(client, catalogue):
    response = client.post(f"{BASE}/services.json")
    assert error_of(response, 400)
    assert response["Allow"] == "GET"
    assert client.delete(f"{BASE}/requests.json")["Allow"] == "GET, POST"


def test_a_nul_in_a_parameter_is_a_400(client, catalogue):
    assert error_of(get(client, "requests.json", service_code="SR\x00"), 400)
    assert error_of(get(client, "requests.json", start_date="2025-01-01\x00"), 400)


def test_cors_is_open_for_reads(client, catalogue):
    assert get(client, "services.json")["Access-Control-Allow-Origin"] == "*"


# --- the date parser the POST side shares -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:13:37-05:00", dt.datetime(2024, 1, 1, 5, 13, 37, tzinfo=UTC)),
        ("2024-01-01T05:13:37Z", dt.datetime(2024, 1, 1, 5, 13, 37, tzinfo=UTC)),
        ("2024-01-01T05:13:37.25z", dt.datetime(2024, 1, 1, 5, 13, 37, 250_000, tzinfo=UTC)),
        ("2024-07-01T10:00:00", dt.datetime(2024, 7, 1, 14, 0, tzinfo=UTC)),
        ("2024-07-01", dt.datetime(2024, 7, 1, 4, 0, tzinfo=UTC)),
        ("2024-07-01T10:00:00 02:00", dt.datetime(2024, 7, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text, expected, jurisdiction):
    assert endpoints.parse_timestamp(text, jurisdiction.zone) == expected


def test_parse_timestamp_as_an_end(jurisdiction):
    zone = jurisdiction.zone
    assert endpoints.parse_timestamp("2024-03-10", zone, end=True) == dt.datetime(2024, 3, 11, 4, tzinfo=UTC)
    assert endpoints.parse_timestamp("2024-03-10T10:00Z", zone, end=True) == dt.datetime(2024, 3, 10, 10, 1, tzinfo=UTC)
    assert endpoints.parse_timestamp("2024-03-10T10:00:00.5Z", zone, end=True) == dt.datetime(
        2024, 3, 10, 10, 0, 0, 500_001, tzinfo=UTC
    )


def test_staff_are_never_named(client, filed):
    StaffFactory(username="kim", first_name="Kim", last_name="Nguyen")
    lee = with_role(
        StaffFactory(username="lee", first_name="Lee", last_name="Okafor"), StaffRole.DEPARTMENT_STAFF, filed.department
    )
    requests.change_status(filed, "acknowledged", actor=lee)
    content = get(client, "requests.xml", extensions="true").content.decode()
    assert "Okafor" not in content and "lee" not in content


def test_attribute_values_with_translations_do_not_change_the_posted_key(client, dumping):
    AttributeValueFactory(attribute=dumping.attributes.get(code="kind"), key="other", name="Other")
    file(dumping, answers={"kind": ["other"]})
    item = as_json(get(client, "requests.json", extensions="true", HTTP_ACCEPT_LANGUAGE="es"))[0]
    assert item["attributes"] == [{"code": "kind", "name": "What was dumped?", "value": "other"}]


def test_a_request_outside_every_neighborhood_has_an_empty_neighborhood(client, dumping):
    NeighborhoodFactory(jurisdiction=dumping.jurisdiction, name="Fishtown")
    file(dumping, lat=40.1, long=-75.0)
    item = as_json(get(client, "requests.json", extensions="true"))[0]
    assert item["extended_attributes"]["neighborhood"] == ""
