"""`manage.py import_open311_catalogue`: another city's Open311 services and definitions as a catalogue file."""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from civic311.catalogue import services as catalogue_services
from civic311.catalogue.catalogue_file import parse_catalogue
from civic311.catalogue.models import Service
from civic311.open311.catalogue_import import endpoint_of

from .factories import JurisdictionFactory, NeighborhoodFactory
from .test_catalogue_file import EXAMPLE

VENDOR = Path(__file__).parent / "data" / "open311-vendor"


class _Vendor(BaseHTTPRequestHandler):
    """Answers GET /open311/v2/… from tests/data/open311-vendor, or from `overrides` (path → (status, body, delay))."""

    overrides: dict[str, tuple[int, bytes, float]] = {}
    seen: list[str] = []

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        self.seen.append(self.path)
        relative = path.removeprefix("/open311/v2/")
        status, body, delay = self.overrides.get(relative, (404, b'[{"code":404,"description":"not found"}]', 0.0))
        if relative not in self.overrides and (VENDOR / relative).is_file():
            status, body = 200, (VENDOR / relative).read_bytes()
        time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the time-out test)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def vendor():
    _Vendor.overrides, _Vendor.seen = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Vendor)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/open311/v2/", _Vendor
    server.shutdown()
    server.server_close()


def run(url: str, *extra: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_open311_catalogue", url, *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(url: str, *extra: str) -> str:
    with pytest.raises(CommandError) as error:
        run(url, *extra)
    assert error.value.returncode == 2
    return str(error.value)


def test_a_vendors_catalogue_becomes_a_file_that_loads(vendor, tmp_path, db):
    url, server = vendor
    output = tmp_path / "chicago.toml"
    _, err = run(url + "services.json?jurisdiction_id=cityofchicago.org", "-o", str(output))
    assert "Wrote 5 services with 9 questions to" in err
    # One definition for each service with metadata (true or the text "true"), none for the others.
    assert sorted(path.split("?")[0] for path in server.seen) == [
        "/open311/v2/services.json",
        "/open311/v2/services/4fd3b167e750846744000005.json",
        "/open311/v2/services/4fd3b656e750846c53000004.json",
        "/open311/v2/services/4ffa4c69601827691b000018.json",
    ]
    assert all("jurisdiction_id=cityofchicago.org" in path for path in server.seen)

    text = output.read_text(encoding="utf-8")
    assert text.startswith(f"# Imported from {url} by manage.py import_open311_catalogue on ")
    assert "placeholder department “to-be-assigned”" in text
    catalogue = parse_catalogue(text)
    assert [(d.slug, d.name) for d in catalogue.departments] == [("to-be-assigned", "Department to be assigned")]
    assert [g.name for g in catalogue.groups] == ["Sanitation", "Streets & Transportation", "Health", "Other"]
    services = {service.code: service for service in catalogue.services}
    graffiti = services["4fd3b167e750846744000005"]
    assert (graffiti.name, graffiti.group, graffiti.department, graffiti.sla_unit) == (
        "Graffiti Removal",
        "Sanitation",
        "to-be-assigned",
        "none",
    )
    assert graffiti.keywords == "graffiti, paint, tag, spray paint, vandalism"
    # Questions in their `order`, with datatypes and values; text that is only shown stays so.
    assert [(q.code, q.datatype, q.required, q.variable) for q in graffiti.questions] == [
        ("SURFACE", "singlevaluelist", True, True),
        ("WHEREISTHEGRAFFITI", "multivaluelist", True, True),
        ("NOTICE", "string", False, False),
    ]
    assert [(c.key, c.name) for c in graffiti.questions[1].choices][:2] == [
        ("FRONT", "Front of building"),
        ("REAR", "Rear of building"),
    ]
    assert graffiti.questions[1].datatype_description == "Choose every place the graffiti is."
    pothole = services["4fd3b656e750846c53000004"]
    assert pothole.description == "A pothole in a City street or alley.\nReport one pothole per request."
    assert [q.datatype for q in pothole.questions] == ["text", "number", "datetime"]
    vehicle = services["4ffa4c69601827691b000018"]
    assert vehicle.open311_type == "batch" and vehicle.keywords == "abandoned, car, vehicle, parked"
    assert [(q.code, q.datatype) for q in vehicle.questions] == [
        ("VEHICLE_MAKE", "singlevaluelist"),
        ("PLATE_STATE", "string"),
        ("IS_RUNNING", "string"),
    ]
    assert [c.key for c in vehicle.questions[0].choices] == ["FORD", "TOYOTA", "11"]
    assert services["4fd6e4ece750840569000019"].questions == ()
    tree = services["SVR-101-A"]
    assert (tree.group, tree.open311_type, tree.description, tree.keywords) == ("Other", "blackbox", "", "")
    # What was changed is said in the file and on standard error.
    for note in (
        "Service code “SVR 101/A” became “SVR-101-A”.",
        "4ffa4c69601827691b000018: question code “VEHICLE MAKE” became “VEHICLE_MAKE”.",
        "4ffa4c69601827691b000018: question PLATE_STATE is a list without values; read as string.",
        "4ffa4c69601827691b000018: question IS_RUNNING has the datatype “boolean”; read as string.",
        "lists the value “FORD” twice",
    ):
        assert note in text and note in err

    # As it is, the file loads into a new city.
    chicago = JurisdictionFactory(slug="chicago", name="Chicago", jurisdiction_id="cityofchicago.org", is_default=False)
    report = catalogue_services.load_catalogue(chicago, catalogue)
    assert report.count("create") == 1 + 4 + 5 + 9 + 12  # department, groups, services, questions, choices
    assert Service.objects.filter(jurisdiction=chicago).count() == 5
    assert Service.objects.get(jurisdiction=chicago, code="4fd3b167e750846744000005").attributes.count() == 3


@pytest.mark.django_db(transaction=True)
def test_our_own_open311_server_round_trips(live_server, tmp_path):
    philadelphia = JurisdictionFactory()
    NeighborhoodFactory(jurisdiction=philadelphia, slug="center-city")
    catalogue_services.load_catalogue(philadelphia, parse_catalogue(EXAMPLE))
    output = tmp_path / "philadelphia.toml"
    run(f"{live_server.url}/open311/v2", "-o", str(output), "--jurisdiction-id", "phila.gov")
    imported = parse_catalogue(output.read_text(encoding="utf-8"))
    published = {service.code for service in imported.services}
    assert "POTHOLE" in published
    pothole = next(service for service in imported.services if service.code == "POTHOLE")
    assert (pothole.name, pothole.group, pothole.description) == ("Pothole", "Streets", "A hole in the road.")
    assert pothole.keywords.split(",") == ["pothole", "hole", "road"]  # the server lists them without spaces
    assert [(q.code, q.datatype, q.required, q.description) for q in pothole.questions] == [
        ("size", "singlevaluelist", True, "How big is it?"),
        ("gas", "singlevaluelist", False, "Do you smell gas?"),
    ]
    assert [(c.key, c.name) for c in pothole.questions[0].choices] == [
        ("small", "Smaller than a plate"),
        ("large", "Larger than a tire"),
    ]
    # …and loads into a second city.
    chicago = JurisdictionFactory(slug="chicago", name="Chicago", jurisdiction_id="cityofchicago.org", is_default=False)
    catalogue_services.load_catalogue(chicago, imported)
    copy = Service.objects.get(jurisdiction=chicago, code="POTHOLE")
    assert list(copy.attributes.get(code="size").values.values_list("key", flat=True)) == ["small", "large"]


@pytest.mark.parametrize(
    "url", ["ftp://311.example.gov/open311/v2/", "file:///etc/passwd", "311.example.gov/v2", "javascript:alert(1)"]
)
def test_only_http_urls_are_read(url):
    assert "is not an http or https URL" in fails(url)


def test_a_time_out_is_a_clear_failure(vendor, tmp_path):
    url, server = vendor
    server.overrides["services.json"] = (200, b"[]", 2.0)
    output = tmp_path / "out.toml"
    message = fails(url, "--timeout", "0.3", "-o", str(output))
    assert message == f"Nothing was written: {url}services.json: Timed out (ReadTimeout)."
    assert not output.exists()


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("services.json", b"<html><body>Maintenance</body></html>", "services.json: The answer is not JSON."),
        ("services.json", b'{"services": []}', "services.json: services.json did not answer with a list."),
        (
            "services/4fd3b167e750846744000005.json",
            b"{not json",
            "services/4fd3b167e750846744000005.json: The answer is not JSON.",
        ),
        (
            "services/4fd3b167e750846744000005.json",
            b'{"attributes": "none"}',
            "services/4fd3b167e750846744000005.json: The service definition is not an object with a list of attributes.",  # noqa: E501
        ),
    ],
)
def test_bad_answers_are_clear_failures(vendor, path, body, expected):
    url, server = vendor
    server.overrides[path] = (200, body, 0.0)
    assert fails(url).endswith(expected)


def test_control_characters_in_their_answers_still_make_a_file_that_reads(vendor):
    # The notes quote their codes in the file's opening comment, where TOML allows no control characters.
    url, server = vendor
    server.overrides["services.json"] = (
        200,
        json.dumps([{"service_code": "BELL\u0007\u001b[2J", "service_name": "Bell\u0007", "metadata": False}]).encode(),
        0.0,
    )
    out, err = run(url)
    catalogue = parse_catalogue(out)
    assert catalogue.services[0].code == "BELL-2J"
    assert "BELL" in err


def test_question_codes_made_unique_never_take_another_questions_code(vendor):
    url, server = vendor
    server.overrides["services/4fd3b167e750846744000005.json"] = (
        200,
        json.dumps(
            {
                "service_code": "4fd3b167e750846744000005",
                "attributes": [
                    {"code": code, "datatype": "string", "description": f"Question {order}", "order": order}
                    for order, code in enumerate(["a_3", "a", "a"], start=1)
                ],
            }
        ).encode(),
        0.0,
    )
    out, _ = run(url)
    service = next(s for s in parse_catalogue(out).services if s.code == "4fd3b167e750846744000005")
    assert [question.code for question in service.questions] == ["a_3", "a", "a_4"]


def test_an_http_error_names_the_call(vendor):
    url, server = vendor
    server.overrides["services/4fd3b656e750846c53000004.json"] = (
        500,
        json.dumps([{"code": 500, "description": "Internal error"}]).encode(),
        0.0,
    )
    assert fails(url).endswith("services/4fd3b656e750846c53000004.json: HTTP 500: Internal error")


def test_the_file_goes_to_standard_output_by_default(vendor):
    url, _ = vendor
    out, _ = run(url)
    assert len(parse_catalogue(out).services) == 5


def test_endpoints_are_found_in_service_list_urls():
    assert endpoint_of("https://311.example.gov/open311/v2/services.json?jurisdiction_id=x.gov") == (
        "https://311.example.gov/open311/v2/",
        "x.gov",
    )
    assert endpoint_of("https://311.example.gov/open311/v2") == ("https://311.example.gov/open311/v2", "")


def test_the_placeholder_department_goes_once_the_file_names_real_ones(vendor, tmp_path, db):
    url, _ = vendor
    output = tmp_path / "chicago.toml"
    run(url, "-o", str(output))
    chicago = JurisdictionFactory(slug="chicago", name="Chicago", jurisdiction_id="cityofchicago.org", is_default=False)
    call_command("load_catalogue", str(output), "--jurisdiction", "chicago", stdout=io.StringIO())
    edited = output.read_text(encoding="utf-8").replace('slug = "to-be-assigned"', 'slug = "streets-sanitation"')
    edited = edited.replace('name = "Department to be assigned"', 'name = "Streets and Sanitation"')
    output.write_text(
        edited.replace('department = "to-be-assigned"', 'department = "streets-sanitation"'), encoding="utf-8"
    )
    out = io.StringIO()
    call_command("load_catalogue", str(output), "--jurisdiction", "chicago", stdout=out)
    assert "remove department to-be-assigned" in out.getvalue()
    assert set(Service.objects.filter(jurisdiction=chicago).values_list("department__slug", flat=True)) == {
        "streets-sanitation"
    }
