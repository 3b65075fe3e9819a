"""docs/new-city.md, followed step by step: every `manage.py` command of its `sh` blocks is run in order
on a database that already serves Philadelphia; then Springfield must work and Philadelphia's Open311
clients must see no difference."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from civic311.catalogue.models import Department, RoutingRule, Service
from civic311.demo import services as demo
from civic311.jurisdictions import tracking_numbers
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.opendata import export
from civic311.people import roles
from civic311.people.models import RoleAssignment, User
from civic311.service_requests.models import ServiceRequest

from .factories import ServiceFactory, filed_request

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "new-city.md"
SPRINGFIELD_HOST = "311.springfield.example"
PROMPT = ".venv/bin/python manage.py "
# Commands of the page that the test does not run, and why. Any other command must be runnable here, so
# the page cannot gain a step the test skips without saying so.
NOT_RUN = {
    "migrate": "the test database is already migrated",
    "createsuperuser": "asks for a password",
    "changepassword": "asks for a password",
    "import_open311_catalogue": "reads the vendor's server (tested in its own tests against a local one)",
}


def doc_commands(text: str) -> list[list[str]]:
    """The `manage.py` commands of the page's ```sh blocks, in order, as argument lists."""
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        for raw_line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = raw_line.strip()
            if line.startswith(PROMPT):
                commands.append(shlex.split(line[len(PROMPT) :]))
    return commands


def run_the_page(outputs: dict[str, str]) -> list[str]:
    """Run every command of the page; each one's output is kept by command name. The names not run."""
    skipped = []
    for name, *arguments in doc_commands(DOC.read_text(encoding="utf-8")):
        if name in NOT_RUN:
            skipped.append(name)
            continue
        out, err = io.StringIO(), io.StringIO()
        call_command(name, *arguments, stdout=out, stderr=err)
        outputs[name] = out.getvalue()
    return skipped


@pytest.fixture
def philadelphia(db):
    city = demo.create_jurisdiction()
    demo.load_neighborhoods(city)
    demo.load_catalogue(city)
    return city


@pytest.fixture
def workdir(tmp_path, monkeypatch, settings):
    """The page's paths are relative to the repository; the files it writes go to a scratch folder."""
    (tmp_path / "docs").symlink_to(REPO / "docs")
    monkeypatch.chdir(tmp_path)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, SPRINGFIELD_HOST]
    return tmp_path


def open311_answers(client) -> dict[str, bytes]:
    """What Philadelphia's clients get, with and without jurisdiction_id."""
    answers = {}
    for path in (
        "discovery.json",
        "services.json",
        "services.xml",
        "services/SR-ST02.json",
        "requests.json",
        "services.json?jurisdiction_id=phila.gov",
        "requests.json?jurisdiction_id=phila.gov",
    ):
        response = client.get(f"/open311/v2/{path}")
        assert response.status_code == 200, (path, response.content[:300])
        answers[path] = response.content
    return answers


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_page_sets_up_springfield_beside_philadelphia(client, philadelphia, workdir):
    no_required_question = (
        Service.objects.filter(jurisdiction=philadelphia, kind=Service.Kind.REQUEST)
        .exclude(attributes__required=True)
        .order_by("code")
        .first()
    )
    philly_request = filed_request(no_required_question)
    before = open311_answers(client)

    outputs: dict[str, str] = {}
    assert sorted(run_the_page(outputs)) == sorted(NOT_RUN)

    # 1-2. The city, its outline and its neighborhoods.
    city = Jurisdiction.objects.get(jurisdiction_id="springfield.gov")
    assert (city.name, city.slug, city.time_zone, city.host, city.is_default) == (
        "Springfield",
        "springfield",
        "America/Chicago",
        SPRINGFIELD_HOST,
        False,
    )
    assert city.contains(39.80, -89.64) and not city.contains(39.86, -89.71)  # the outline, not its box
    assert dict(Neighborhood.objects.filter(jurisdiction=city).values_list("slug", "name")) == {
        "southside": "Southside",
        "downtown": "Downtown",
        "enos-park": "Enos Park",
    }
    # 3. The catalogue, with its neighborhood rule.
    assert set(Service.objects.filter(jurisdiction=city).values_list("code", flat=True)) == {
        "SPR-POTHOLE",
        "SPR-LITTER",
        "SPR-INFO",
    }
    rule = RoutingRule.objects.get(service__jurisdiction=city, kind=RoutingRule.Kind.NEIGHBORHOOD)
    assert rule.neighborhood is not None and rule.department is not None
    assert (rule.neighborhood.slug, rule.department.slug) == ("downtown", "downtown-partnership")
    # 4. Staff in their departments, with their roles.
    ana, lee = User.objects.get(username="ana.reyes"), User.objects.get(username="lee.ortiz")
    assert ana.department is not None
    assert (ana.department.slug, ana.department.jurisdiction_id, ana.is_staff) == ("contact-centre", city.pk, True)
    assert not ana.has_usable_password()
    assert set(RoleAssignment.objects.filter(user=ana).values_list("role", flat=True)) == {"agent"}
    assert RoleAssignment.objects.get(user=lee).department == Department.objects.get(
        jurisdiction=city, slug="public-works"
    )
    # 6. The history, each request in its neighborhood.
    imported = {
        request.tracking_number: request
        for request in ServiceRequest.objects.filter(jurisdiction=city).select_related("neighborhood", "service")
    }
    assert len(imported) == 6
    neighborhoods = {number: request.neighborhood and request.neighborhood.slug for number, request in imported.items()}
    assert neighborhoods["2025000101"] == "enos-park"
    assert neighborhoods["2025000104"] == "downtown"
    assert neighborhoods["2025000106"] == "southside"
    assert imported["2025000103"].service.code == "SPR-LITTER"
    assert all(request.is_imported for request in imported.values())
    assert not (workdir / "springfield-rejects.csv").read_text(encoding="utf-8").strip().count("\n")

    # 5. The key files a request for Springfield, routed by Springfield's catalogue.
    key = outputs["issue_open311_key"].strip()
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "jurisdiction_id": "springfield.gov",
            "service_code": "SPR-LITTER",
            "lat": "39.80",
            "long": "-89.68",
            "description": "Bags of trash by the bus stop.",
        },
    )
    assert response.status_code == 200, response.content
    number = json.loads(response.content)[0]["service_request_id"]
    filed = ServiceRequest.objects.get(jurisdiction=city, tracking_number=number)
    assert filed.neighborhood is not None and filed.department is not None
    assert (filed.neighborhood.slug, filed.department.slug) == ("downtown", "downtown-partnership")
    shown = json.loads(
        client.get(f"/open311/v2/requests/{number}.json", {"jurisdiction_id": "springfield.gov"}).content
    )
    assert shown[0]["agency_responsible"] == "Downtown Partnership"
    # The same key cannot file for Philadelphia.
    refused = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "jurisdiction_id": "phila.gov",
            "service_code": "SR-ST02",
            "lat": "39.9526",
            "long": "-75.1635",
        },
    )
    assert refused.status_code in {400, 403}
    # The agent sees Springfield's requests and not Philadelphia's.
    visible = roles.visible_requests(ana, ServiceRequest.objects.all())
    assert visible.filter(pk=filed.pk).exists() and not visible.filter(pk=philly_request.pk).exists()

    # 7. Open data on Springfield's host: its requests only, and its own examples.
    rows = csv_rows(client.get(reverse("opendata:service_requests_csv"), HTTP_HOST=SPRINGFIELD_HOST))
    assert {row["service_request_id"] for row in rows} == {*imported, number}
    assert {row["service_code"] for row in rows} <= {"SPR-POTHOLE", "SPR-LITTER"}
    page = client.get(reverse("opendata:dataset"), HTTP_HOST=SPRINGFIELD_HOST).content.decode()
    assert "Springfield" in page and "America/Chicago" in page
    # The examples are the newest public request that has an address (the one filed above has none).
    assert "<code>2025000106</code>" in page and "<code>2100 S Grand Ave E</code>" in page
    assert "<code>Public Works</code>" in page and "<code>62703</code>" in page
    assert "2026-11-23T09:00:00-06:00" in page
    for philadelphias in ("Illegal Dumping", "Streets Department", "JOHN F KENNEDY", "19107", "-75.1"):
        assert philadelphias not in page, philadelphias
    track = client.get(f"/track/{number}/", HTTP_HOST=SPRINGFIELD_HOST)
    assert track.status_code == 200 and "Litter" in track.content.decode()

    # Philadelphia's clients see exactly what they saw before, with or without jurisdiction_id.
    assert open311_answers(client) == before


def test_the_page_can_be_followed_again_and_changes_nothing(client, philadelphia, workdir):
    run_the_page({})
    counts = (
        Neighborhood.objects.count(),
        Service.objects.count(),
        Department.objects.count(),
        RoleAssignment.objects.count(),
        User.objects.count(),
        ServiceRequest.objects.count(),
    )
    outputs: dict[str, str] = {}
    run_the_page(outputs)
    assert counts == (
        Neighborhood.objects.count(),
        Service.objects.count(),
        Department.objects.count(),
        RoleAssignment.objects.count(),
        User.objects.count(),
        ServiceRequest.objects.count(),
    )
    assert "0 added, 0 changed, 3 unchanged" in outputs["load_boundaries"]
    assert "none new" in outputs["add_staff"]


def test_every_file_the_page_names_exists():
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"docs/new-city/[\w.-]+", text))
    assert named and all((REPO / path).is_file() for path in named), named
    assert {path.name for path in (REPO / "docs" / "new-city").iterdir()} == {Path(path).name for path in named}


# --- the open-data page's examples ---------------------------------------------------------------


def test_a_city_without_requests_shows_its_first_service_at_its_middle(db):
    from .factories import JurisdictionFactory

    city = JurisdictionFactory(
        slug="springfield",
        name="Springfield",
        jurisdiction_id="springfield.gov",
        time_zone="America/Chicago",
        min_lat=39.7,
        max_lat=39.9,
        min_long=-89.7,
        max_long=-89.6,
        is_default=False,
    )
    ServiceFactory(jurisdiction=city, code="SPR-POTHOLE", name="Pothole", service_notice="3 Business Days")
    examples = export.example_values(export.Export(city, photo_base="/media/"), photo_base="/media/")
    assert (examples["service_code"], examples["service_name"], examples["service_notice"]) == (
        "SPR-POTHOLE",
        "Pothole",
        "3 Business Days",
    )
    assert (examples["lat"], examples["lon"]) == ("39.8000", "-89.6500")
    assert examples["requested_datetime"] == "2026-11-23T09:00:00-06:00"
    assert examples["address"] == "" and examples["service_request_id"] == str(tracking_numbers.next_number(city))


def test_the_examples_never_come_from_a_private_request(service, center_city):
    filed_request(service, address="1 Public Pl")
    filed_request(service, address="9 Secret Ln", is_private=True)
    examples = export.example_values(export.Export(service.jurisdiction, photo_base="/media/"), photo_base="/media/")
    assert examples["address"] == "1 Public Pl"
