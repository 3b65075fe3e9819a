"""The demo city's loaders, without its history: neighborhoods, Philadelphia's catalogue, the calendar, the
staff and their sign-in links. (Apart from tests/test_demo_city.py, whose seeded city lives for its whole
module: these build a bare city of their own.)"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
import shapely
from django.contrib.auth import authenticate
from django.core.management import call_command
from shapely.geometry import box

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import AttributeValue, Department, RoutingRule, Service, ServiceAttribute, ServiceGroup
from civic311.demo import services as demo
from civic311.demo.places import MAX_LAT, MAX_LONG, MIN_LAT, MIN_LONG
from civic311.jurisdictions.models import Neighborhood
from civic311.people.models import User


@pytest.fixture
def bare_city(db):
    city = demo.create_jurisdiction()
    demo.load_neighborhoods(city)
    demo.load_catalogue(city)
    demo.create_staff(city)
    return city


def test_the_neighborhoods_tile_the_city_box(bare_city):
    neighborhoods = list(Neighborhood.objects.filter(jurisdiction=bare_city))
    assert len(neighborhoods) >= 20
    assert {"Center City", "Fishtown", "Chestnut Hill", "Northeast / Bustleton"} <= {n.name for n in neighborhoods}
    shapes = [neighborhood.boundary_shape for neighborhood in neighborhoods]
    for neighborhood in neighborhoods:
        neighborhood.full_clean()
    assert sum(a.intersection(b).area for i, a in enumerate(shapes) for b in shapes[i + 1 :]) < 1e-12
    city_box = box(MIN_LONG, MIN_LAT, MAX_LONG, MAX_LAT)
    assert city_box.symmetric_difference(shapely.union_all(shapes)).area < 1e-12


def test_the_catalogue_is_philadelphias_with_every_open311_datatype(bare_city):
    with (demo.DATA / "philly_services.csv").open(encoding="utf-8") as rows:
        published = list(csv.DictReader(rows))
    services = {service.code: service for service in Service.objects.filter(jurisdiction=bare_city)}
    assert len(services) == len(published)
    for row in published:
        service = services[row["service_code"] or "INFO-DIRECTORY"]
        service.full_clean()
        assert service.name == row["service_name"] and service.department.name == row["department"]
        assert service.typical_volume == int(row["requests_2014_12_to_2016_08"] or 0)
        assert service.translations["es"]["name"] and service.translations["es"]["description"]
        if row["group"] == "Information":
            assert service.kind == Service.Kind.INFORMATION and service.sla_unit == Service.SlaUnit.NONE
        else:
            assert service.keywords and service.description and service.sla_value
    assert services["SR-ST02"].sla_unit == "business_days" and services["SR-ST02"].sla_value == 5
    assert services["SR-ST25"].sla_unit == "hours" and services["SR-ST25"].service_notice == "4 Hours"

    attributes = ServiceAttribute.objects.filter(service__jurisdiction=bare_city)
    assert set(attributes.values_list("datatype", flat=True)) == set(ServiceAttribute.Datatype.values)
    assert attributes.filter(variable=False).exists()
    assert all(attribute.translations["es"]["description"] for attribute in attributes)
    values = AttributeValue.objects.filter(attribute__service__jurisdiction=bare_city)
    assert all(value.translations["es"]["name"] for value in values)
    assert all(group.translations["es"]["name"] for group in ServiceGroup.objects.filter(jurisdiction=bare_city))
    for department in Department.objects.filter(jurisdiction=bare_city):
        department.full_clean()
        assert department.contact_email.endswith("@example.org") and department.translations["es"]["name"]
    rules = RoutingRule.objects.filter(service__jurisdiction=bare_city)
    for rule in rules:
        rule.full_clean()
    assert set(rules.values_list("kind", flat=True)) == set(RoutingRule.Kind.values)
    gas = rules.get(kind=RoutingRule.Kind.CANNED_ANSWER)
    assert catalogue.canned_answer(gas.service, {"gas_smell": "yes"}) == gas
    assert "911" in gas.localized("message", "es")


# The sha256 of ../shared/data/philly_services.csv when it was copied into the demo.
CITY_CATALOGUE_SHA256 = "61a94d0ab34b1ee821fe0dac78e4aaa631f2ea86e9861a3d4d0e50ea32d18826"


def test_the_demo_carries_an_unchanged_copy_of_the_city_catalogue():
    copy = (demo.DATA / "philly_services.csv").read_bytes()
    assert hashlib.sha256(copy).hexdigest() == CITY_CATALOGUE_SHA256
    # Beside the shared reference data, the copy must still match it (the reference is not always checked out).
    shared = Path(demo.__file__).resolve().parents[3] / "shared" / "data" / "philly_services.csv"
    assert not shared.exists() or shared.read_bytes() == copy


def test_holidays_are_weekdays_with_observed_dates(bare_city):
    holidays = {holiday.date: holiday.name for holiday in bare_city.holidays.all()}
    assert all(day.weekday() < 5 for day in holidays)
    assert len([day for day in holidays if day.year == 2026]) == 13
    assert "observed" in holidays[dt.date(2026, 7, 3)]


def test_loaders_are_idempotent(bare_city):
    counts = (
        Service.objects.count(),
        ServiceAttribute.objects.count(),
        AttributeValue.objects.count(),
        RoutingRule.objects.count(),
        Department.objects.count(),
        User.objects.count(),
    )
    demo.create_jurisdiction()
    demo.load_neighborhoods(bare_city)
    demo.load_catalogue(bare_city)
    demo.create_staff(bare_city)
    assert counts == (
        Service.objects.count(),
        ServiceAttribute.objects.count(),
        AttributeValue.objects.count(),
        RoutingRule.objects.count(),
        Department.objects.count(),
        User.objects.count(),
    )


def test_demo_staff_cannot_sign_in_until_demo_login(bare_city, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    staff = User.objects.filter(is_staff=True)
    assert staff.filter(username="admin", is_superuser=True).exists()
    assert not any(user.has_usable_password() for user in staff)
    assert User.objects.filter(department__name="Philly311 Contact Center").count() >= 3

    out = io.StringIO()
    call_command("demo_login", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("Admin: http://127.0.0.1:8000/admin/  user: admin  password: ")
    assert authenticate(username="admin", password=lines[0].rsplit(" ", 1)[-1]) is not None
    # Then one person per working role, each able to sign in, each where their work starts.
    assert [line.split(":", 1)[0] for line in lines[1:]] == [
        "Supervisor",
        "Contact-centre agent",
        "Department manager",
        "Department staff",
        "Surveyor",
        "Leadership",
        "Community engagement staff",
    ]
    for line in lines[1:]:
        username, password = line.split("user: ")[1].split("  password: ")
        user = authenticate(username=username, password=password)
        assert user is not None and not user.is_superuser
    assert "127.0.0.1:8000/console/" in lines[1] and "127.0.0.1:8000/work/" in lines[4]
    assert "127.0.0.1:8000/surveys/reports/" in lines[6] and "127.0.0.1:8000/community/" in lines[7]
    # Everyone else still cannot sign in.
    assert staff.filter(password__startswith="!").count() == staff.count() - 8


def test_demo_login_names_the_port_the_demo_runs_on(bare_city, monkeypatch):
    monkeypatch.setenv("PORT", "8080")
    out = io.StringIO()
    call_command("demo_login", stdout=out)
    assert out.getvalue().startswith("Admin: http://127.0.0.1:8080/admin/  user: admin  password: ")
