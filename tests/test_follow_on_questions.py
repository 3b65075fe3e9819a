"""Follow-on requests ask the target service's questions (issue 14, item 5): in the demo catalogue most
services have required questions, and a follow-on without their answers was refused for 11 of 13 targets."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import reverse

from civic311.catalogue.models import RoutingRule, Service, ServiceAttribute
from civic311.demo import services as demo
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import StaffRole, User
from civic311.service_requests.models import ServiceRequest
from civic311.work import selectors as work_selectors

from .factories import filed_request, with_role

# The demo catalogue is made once: all of this module's tests run on one xdist worker (--dist loadgroup).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("follow_on_questions")]

DATATYPE = ServiceAttribute.Datatype


@pytest.fixture(scope="module")
def demo_city_once(django_db_setup, django_db_blocker):
    """The demo's catalogue and staff, made once for the module inside a transaction rolled back at its
    end; each test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        city = demo.create_jurisdiction()
        demo.load_neighborhoods(city)
        demo.load_catalogue(city)
        demo.create_staff(city)
        yield city.pk
        transaction.set_rollback(True)


@pytest.fixture
def demo_city(demo_city_once, db):
    return Jurisdiction.objects.get(pk=demo_city_once)


@pytest.fixture
def dumping(demo_city):
    """A Streets Department request (Illegal Dumping) at City Hall."""
    service = Service.objects.get(jurisdiction=demo_city, code="SR-ST02")
    return filed_request(service, answers={"material": ["mattress"], "amount": "few_items"})


@pytest.fixture
def worker(client, demo_city):
    user = User.objects.get(username="dcarter")  # the demo's Streets Department worker
    client.force_login(user)
    return user


def valid_answers(service: Service) -> dict[str, str | list[str]]:
    """An answer to every question of the service, of its datatype. For a choice, the last one: the first
    is often "yes", which a safety rule may answer instead of filing ("Do you smell gas?")."""
    answers: dict[str, str | list[str]] = {}
    for attribute in service.attributes.filter(variable=True):
        keys = list(attribute.values.values_list("key", flat=True))
        by_datatype: dict[str, str | list[str]] = {
            DATATYPE.STRING: "PA ABC-1234",
            DATATYPE.NUMBER: "3",
            DATATYPE.DATETIME: "2026-03-14T09:00",
            DATATYPE.TEXT: "Blue sedan,\nflat tyres.",
            DATATYPE.SINGLEVALUELIST: keys[-1] if keys else "",
            DATATYPE.MULTIVALUELIST: keys[-2:],
        }
        answers[attribute.code] = by_datatype[attribute.datatype]
    return answers


def as_post(service: Service, answers: dict, description: str = "Seen while clearing the lot.") -> dict:
    data: dict = {"follow-service": service.pk, "follow-description": description}
    for code, answer in answers.items():
        data[f"attribute[{code}]"] = answer
    return data


@pytest.fixture
def rodents(demo_city):
    """A Licenses & Inspections request, whose follow-ons may go to the Streets Department."""
    service = Service.objects.get(jurisdiction=demo_city, code="SR-LI21")
    return filed_request(service, answers={"property_type": "residential", "problems": ["rodents"]})


def test_the_targets_are_every_reportable_service_with_questions_of_every_datatype(dumping, rodents, demo_city):
    targets = {*work_selectors.follow_on_services(dumping), *work_selectors.follow_on_services(rodents)}
    assert targets == set(Service.objects.filter(jurisdiction=demo_city, kind=Service.Kind.REQUEST, is_active=True))
    required = [service for service in targets if service.attributes.filter(required=True).exists()]
    assert len(required) >= 11  # what made most follow-ons fail
    datatypes = set(ServiceAttribute.objects.filter(service__in=targets).values_list("datatype", flat=True))
    assert datatypes == set(DATATYPE.values)


def test_a_follow_on_for_every_service_of_the_demo_catalogue(client, demo_city, dumping, rodents):
    inspector = with_role(User.objects.get(username="dcarter"), StaffRole.DEPARTMENT_STAFF, rodents.department)
    client.force_login(inspector)
    filed = 0
    for parent in (dumping, rodents):
        url = reverse("work:follow_on", args=[parent.tracking_number])
        for service in work_selectors.follow_on_services(parent):
            if parent is rodents and service.department_id != dumping.department_id:
                continue  # filed from the Streets request already
            answers = valid_answers(service)
            response = client.post(url, as_post(service, answers))
            assert response.status_code == 302, (service.code, response.content.decode()[:2000])
            child = ServiceRequest.objects.get(parent=parent, service=service)
            assert child.department_id != parent.department_id
            assert child.attributes == {code: value for code, value in answers.items() if value}, service.code
            filed += 1
    assert filed == Service.objects.filter(jurisdiction=demo_city, kind=Service.Kind.REQUEST, is_active=True).count()


def test_the_page_shows_the_picked_services_questions_in_every_widget(client, worker, dumping, demo_city):
    vehicle = Service.objects.get(jurisdiction=demo_city, code="SR-PD01")  # string, list, text, datetime
    page = client.get(reverse("work:request", args=[dumping.tracking_number]), {"follow-service": vehicle.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="follow-on" open' in html
    assert 'name="attribute[plate]"' in html and 'type="datetime-local"' in html
    assert '<textarea class="form-control" id="id_attribute_vehicle_description"' in html
    assert "Describe the vehicle: make, model, color and condition." in html
    # The htmx fragment: the questions of the service picked, for a number and a multiple choice too.
    fragment = client.get(
        reverse("work:follow_on_questions", args=[dumping.tracking_number]), {"follow-service": vehicle.pk}
    ).content.decode()
    assert fragment.startswith('<div id="follow-on-questions"') and 'name="attribute[plate_state]"' in fragment
    numbers = (
        Service.objects.filter(jurisdiction=demo_city, attributes__datatype=DATATYPE.NUMBER)
        .exclude(department=dumping.department)
        .first()
    )
    multi = (
        Service.objects.filter(jurisdiction=demo_city, attributes__datatype=DATATYPE.MULTIVALUELIST)
        .exclude(department=dumping.department)
        .first()
    )
    for service, marker in ((numbers, 'type="number"'), (multi, 'type="checkbox"')):
        assert service is not None
        fragment = client.get(
            reverse("work:follow_on_questions", args=[dumping.tracking_number]), {"follow-service": service.pk}
        ).content.decode()
        assert marker in fragment, service.code
    # No service or a service that is not a follow-on target: no questions, no error.
    for picked in ("", "abc", str(dumping.service.pk), "99999999999999999999"):
        fragment = client.get(
            reverse("work:follow_on_questions", args=[dumping.tracking_number]), {"follow-service": picked}
        ).content.decode()
        assert "attribute[" not in fragment


def test_without_javascript_the_button_shows_the_questions_and_files_nothing(client, worker, dumping, demo_city):
    vehicle = Service.objects.get(jurisdiction=demo_city, code="SR-PD01")
    response = client.post(
        reverse("work:follow_on", args=[dumping.tracking_number]),
        {"follow-service": vehicle.pk, "follow-description": "Kept", "follow-show": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'name="attribute[vehicle_description]"' in html
    assert ">\nKept</textarea>" in html and "is required" not in html
    assert not ServiceRequest.objects.filter(parent=dumping).exists()


def test_missing_and_malformed_answers_are_refused_next_to_their_question(client, worker, dumping, demo_city):
    vehicle = Service.objects.get(jurisdiction=demo_city, code="SR-PD01")
    url = reverse("work:follow_on", args=[dumping.tracking_number])
    response = client.post(url, as_post(vehicle, {"last_moved": "last Tuesday", "plate_state": "mars"}))
    html = response.content.decode()
    assert response.status_code == 400
    assert not ServiceRequest.objects.filter(parent=dumping).exists()
    # Each message sits with its own question (the public form's error markup), not above the form.
    for field_id in ("id_attribute_vehicle_description", "id_attribute_last_moved", "id_attribute_plate_state"):
        assert f'id="{field_id}-error"' in html, field_id
    assert "must be a date and time" in html and "is not one of the choices" in html
    assert re.search(r'alert-danger py-1" role="alert">[^<]*is required', html) is None
    # What was typed is kept.
    assert 'value="last Tuesday"' in html


def test_answers_of_a_service_picked_before_are_not_held_against_the_new_one(client, worker, dumping, demo_city):
    vehicle = Service.objects.get(jurisdiction=demo_city, code="SR-PD01")
    property_maintenance = Service.objects.get(jurisdiction=demo_city, code="SR-LI21")
    data = as_post(property_maintenance, {**valid_answers(property_maintenance), "plate": "stale"})
    response = client.post(reverse("work:follow_on", args=[dumping.tracking_number]), data)
    assert response.status_code == 302
    child = ServiceRequest.objects.get(parent=dumping)
    assert child.service == property_maintenance and "plate" not in child.attributes
    assert vehicle.attributes.filter(code="plate").exists()


def test_a_safety_rule_answers_a_follow_on_instead_of_a_500(client, demo_city, rodents):
    # A Licenses & Inspections request whose follow-on is a Street Defect with gas smelt.
    client.force_login(with_role(User.objects.get(username="dcarter"), StaffRole.DEPARTMENT_STAFF, rodents.department))
    rule = RoutingRule.objects.get(service__jurisdiction=demo_city, kind=RoutingRule.Kind.CANNED_ANSWER)
    answers = {**valid_answers(rule.service), rule.attribute_code: rule.attribute_value}
    response = client.post(reverse("work:follow_on", args=[rodents.tracking_number]), as_post(rule.service, answers))
    assert response.status_code == 400
    assert "a safety rule answers this report instead" in response.content.decode()
    assert not ServiceRequest.objects.filter(parent=rodents).exists()


def test_the_questions_are_for_who_may_file_the_follow_on(client, dumping):
    url = reverse("work:follow_on_questions", args=[dumping.tracking_number])
    client.force_login(User.objects.get(username="tkowalski"))  # the Streets Department's manager
    assert client.get(url, {"follow-service": ""}).status_code == 200
    client.force_login(User.objects.get(username="abrooks"))  # an agent: the work pages are not theirs
    assert client.get(url).status_code == 403


def test_the_admin_follow_on_asks_the_questions_too(client, dumping, demo_city):
    from .factories import StaffFactory

    client.force_login(StaffFactory(username="root", is_superuser=True))
    url = reverse("admin:requests_servicerequest_follow_on", args=[dumping.pk])
    vehicle = Service.objects.get(jurisdiction=demo_city, code="SR-PD01")
    shown = client.post(url, {"service": vehicle.pk, "description": "Kept", "show": "1"}).content.decode()
    assert 'name="attribute[vehicle_description]"' in shown and "errornote" not in shown
    assert not ServiceRequest.objects.filter(parent=dumping).exists()
    refused = client.post(url, {"service": vehicle.pk, "description": "Kept"})
    assert refused.status_code == 200 and 'id="id_attribute_vehicle_description-error"' in refused.content.decode()
    assert not ServiceRequest.objects.filter(parent=dumping).exists()
    answers = valid_answers(vehicle)
    filed = client.post(
        url,
        {
            "service": vehicle.pk,
            "description": "Kept",
            **{f"attribute[{code}]": value for code, value in answers.items()},
        },
    )
    assert filed.status_code == 302
    assert ServiceRequest.objects.get(parent=dumping).attributes == {k: v for k, v in answers.items() if v}
