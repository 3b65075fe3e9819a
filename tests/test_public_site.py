"""The public site through Django's test client: pages, the report form, its errors, tracking."""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from civic311.catalogue.models import RoutingRule, Service, ServiceAttribute
from civic311.people.models import Requester, StaffRole
from civic311.service_requests import services
from civic311.service_requests.models import Contact, Photo, ServiceRequest

from .factories import (
    AttributeValueFactory,
    RoutingRuleFactory,
    ServiceAttributeFactory,
    ServiceFactory,
    StaffFactory,
    filed_request,
    select_attribute,
    with_role,
)

CITY_HALL = {"lat": "39.9526", "long": "-75.1635"}


# --- helpers ------------------------------------------------------------------------------------


class _TextById(HTMLParser):
    """The text inside the element with a given id (enough HTML parsing for these tests)."""

    VOID = {"input", "img", "br", "meta", "link", "hr", "source", "area", "base", "col", "embed", "wbr"}

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.found = False
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.found = True
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def text_of(response, element_id: str) -> str | None:
    parser = _TextById(element_id)
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split()) if parser.found else None


def text_found(response, element_id: str) -> str:
    """The element's text, which must be on the page."""
    text = text_of(response, element_id)
    assert text is not None, f"no #{element_id} on the page"
    return text


def counts() -> dict[str, int]:
    return {
        "requests": ServiceRequest.objects.count(),
        "contacts": Contact.objects.count(),
        "requesters": Requester.objects.count(),
        "photos": Photo.objects.count(),
    }


def jpeg_bytes(*, size=(64, 48), exif_gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 40, 40))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "PhoneModel X"  # Model
        gps = exif.get_ifd(0x8825)
        gps[1] = "N"
        gps[2] = (39.0, 57.0, 9.36)
        gps[3] = "W"
        gps[4] = (75.0, 9.0, 48.6)
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english_between_requests():
    # LocaleMiddleware leaves the last request's language active in the test's thread.
    with translation.override("en"):
        yield


def dumping_request(service, **fields) -> ServiceRequest:
    """A request for the form service, filed through the real intake rule, with its required answers."""
    fields.setdefault("answers", {"what": "Tires", "size": "small"})
    return filed_request(service, **fields)


@pytest.fixture
def form_service(service, center_city):
    """Illegal Dumping with one question of every kind, translated to Spanish."""
    service.keywords = "dumping, trash, rubbish"
    service.description = "Trash or debris dumped on a street, sidewalk or lot."
    service.translations = {"es": {"name": "Vertido ilegal", "description": "Basura tirada en la calle."}}
    service.save()
    ServiceAttributeFactory(
        service=service, code="note", variable=False, order=0, description="Do not touch needles or chemicals."
    )
    ServiceAttributeFactory(
        service=service,
        code="what",
        order=1,
        required=True,
        description="What was dumped?",
        datatype_description="For example: tires",
        translations={"es": {"description": "¿Qué se tiró?"}},
    )
    ServiceAttributeFactory(
        service=service, code="bags", order=2, datatype=ServiceAttribute.Datatype.NUMBER, description="How many bags?"
    )
    ServiceAttributeFactory(
        service=service,
        code="seen_at",
        order=3,
        datatype=ServiceAttribute.Datatype.DATETIME,
        description="When did you see it?",
    )
    ServiceAttributeFactory(
        service=service, code="details", order=4, datatype=ServiceAttribute.Datatype.TEXT, description="Anything else?"
    )
    size = select_attribute(service, "size", ["small", "large"], required=True)
    size.order, size.description = 5, "How big is the pile?"
    size.save()
    where = select_attribute(service, "where", ["street", "sidewalk", "lot", "alley", "park", "yard", "other"])
    where.order, where.description = 6, "Where is it?"
    where.save()
    kinds = select_attribute(service, "kinds", ["tires", "furniture", "construction"], multi=True)
    kinds.order, kinds.description = 7, "What kinds of things?"
    kinds.save()
    return service


def valid_report(**overrides) -> dict:
    data = {
        "attribute[what]": "Old tires",
        "attribute[bags]": "3",
        "attribute[seen_at]": "2025-01-15T08:30",
        "attribute[details]": "Behind the fence.",
        "attribute[size]": "large",
        "attribute[where]": "street",
        "attribute[kinds]": ["tires", "furniture"],
        "description": "A pile of tires on the sidewalk.",
        "address": "1400 John F Kennedy Blvd",
        "zipcode": "19107",
        **CITY_HALL,
        "first_name": "Pat",
        "last_name": "Resident",
        "email": "pat@example.org",
        "phone": "215-555-0100",
        "idempotency_key": "7f1c3a9e-0000-4000-8000-000000000001",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def report_url(form_service):
    return reverse("public:report", args=[form_service.code])


# --- every page, in English and Spanish ---------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_page_renders_in_each_language(client, form_service, language):
    service_request = dumping_request(form_service)
    client.cookies["django_language"] = language
    urls = [
        reverse("public:home"),
        reverse("public:choose_service"),
        reverse("public:choose_service") + "?q=dumping",
        reverse("public:report", args=[form_service.code]),
        reverse("public:confirmation", args=[service_request.tracking_number]),
        reverse("public:track"),
        reverse("public:track_request", args=[service_request.tracking_number]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{language}" dir="ltr">' in html, url
        assert 'href="#main"' in html and '<main id="main"' in html
        assert 'action="/language/"' in html
    if language == "es":
        assert "Vertido ilegal" in client.get(reverse("public:home")).content.decode()
        form = client.get(reverse("public:report", args=[form_service.code])).content.decode()
        assert "¿Qué se tiró?" in form and "Basura tirada en la calle." in form


def test_the_language_switcher_sets_the_language(form_service):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # the form carries no token, and needs none
    response = client.post("/language/", {"language": "es", "next": "/report/"})
    assert response.status_code == 302 and response["Location"] == "/report/"
    assert client.cookies["django_language"].value == "es"
    assert '<html lang="es"' in client.get("/").content.decode()
    # `next` must still be one of our pages.
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_pages_have_no_inline_scripts_or_styles(client, form_service):
    """The content security policy forbids them; a stray one would silently not run."""
    service_request = dumping_request(form_service)
    for url in [
        "/",
        "/report/",
        reverse("public:report", args=[form_service.code]),
        reverse("public:track_request", args=[service_request.tracking_number]),
    ]:
        response = client.get(url)
        html = response.content.decode()
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert " style=" not in html and "<style" not in html, url
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)


def test_home_offers_search_report_track_and_the_services(client, form_service):
    html = client.get("/").content.decode()
    assert "Philadelphia" in html
    assert 'action="/report/"' in html and 'name="q"' in html
    assert 'action="/track/"' in html and 'name="number"' in html
    assert "Illegal Dumping" in html and form_service.group.name in html


def test_choosing_a_service_searches_and_lists_by_group(client, form_service):
    ServiceFactory(jurisdiction=form_service.jurisdiction, name="Pothole Repair", keywords="hole, road")
    ServiceFactory(jurisdiction=form_service.jurisdiction, name="Tree Information", kind=Service.Kind.INFORMATION)
    listing = client.get("/report/").content.decode()
    assert "Illegal Dumping" in listing and "Pothole Repair" in listing
    assert "Tree Information" not in listing
    assert "Usually handled in: 5 Business Days" in listing

    results = client.get("/report/", {"q": "dumping"})
    assert "1 service matches “dumping”" in text_found(results, "results-heading")
    assert "Illegal Dumping" in results.content.decode()
    assert "Pothole Repair" not in results.content.decode()

    none = client.get("/report/", {"q": "zebra crossing"})
    assert none.status_code == 200 and "0 services match" in text_found(none, "results-heading")


# --- the report form ----------------------------------------------------------------------------


def test_the_report_form_renders_every_datatype(client, form_service, report_url):
    response = client.get(report_url)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert re.search(r'<input[^>]*name="attribute\[what\]"[^>]*type="text"[^>]*required', html)
    assert re.search(r'name="attribute\[bags\]"[^>]*type="number"', html)
    assert re.search(r'name="attribute\[seen_at\]"[^>]*type="datetime-local"', html)
    assert re.search(r'<textarea[^>]*name="attribute\[details\]"', html)
    assert len(re.findall(r'type="radio"[^>]*name="attribute\[size\]"', html)) == 2
    assert re.search(r'<select[^>]*name="attribute\[where\]"', html)  # seven choices: a select
    assert len(re.findall(r'type="checkbox"[^>]*name="attribute\[kinds\]"', html)) == 3
    # A note is shown, not asked; required questions are marked; help text is linked.
    assert text_of(response, "id_attribute_note") == "Do not touch needles or chemicals."
    assert 'name="attribute[note]"' not in html
    assert "What was dumped? (required)" in text_found(response, "main")
    assert text_of(response, "id_attribute_what-help") == "For example: tires"
    assert re.search(r'id="id_attribute_what"[^>]*aria-describedby="id_attribute_what-help"', html)
    # Location without JavaScript, the neighborhood list, photos, private contact details.
    for name in ("address", "zipcode", "lat", "long", "first_name", "last_name", "email", "phone"):
        assert f'name="{name}"' in html, name
    assert '<option value="center-city">Center City</option>' in html
    assert re.search(r'<input[^>]*type="file"[^>]*name="photos"[^>]*multiple accept="image/\*"', html)
    assert "We keep your name, e-mail address and phone number private." in text_found(response, "contact-privacy")
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', html)
    assert key, "a fresh idempotency key"
    other = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', client.get(report_url).content.decode())
    assert other, "a fresh idempotency key"
    assert key.group(1) != other.group(1)
    assert 'id="map-config"' in html and "vendor/leaflet/leaflet.js" in html


def test_a_valid_report_files_one_request_and_shows_the_confirmation(client, form_service, report_url):
    response = client.post(report_url, valid_report())
    assert response.status_code == 302
    service_request = ServiceRequest.objects.get()
    assert response["Location"] == reverse("public:confirmation", args=[service_request.tracking_number])
    assert service_request.channel == "web"
    assert service_request.attributes == {
        "what": "Old tires",
        "bags": "3",
        "seen_at": "2025-01-15T08:30",
        "details": "Behind the fence.",
        "size": "large",
        "where": "street",
        "kinds": ["tires", "furniture"],
    }
    assert service_request.neighborhood is not None
    assert service_request.neighborhood.slug == "center-city"
    assert service_request.requester is not None
    assert service_request.requester.email == "pat@example.org"

    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    page = text_found(confirmation, "main")
    assert f"Your tracking number is {service_request.tracking_number}" in page
    assert "5 Business Days" in page
    expected = timezone.localtime(service_request.expected_at, form_service.jurisdiction.zone)
    assert f"By 5:00 p.m. on {expected:%A}, {expected:%B} {expected.day}, {expected.year}" in page
    assert reverse("public:track_request", args=[service_request.tracking_number]) in confirmation.content.decode()
    for private in ("Pat", "Resident", "pat@example.org", "555-0100", "1400 John F Kennedy"):
        assert private not in confirmation.content.decode()


def test_sending_the_same_report_twice_files_it_once(client, form_service, report_url):
    first = client.post(report_url, valid_report())
    again = client.post(report_url, valid_report())
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert ServiceRequest.objects.count() == 1
    assert Requester.objects.count() == 1


def test_the_idempotency_key_survives_a_rerender_after_errors(client, form_service, report_url):
    response = client.post(report_url, valid_report(description="x" * 4001))
    assert response.status_code == 400
    assert 'name="idempotency_key" value="7f1c3a9e-0000-4000-8000-000000000001"' in response.content.decode()
    # What the resident typed is kept, choices included.
    html = response.content.decode()
    assert 'value="Old tires"' in html
    assert re.search(r'value="large" checked', html) and re.search(r'value="tires" checked', html)
    assert '<option value="street" selected>' in html


def _photo(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("case", "overrides", "field_id", "message"),
    [
        (
            "missing required answer",
            {"attribute[what]": ""},
            "id_attribute_what-error",
            "“What was dumped?” is required",
        ),
        (
            "missing required choice",
            {"attribute[size]": None},
            "id_attribute_size-error",
            "“How big is the pile?” is required",
        ),
        (
            "a letter in a number",
            {"attribute[bags]": "3a"},
            "id_attribute_bags-error",
            "“How many bags?” must be a number.",
        ),
        ("not a date", {"attribute[seen_at]": "yesterday"}, "id_attribute_seen_at-error", "must be a date and time"),
        (
            "not one of the choices",
            {"attribute[size]": "huge"},
            "id_attribute_size-error",
            "“huge” is not one of the choices",
        ),
        (
            "outside the city",
            {"lat": "40.7128", "long": "-74.0060"},
            "id_location-error",
            "That point is outside Philadelphia.",
        ),
        (
            "no location at all",
            {"lat": "", "long": "", "address": ""},
            "id_location-error",
            "Tell us where the problem is",
        ),
        ("latitude without longitude", {"long": ""}, "id_long-error", "Give both the latitude and the longitude."),
        ("latitude out of range", {"lat": "123"}, "id_lat-error", "between -90 and 90"),
        (
            "description too long",
            {"description": "x" * 4001},
            "id_description-error",
            "at most 4000 characters; it has 4001",
        ),
        ("bad e-mail", {"email": "pat@"}, "id_email-error", "Enter a valid e-mail address"),
        ("bad phone", {"phone": "12"}, "id_phone-error", "Enter a phone number such as (201) 555-0123"),
        ("bad ZIP code", {"zipcode": "ABCDE"}, "id_zipcode-error", "Enter a ZIP code like 19107."),
        (
            "unknown neighborhood",
            {"neighborhood": "atlantis", "lat": "", "long": ""},
            "id_neighborhood-error",
            "Choose a neighborhood from the list.",
        ),
    ],
)
def test_bad_input_comes_back_next_to_its_field_and_writes_nothing(
    client, form_service, report_url, case, overrides, field_id, message
):
    before = counts()
    response = client.post(report_url, valid_report(**overrides))
    assert response.status_code == 400, case
    assert message in (text_of(response, field_id) or ""), (case, text_of(response, "error-summary"))
    summary = text_of(response, "error-summary")
    assert summary and message in summary
    anchor = field_id.removesuffix("-error")
    if anchor == "id_location":
        anchor = "id_address"
    if anchor == "id_attribute_size":
        anchor = "id_attribute_size_0"
    assert f'href="#{anchor}"' in response.content.decode()
    assert counts() == before
    assert response.content.decode().startswith("<!doctype html>") or "<html" in response.content.decode()
    assert "<title>Error:" in response.content.decode()


def test_a_missing_answer_names_the_question_never_its_internal_code(client, form_service, report_url):
    response = client.post(report_url, valid_report(**{"attribute[what]": "", "attribute[size]": None}))
    assert response.status_code == 400
    html = response.content.decode()
    assert text_of(response, "id_attribute_what-error") == "Error: “What was dumped?” is required."
    assert text_of(response, "id_attribute_size-error") == "Error: “How big is the pile?” is required."
    assert "(attribute" not in html and "attribute what" not in html and "attribute size" not in html


def test_an_oversize_photo_is_refused(client, form_service, report_url, settings):
    settings.CIVIC311_PHOTO_MAX_BYTES = 1024 * 1024
    before = counts()
    big = jpeg_bytes() + b"\0" * (1024 * 1024)
    response = client.post(report_url, valid_report(photos=[_photo("big.jpg", big)]))
    assert response.status_code == 400
    assert "The photo “big.jpg” is larger than 1 MB." in text_found(response, "id_photos-error")
    assert counts() == before


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(client, form_service, report_url):
    before = counts()
    fake = _photo("holiday.jpg", b"%PDF-1.4 this is not a picture at all")
    response = client.post(report_url, valid_report(photos=[fake]))
    assert response.status_code == 400
    assert "“holiday.jpg” is not a photo we can read." in text_found(response, "id_photos-error")
    assert "choose your photos again" in text_found(response, "id_photos-again")
    assert counts() == before


def test_a_photo_is_stored_as_a_jpeg_without_exif(client, form_service, report_url):
    original = jpeg_bytes(exif_gps=True)
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get_ifd(0x8825), "the test photo carries a GPS position"
    upload = _photo("IMG_0001.png", original, "image/png")  # the name and type are not trusted
    response = client.post(report_url, valid_report(photos=[upload]))
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert photo.image.name is not None
    assert photo.image.name.endswith(".jpg") and "IMG_0001" not in photo.image.name
    with photo.image.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info
        assert image.size == (64, 48)


def test_unknown_or_information_only_services_are_not_found(client, form_service):
    info = ServiceFactory(jurisdiction=form_service.jurisdiction, kind=Service.Kind.INFORMATION)
    before = counts()
    for code in ("SR-NOPE", info.code):
        url = reverse("public:report", args=[code])
        assert client.get(url).status_code == 404
        response = client.post(url, valid_report())
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()
    assert counts() == before


def test_a_canned_answer_is_shown_and_files_no_request(client, form_service, report_url):
    gas = select_attribute(form_service, "gas", ["yes", "no"])
    gas.description = "Do you smell gas?"
    gas.save()
    RoutingRuleFactory(
        service=form_service,
        kind=RoutingRule.Kind.CANNED_ANSWER,
        attribute_code="gas",
        attribute_value="yes",
        message="Leave the area now and call 911.",
    )
    response = client.post(report_url, valid_report(**{"attribute[gas]": "yes"}))
    assert response.status_code == 200
    assert text_of(response, "canned-answer-title") == "Important: please read this"
    assert "Leave the area now and call 911." in text_found(response, "main")
    assert ServiceRequest.objects.count() == 0
    assert Requester.objects.count() == 0


def test_a_report_with_only_an_address_and_a_neighborhood_is_taken(client, form_service, report_url):
    response = client.post(report_url, valid_report(lat="", long="", neighborhood="center-city"))
    assert response.status_code == 302
    service_request = ServiceRequest.objects.get()
    assert service_request.neighborhood is not None
    assert service_request.lat is None and service_request.neighborhood.slug == "center-city"


# --- confirmation and tracking ------------------------------------------------------------------


def test_the_confirmation_of_an_unknown_number_is_not_found(client, jurisdiction):
    assert client.get(reverse("public:confirmation", args=["99999999"])).status_code == 404


def test_tracking_by_number(client, form_service):
    service_request = dumping_request(form_service)
    found = client.get("/track/", {"number": f" #{service_request.tracking_number} "})
    assert found.status_code == 302
    assert found["Location"] == reverse("public:track_request", args=[service_request.tracking_number])

    missing = client.get("/track/", {"number": "12345"})
    assert missing.status_code == 404
    assert "We couldn't find a request with the number 12345" in text_found(missing, "error-summary")

    empty = client.get("/track/", {"number": ""})
    assert empty.status_code == 400
    assert "Enter the tracking number" in text_found(empty, "id_number-error")

    assert client.get(reverse("public:track_request", args=["424242"])).status_code == 404
    # Nothing a city could have: not found, never a database error.
    assert client.get("/track/10%0000001/").status_code == 404
    assert client.get("/report/done/10%0000001/").status_code == 404
    assert client.get("/report/SR%00ST02/").status_code == 404
    assert client.get("/track/", {"number": "10\x0000001"}).status_code == 400
    assert client.get("/track/").status_code == 200


def test_the_track_page_shows_the_public_story_only(client, form_service, staff):
    service_request = dumping_request(
        form_service,
        address="1400 John F Kennedy Blvd",
        first_name="Pat",
        last_name="Quietly",
        email="pat.quietly@example.org",
        phone="215-555-0199",
        answers={"what": "Tires", "size": "large", "kinds": ["tires"]},
        photos=[_photo("a.jpg", jpeg_bytes())],
    )
    worker = with_role(
        StaffFactory(username="crew", first_name="Casey", last_name="Crewmember"),
        StaffRole.DEPARTMENT_STAFF,
        service_request.department,
    )
    services.change_status(
        service_request, "assigned", actor=staff, assignee=worker, internal_note="Gate code 4411, ask for Bob."
    )
    services.add_note(service_request, "Crew scheduled for Tuesday.", actor=staff, public=True)
    services.add_note(service_request, "Internal: owner is a repeat offender.", actor=staff, public=False)
    services.change_status(service_request, "in_progress", actor=staff)

    response = client.get(reverse("public:track_request", args=[service_request.tracking_number]))
    assert response.status_code == 200
    page = text_found(response, "main")
    html = response.content.decode()
    assert "Illegal Dumping" in page
    assert "Status: In progress" in page and "Open" in page
    assert "Latest update: Crew scheduled for Tuesday." in page
    history = text_found(response, "history-heading") and page[page.index("History") :]
    assert "Request received" in history and "By: Resident" in history
    assert "Status changed to Assigned" in history and "Status changed to In progress" in history
    assert "Crew scheduled for Tuesday." in history and "By: City staff" in history
    assert "1400 John F Kennedy Blvd" in page
    assert "How big is the pile?" in page and "Large" in page
    assert Photo.objects.get().image.url in html
    for secret in (
        "Gate code",
        "repeat offender",
        "Casey",
        "Crewmember",
        "Sam",
        staff.last_name,
        "Quietly",
        "pat.quietly@example.org",
        "555-0199",
        "Assigned to",
    ):
        assert secret not in html, secret


def test_a_closed_request_shows_closed_and_its_reason(client, form_service, staff):
    service_request = dumping_request(form_service)
    services.change_status(service_request, "closed", actor=staff, public_reason="Repair Completed")
    page = text_found(client.get(reverse("public:track_request", args=[service_request.tracking_number])), "main")
    assert "Closed" in page and "Reason: Repair Completed" in page
    assert "Status changed to Closed" in page


def test_a_private_request_hides_its_address(client, form_service):
    private = dumping_request(
        form_service,
        address="1234 Hidden Lane",
        is_private=True,
        answers={"what": "Secret answer", "size": "small"},
        photos=[_photo("p.jpg", jpeg_bytes())],
    )
    html = client.get(reverse("public:track_request", args=[private.tracking_number])).content.decode()
    assert "This request is private" in html and "Illegal Dumping" not in html  # only that it exists (issue 14)
    assert "1234 Hidden Lane" not in html and "Secret answer" not in html and "/media/" not in html
    public = dumping_request(form_service, address="1500 Market St")
    public_page = client.get(reverse("public:track_request", args=[public.tracking_number]))
    assert "1500 Market St" in public_page.content.decode()


def test_an_overdue_request_is_marked(client, form_service):
    service_request = dumping_request(form_service)
    ServiceRequest.objects.filter(pk=service_request.pk).update(expected_at=timezone.now() - dt.timedelta(days=2))
    response = client.get(reverse("public:track_request", args=[service_request.tracking_number]))
    assert "Overdue" in text_found(response, "main")
    fresh = dumping_request(form_service)
    assert "Overdue" not in text_found(
        client.get(reverse("public:track_request", args=[fresh.tracking_number])), "main"
    )


def test_the_neighborhoods_for_the_map(client, center_city):
    response = client.get(reverse("public:neighborhoods"))
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert data["features"][0]["properties"] == {"slug": "center-city", "name": "Center City"}
    assert data["features"][0]["geometry"]["type"] == "Polygon"


def test_pages_without_a_city_do_not_fail(client, db):
    assert client.get("/").status_code == 200
    assert client.get("/report/").status_code == 404


def test_an_unknown_page_is_a_friendly_404(client, jurisdiction):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_attribute_values_are_listed_in_the_readers_language(client, form_service, report_url):
    value = AttributeValueFactory(
        attribute=form_service.attributes.get(code="kinds"),
        key="mattress",
        name="Mattress",
        translations={"es": {"name": "Colchón"}},
    )
    assert value.name in client.get(report_url).content.decode()
    client.cookies["django_language"] = "es"
    assert "Colchón" in client.get(report_url).content.decode()


def test_the_confirmation_of_a_private_request_shows_only_that_it_is_private(client, service, center_city):
    from django.core import signing

    from civic311.public.views import CONFIRMATION_SALT

    form_service = service
    private = filed_request(service, is_private=True)
    url = reverse("public:confirmation", args=[private.tracking_number])
    html = client.get(url).content.decode()
    # Tracking numbers are consecutive: nobody walking through them learns what a private request is about.
    assert "This request is private" in html
    assert form_service.name not in html and form_service.department.name not in html
    forged = signing.dumps(str(int(private.tracking_number) + 1), salt=CONFIRMATION_SALT)
    assert form_service.name not in client.get(f"{url}?t={forged}").content.decode()
    # The browser that filed it holds the signed link the form redirected it to.
    own = signing.dumps(private.tracking_number, salt=CONFIRMATION_SALT)
    assert form_service.name in client.get(f"{url}?t={own}").content.decode()
