"""The department request page shows what the resident answered, where the point is (with and without
JavaScript), and before/after labels on photos; the public track page labels its photos too (issue 14)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from civic311.catalogue.models import ServiceAttribute
from civic311.service_requests import services as requests
from civic311.service_requests.models import Photo

from .factories import ServiceAttributeFactory, jpeg, select_attribute

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(world):
    """The pothole service asks a choice, several choices, a number and a text."""
    service = world.pothole
    select_attribute(service, "surface", ["asphalt", "brick_pavers"], required=True).values.filter(
        key="brick_pavers"
    ).update(name="Brick or pavers", translations={"es": {"name": "Ladrillo o adoquines"}})
    material = select_attribute(service, "hazards", ["glass", "oil_spill"], multi=True)
    material.values.filter(key="oil_spill").update(name="Oil spill")
    ServiceAttributeFactory(
        service=service, code="depth", datatype=ServiceAttribute.Datatype.NUMBER, description="How deep, in inches?"
    )
    ServiceAttributeFactory(
        service=service,
        code="notes",
        datatype=ServiceAttribute.Datatype.TEXT,
        description="Anything else the crew should know?",
    )
    return service


def page_of(client, user, number: str) -> str:
    client.force_login(user)
    response = client.get(reverse("work:request", args=[number]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_answers_show_with_their_questions_and_choice_names(client, world, questions):
    filed = world.file(
        questions,
        answers={
            "surface": "brick_pavers",
            "hazards": ["glass", "oil_spill"],
            "depth": "4.5",
            "notes": "Near the school\ncrossing.",
        },
    )
    html = page_of(client, world.streets_worker, filed.tracking_number)
    answers = dict(
        re.findall(r'<dt class="col-sm-3 work-question">([^<]*)</dt><dd class="col-sm-9 work-answer">(.*?)</dd>', html)
    )
    surface = questions.attributes.get(code="surface").description
    hazards = questions.attributes.get(code="hazards").description
    assert answers == {
        surface: "Brick or pavers",
        hazards: "Glass, Oil spill",
        "How deep, in inches?": "4.5",
        "Anything else the crew should know?": "Near the school<br>crossing.",
    }
    assert "brick_pavers" not in html and "oil_spill" not in html  # keys are the catalogue's, not for people


def test_staff_see_the_answers_of_a_private_request_the_public_does_not(client, world, questions):
    filed = world.file(questions, answers={"surface": "asphalt"}, is_private=True)
    assert '<dd class="col-sm-9 work-answer">Asphalt</dd>' in page_of(
        client, world.streets_worker, filed.tracking_number
    )
    client.logout()
    public = client.get(reverse("public:track_request", args=[filed.tracking_number])).content.decode()
    assert "Asphalt" not in public


def test_the_point_is_on_a_map_and_in_words_without_javascript(client, world):
    filed = world.file(world.pothole, lat="39.9526", long="-75.1635")
    html = page_of(client, world.streets_worker, filed.tracking_number)
    # Without JavaScript: the coordinates and the neighborhood are in the details.
    assert "Latitude 39.952600, longitude -75.163500" in html
    assert "Center City" in html
    # With it: the vendored Leaflet (no CDN), and the map's point and marker images.
    assert re.search(r'<section class="mb-3 work-map-section" aria-labelledby="map-heading" hidden>', html)
    assert 'data-lat="39.952600" data-long="-75.163500"' in html
    assert '<script src="/static/vendor/leaflet/leaflet.js" defer></script>' in html
    assert 'data-icon-url="/static/vendor/leaflet/images/marker-icon.png"' in html
    assert "unpkg.com" not in html and "cdn" not in html.lower()


def test_a_request_without_a_point_has_no_map(client, world):
    filed = world.file(world.pothole, lat="", long="", address="1400 John F Kennedy Blvd", neighborhood="center-city")
    html = page_of(client, world.streets_worker, filed.tracking_number)
    assert 'id="request-map"' not in html and "Latitude" not in html
    assert "1400 John F Kennedy Blvd" in html and "Center City" in html


def test_photos_are_labelled_before_and_after_for_staff_and_residents(client, world):
    filed = world.file(world.pothole, photos=[jpeg("before.jpg")])
    requests.add_photo(filed, jpeg("after.jpg"), actor=world.streets_worker, stage=Photo.Stage.AFTER, public=True)
    requests.add_photo(filed, jpeg("inside.jpg"), actor=world.streets_worker, stage=Photo.Stage.AFTER, public=False)
    html = page_of(client, world.streets_worker, filed.tracking_number)
    stages = re.findall(r'data-stage="(\w+)">([^<]+)</span> · (\w+)', html)
    assert stages == [
        ("before", "Before the work", "public"),
        ("after", "After the work", "public"),
        ("after", "After the work", "internal"),
    ]
    assert 'alt="Photo 2, after the work"' in html
    client.logout()
    public = client.get(reverse("public:track_request", args=[filed.tracking_number])).content.decode()
    assert re.findall(r'data-stage="(\w+)">([^<]+)</figcaption>', public) == [
        ("before", "Before the work"),
        ("after", "After the work"),
    ]
    assert 'alt="Photo 1, before the work"' in public and 'alt="Photo 2, after the work"' in public


def test_the_labels_and_answers_are_in_spanish_too(client, world, questions):
    filed = world.file(questions, answers={"surface": "brick_pavers"}, photos=[jpeg("before.jpg")])
    client.force_login(world.streets_worker)
    html = client.get(reverse("work:request", args=[filed.tracking_number]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Ladrillo o adoquines" in html


def test_the_answers_are_read_with_the_questions_this_process_keeps(world, questions):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civic311.service_requests import selectors as requests_selectors

    filed = world.file(questions, answers={"surface": "brick_pavers", "depth": "3"})  # filing keeps the catalogue
    with CaptureQueriesContext(connection) as read:
        answers = requests_selectors.answers_of(filed)
    assert answers == [
        (questions.attributes.get(code="surface").description, "Brick or pavers"),
        ("How deep, in inches?", "3"),
    ]
    assert read.captured_queries == []
    # A service made after the catalogue was kept has its questions too (saving it forgets the kept copy).
    from civic311.catalogue.selectors import questions_of
    from tests.factories import ServiceFactory

    newer = ServiceFactory(jurisdiction=questions.jurisdiction, department=questions.department, code="NEW-1")
    ServiceAttributeFactory(
        service=newer, code="size", datatype=ServiceAttribute.Datatype.STRING, description="How big?"
    )
    assert [question.code for question in questions_of(questions.jurisdiction, newer)] == ["size"]
