"""Intake: `submit` either files a whole request (number, routing, place, SLA, history, contact) or refuses
with a ValidationError naming every bad field and writes nothing at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import h3
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from civic311.catalogue.models import RoutingRule, Service, ServiceAttribute
from civic311.catalogue.selectors import sla_due_at
from civic311.people.models import Requester, StaffRole
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Channel, Contact, HistoryEntry, Photo, ServiceRequest
from civic311.service_requests.services import CannedAnswer, Report, submit

from .factories import (
    JurisdictionFactory,
    NeighborhoodFactory,
    RoutingRuleFactory,
    ServiceAttributeFactory,
    ServiceFactory,
    StaffFactory,
    box,
    jpeg,
    select_attribute,
    with_role,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 1, 7, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in Philadelphia
CITY_HALL: dict[str, Any] = {"lat": "39.9526", "long": "-75.1635"}
D = ServiceAttribute.Datatype


@pytest.fixture
def questions(service):
    """One question of each of Open311's six datatypes; "size" is required."""
    ServiceAttributeFactory(service=service, code="where", datatype=D.STRING, description="Where exactly?")
    ServiceAttributeFactory(service=service, code="bags", datatype=D.NUMBER, description="How many bags?")
    ServiceAttributeFactory(service=service, code="seen_at", datatype=D.DATETIME, description="When seen?")
    ServiceAttributeFactory(service=service, code="details", datatype=D.TEXT, description="Anything else?")
    select_attribute(service, "size", ["small", "large"], required=True)
    select_attribute(service, "kinds", ["tires", "furniture", "trash"], multi=True)
    return service


def report(service: Service, **fields) -> Report:
    answers = {"size": "small"} if service.attributes.filter(code="size").exists() else {}
    values: dict[str, Any] = {**CITY_HALL, "description": "Mattresses on the sidewalk.", "answers": answers}
    values.update(fields)
    return Report(service_code=service.code, **values)


def counts() -> dict[str, int]:
    stored = {
        model.__name__: model.objects.count() for model in (ServiceRequest, Requester, Contact, Photo, HistoryEntry)
    }
    photos = Path(django_settings.MEDIA_ROOT) / "photos"
    stored["files"] = sum(1 for path in photos.rglob("*") if path.is_file()) if photos.exists() else 0
    return stored


def refused(jurisdiction, bad_report: Report) -> dict[str, list[str]]:
    """Submit, expect a ValidationError, check nothing was written, return the errors by field."""
    before = counts()
    with pytest.raises(ValidationError) as caught:
        submit(jurisdiction, bad_report, now=NOW)
    assert counts() == before
    return caught.value.message_dict


# --- success -------------------------------------------------------------------------------------------


def test_a_report_files_a_complete_request(jurisdiction, questions, center_city):
    submission = submit(jurisdiction, report(questions, channel=Channel.MOBILE), now=NOW)
    assert submission.created
    request = ServiceRequest.objects.get(pk=submission.service_request.pk)
    assert request.tracking_number == "10000001"
    assert request.status == Status.NEW
    assert request.department == questions.department
    assert request.neighborhood == center_city
    assert request.h3_cell == h3.latlng_to_cell(39.9526, -75.1635, 9)
    assert (request.lat, request.long) == (39.9526, -75.1635)
    assert request.channel == Channel.MOBILE
    assert request.requested_at == request.updated_at == NOW
    assert request.expected_at == sla_due_at(questions, NOW)
    assert request.expected_at == dt.datetime(2026, 1, 14, 22, 0, tzinfo=UTC)  # 5 business days, 17:00 local
    assert request.attributes == {"size": "small"}
    assert request.requester is None
    assert request.open311_status == "open"

    [entry] = request.history.all()
    assert (entry.kind, entry.is_public, entry.to_status, entry.created_at) == (
        HistoryEntry.Kind.OPENED,
        True,
        Status.NEW,
        NOW,
    )
    assert entry.actor is None
    assert entry.who == "Resident"

    [contact] = Contact.objects.all()
    assert contact.outcome == Contact.Outcome.SERVICE_REQUEST
    assert contact.service_request == request
    assert contact.service == questions
    assert contact.channel == Channel.MOBILE
    assert contact.requester is None


def test_tracking_numbers_are_consecutive_and_a_refused_report_uses_none(jurisdiction, service, center_city):
    first = submit(jurisdiction, report(service), now=NOW).service_request
    with pytest.raises(ValidationError):
        submit(jurisdiction, report(service, lat="", long="", address=""), now=NOW)
    second = submit(jurisdiction, report(service), now=NOW).service_request
    third = submit(jurisdiction, report(service), now=NOW).service_request
    assert [first.tracking_number, second.tracking_number, third.tracking_number] == [
        "10000001",
        "10000002",
        "10000003",
    ]


def test_tracking_numbers_are_counted_per_jurisdiction(jurisdiction, service, center_city):
    county = JurisdictionFactory(
        slug="county",
        jurisdiction_id="county.example",
        is_default=False,
        min_lat=39.0,
        max_lat=41.0,
        min_long=-76.0,
        max_long=-74.0,
    )
    county_service = ServiceFactory(jurisdiction=county)
    submit(jurisdiction, report(service), now=NOW)
    assert submit(county, report(county_service), now=NOW).service_request.tracking_number == "10000001"


def test_an_agent_filing_for_a_caller_is_recorded(jurisdiction, service, center_city):
    agent = with_role(StaffFactory(username="agent"), StaffRole.AGENT)
    request = submit(jurisdiction, report(service, channel=Channel.PHONE), actor=agent, now=NOW).service_request
    entry = request.history.get()
    assert entry.actor == agent
    assert entry.who == str(agent)
    assert Contact.objects.get().agent == agent


def test_contact_details_are_stored_apart_from_the_request(jurisdiction, service, center_city):
    request = submit(
        jurisdiction,
        report(service, first_name="  Pat ", last_name="Resident", email="pat@example.org", phone="(215) 686-8686"),
        now=NOW,
    ).service_request
    requester = Requester.objects.get()
    assert (requester.first_name, requester.last_name, requester.email, requester.phone) == (
        "Pat",
        "Resident",
        "pat@example.org",
        "+12156868686",  # E.164
    )
    assert request.requester == requester
    assert Contact.objects.get().requester == requester
    stored = {field.name: getattr(request, field.attname) for field in ServiceRequest._meta.concrete_fields}
    assert not any(
        isinstance(value, str) and ("pat@example.org" in value or "686-8686" in value) for value in stored.values()
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_no_requester_is_stored_when_no_details_are_given(jurisdiction, service, center_city, blank):
    submit(jurisdiction, report(service, first_name=blank, last_name=blank, email=blank, phone=blank), now=NOW)
    assert Requester.objects.count() == 0


def test_every_datatype_accepts_a_good_answer(jurisdiction, questions, center_city):
    answers = {
        "where": "  behind the school ",
        "bags": "3.5",
        "seen_at": "2026-01-06T08:15:00Z",
        "details": "Line one.\nLine two.",
        "size": "large",
        "kinds": ["tires", "trash", "tires"],
    }
    request = submit(jurisdiction, report(questions, answers=answers), now=NOW).service_request
    assert request.attributes == {
        "where": "behind the school",
        "bags": "3.5",
        "seen_at": "2026-01-06T08:15:00Z",
        "details": "Line one.\nLine two.",
        "size": "large",
        "kinds": ["tires", "trash"],
    }


def test_empty_optional_answers_are_left_out(jurisdiction, questions, center_city):
    answers = {"where": "   ", "bags": "", "kinds": [], "size": "small"}
    assert submit(jurisdiction, report(questions, answers=answers), now=NOW).service_request.attributes == {
        "size": "small"
    }


def test_a_description_of_exactly_the_maximum_length_is_accepted(jurisdiction, service, center_city):
    request = submit(jurisdiction, report(service, description="x" * 4000), now=NOW).service_request
    assert len(request.description) == 4000


def test_an_address_only_report_is_accepted_with_the_picked_neighborhood(jurisdiction, service, center_city):
    request = submit(
        jurisdiction,
        report(service, lat="", long="", address="1400  John F Kennedy Blvd", neighborhood="center-city"),
        now=NOW,
    ).service_request
    assert request.neighborhood == center_city
    assert request.address == "1400 John F Kennedy Blvd"
    assert (request.lat, request.long, request.h3_cell) == (None, None, "")


def test_a_point_wins_over_a_picked_neighborhood(jurisdiction, service, center_city):
    fishtown = NeighborhoodFactory(
        jurisdiction=jurisdiction, slug="fishtown", name="Fishtown", boundary=box(-75.14, 39.96, -75.11, 39.99)
    )
    request = submit(
        jurisdiction, report(service, neighborhood="center-city", lat="39.975", long="-75.13"), now=NOW
    ).service_request
    assert request.neighborhood == fishtown


def test_a_point_in_the_city_but_in_no_neighborhood_has_none(jurisdiction, service, center_city):
    request = submit(jurisdiction, report(service, lat="40.05", long="-75.05"), now=NOW).service_request
    assert request.neighborhood is None
    assert request.h3_cell == h3.latlng_to_cell(40.05, -75.05, 9)


def test_photos_are_stored_with_the_request(jurisdiction, service, center_city):
    request = submit(jurisdiction, report(service, photos=[jpeg(), jpeg("second.png")]), now=NOW).service_request
    assert request.photos.count() == 2


# --- idempotency -----------------------------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_first_request_and_writes_nothing_more(jurisdiction, service, center_city):
    first = submit(jurisdiction, report(service, idempotency_key="phone-123"), now=NOW)
    assert first.created
    before = counts()
    again = submit(
        jurisdiction,
        report(service, idempotency_key=" phone-123 ", description="A retry."),
        now=NOW + dt.timedelta(minutes=1),
    )
    assert not again.created
    assert again.service_request.pk == first.service_request.pk
    assert counts() == before
    assert ServiceRequest.objects.get(pk=first.service_request.pk).description == "Mattresses on the sidewalk."


def test_a_retry_returns_the_first_request_even_if_the_retry_would_now_be_refused(jurisdiction, service, center_city):
    first = submit(jurisdiction, report(service, idempotency_key="k1"), now=NOW).service_request
    service.is_active = False
    service.save()
    again = submit(jurisdiction, report(service, idempotency_key="k1", lat="", long=""), now=NOW)
    assert (again.service_request.pk, again.created) == (first.pk, False)


def test_different_keys_and_no_key_make_new_requests(jurisdiction, service, center_city):
    submit(jurisdiction, report(service, idempotency_key="a"), now=NOW)
    assert submit(jurisdiction, report(service, idempotency_key="b"), now=NOW).created
    assert submit(jurisdiction, report(service), now=NOW).created
    assert submit(jurisdiction, report(service), now=NOW).created
    assert ServiceRequest.objects.count() == 4


def test_a_key_longer_than_the_column_is_refused_not_cut_short(jurisdiction, service, center_city):
    # Cut to 100 characters, two different submissions whose keys share a beginning would become one, and
    # the second would be silently lost.
    shared = "device-7f3a/" + "x" * 88
    assert len(shared) == 100
    first = submit(jurisdiction, report(service, idempotency_key=shared), now=NOW)
    assert first.created
    errors = refused(jurisdiction, report(service, idempotency_key=shared + "/second-report"))
    assert list(errors) == ["idempotency_key"]


def test_the_same_key_in_another_jurisdiction_is_a_different_request(jurisdiction, service, center_city):
    county = JurisdictionFactory(slug="county", jurisdiction_id="county.example", is_default=False)
    county_service = ServiceFactory(jurisdiction=county)
    first = submit(jurisdiction, report(service, idempotency_key="same"), now=NOW).service_request
    other = submit(county, report(county_service, idempotency_key="same"), now=NOW)
    assert other.created
    assert other.service_request.pk != first.pk


# --- refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["SR-NOPE", "", "   ", "sr-st02", "SR-ST02; DROP TABLE", "x" * 500])
def test_an_unknown_service_code_is_refused(jurisdiction, service, center_city, code):
    errors = refused(jurisdiction, Report(service_code=code, **CITY_HALL, description="x"))
    assert list(errors) == ["service_code"]


def test_an_information_only_service_takes_no_reports(jurisdiction, center_city):
    info = ServiceFactory(jurisdiction=jurisdiction, kind=Service.Kind.INFORMATION)
    assert "service_code" in refused(jurisdiction, report(info))


def test_an_inactive_service_takes_no_reports(jurisdiction, center_city):
    retired = ServiceFactory(jurisdiction=jurisdiction, is_active=False)
    assert "service_code" in refused(jurisdiction, report(retired))


def test_a_service_of_another_jurisdiction_is_unknown_here(jurisdiction, center_city):
    county = JurisdictionFactory(slug="county", jurisdiction_id="county.example", is_default=False)
    county_service = ServiceFactory(jurisdiction=county, code="SR-CO01")
    assert "service_code" in refused(jurisdiction, report(county_service))


def test_a_missing_required_answer_names_the_attribute(jurisdiction, questions, center_city):
    # The error is keyed by the attribute's code; its message names the question as residents read it.
    label = questions.attributes.get(code="size").description
    errors = refused(jurisdiction, report(questions, answers={}))
    assert list(errors) == ["attribute[size]"]
    assert errors["attribute[size]"] == [f"“{label}” is required."]
    assert refused(jurisdiction, report(questions, answers={"size": "  "}))["attribute[size]"] == [
        f"“{label}” is required."
    ]


@pytest.mark.parametrize(
    ("code", "answer"),
    [
        ("where", "first line\nsecond line"),
        ("where", "carriage\rreturn"),
        ("where", "x" * 501),
        ("bags", "three"),
        ("bags", "3 bags"),
        ("bags", "NaN"),
        ("bags", "nan"),
        ("bags", "Infinity"),
        ("bags", "-Infinity"),
        ("bags", "sNaN"),
        ("bags", "1" * 41),
        ("seen_at", "yesterday"),
        ("seen_at", "2026-02-30T10:00"),
        ("seen_at", "10:00"),
        ("details", "x" * 4001),
        ("size", "medium"),
        ("size", ["small", "large"]),
        ("kinds", ["tires", "sofas"]),
        ("kinds", "sofas"),
    ],
    ids=lambda value: str(value)[:20],
)
def test_a_wrong_answer_for_its_datatype_is_refused(jurisdiction, questions, center_city, code, answer):
    errors = refused(jurisdiction, report(questions, answers={"size": "small", code: answer}))
    assert list(errors) == [f"attribute[{code}]"]


def test_an_answer_to_a_question_the_service_does_not_ask_is_refused(jurisdiction, questions, center_city):
    errors = refused(jurisdiction, report(questions, answers={"size": "small", "colour": "red"}))
    assert list(errors) == ["attribute[colour]"]


def test_an_answer_to_display_only_text_is_refused(jurisdiction, questions, center_city):
    ServiceAttributeFactory(service=questions, code="notice", variable=False, description="Do not touch it.")
    assert "attribute[notice]" in refused(jurisdiction, report(questions, answers={"size": "small", "notice": "ok"}))


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"lat": "39.95", "long": ""}, "long"),
        ({"lat": None, "long": "-75.16"}, "lat"),
        ({"lat": "north", "long": "-75.16"}, "lat"),
        ({"lat": "39.95", "long": "west"}, "long"),
        ({"lat": "91", "long": "-75.16"}, "lat"),
        ({"lat": "39.95", "long": "-181"}, "long"),
        ({"lat": "nan", "long": "-75.16"}, "lat"),
        ({"lat": "inf", "long": "-75.16"}, "lat"),
        ({"lat": "", "long": "", "address": ""}, "location"),
        ({"lat": "", "long": "", "address": "   "}, "location"),
        ({"description": "x" * 4001}, "description"),
        ({"email": "pat@"}, "email"),
        ({"email": "not an address"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "1" * 16}, "phone"),
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "1234567" + "-" * 40}, "phone"),
        ({"neighborhood": "atlantis"}, "neighborhood"),
        ({"zipcode": "ABCDE"}, "zipcode"),
        ({"zipcode": "19107-12345"}, "zipcode"),
        ({"address": "x" * 301}, "address"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_a_bad_field_is_refused_with_its_key_and_writes_nothing(jurisdiction, service, center_city, fields, key):
    assert list(refused(jurisdiction, report(service, **fields))) == [key]


def test_a_neighborhood_slug_longer_than_a_real_one_does_not_match_it(jurisdiction, service, center_city):
    longest = "point-breeze-south-of-washington-avenue-west-annex"
    assert len(longest) == 50  # as long as a slug can be
    NeighborhoodFactory(jurisdiction=jurisdiction, slug=longest, boundary=box(-75.19, 39.92, -75.17, 39.94))
    errors = refused(jurisdiction, report(service, lat="", long="", address="1 Main St", neighborhood=longest + "-2"))
    assert list(errors) == ["neighborhood"]


def test_an_e_mail_address_too_long_for_the_column_is_refused(jurisdiction, service, center_city):
    # Valid by the letter of the validator (which allows 320 characters) but longer than the 254 stored.
    email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com"
    assert len(email) == 255
    assert list(refused(jurisdiction, report(service, email=email))) == ["email"]


@pytest.mark.parametrize(
    ("lat", "long"),
    [("40.7128", "-74.0060"), ("39.8699", "-75.1635"), ("0", "0")],
    ids=["new-york", "just-south", "null-island"],
)
def test_a_point_outside_the_city_is_refused_naming_the_city(jurisdiction, service, center_city, lat, long):
    errors = refused(jurisdiction, report(service, lat=lat, long=long))
    assert list(errors) == ["location"]
    assert "Philadelphia" in errors["location"][0]


def test_a_point_inside_the_bounds_but_outside_the_boundary_is_refused(jurisdiction, service, center_city):
    jurisdiction.boundary = box(-75.28, 39.87, -75.10, 40.14)  # the eastern strip is not the city
    jurisdiction.save()
    errors = refused(jurisdiction, report(service, lat="39.95", long="-75.00"))
    assert "Philadelphia" in errors["location"][0]


def test_too_many_photos_are_refused(jurisdiction, service, center_city):
    errors = refused(jurisdiction, report(service, photos=[jpeg(f"p{n}.jpg") for n in range(6)]))
    assert list(errors) == ["photos"]


def test_five_photos_are_fine(jurisdiction, service, center_city):
    request = submit(
        jurisdiction, report(service, photos=[jpeg(f"p{n}.jpg") for n in range(5)]), now=NOW
    ).service_request
    assert request.photos.count() == 5


def test_a_file_that_is_not_a_photo_is_refused_with_the_others_kept_out_too(jurisdiction, service, center_city):
    fake = SimpleUploadedFile("photo.jpg", b"just some text", content_type="image/jpeg")
    errors = refused(jurisdiction, report(service, photos=[jpeg(), fake]))
    assert list(errors) == ["photos"]
    assert "photo.jpg" in errors["photos"][0]


def test_several_errors_are_all_reported_at_once(jurisdiction, questions, center_city):
    bad = report(
        questions,
        answers={"bags": "NaN", "colour": "red"},
        lat="39.95",
        long="",
        description="x" * 4001,
        email="nope",
        phone="1",
        neighborhood="atlantis",
        zipcode="?",
        address="x" * 301,
        photos=[jpeg(f"p{n}.jpg") for n in range(6)],
    )
    errors = refused(jurisdiction, bad)
    assert set(errors) == {
        "attribute[size]",
        "attribute[bags]",
        "attribute[colour]",
        "long",
        "description",
        "email",
        "phone",
        "neighborhood",
        "zipcode",
        "address",
        "photos",
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"description": "broken\x00text"},
        {"address": "1400 JFK\x00"},
        {"first_name": "Pat\x00"},
        {"phone": "2156868686\x00"},
        {"idempotency_key": "key\x00"},
        {"neighborhood": "center\x00city"},
        {"answers": {"size": "small", "where": "here\x00"}},
        {"answers": {"size": ["small\x00"]}},
    ],
    ids=lambda value: next(iter(value)),
)
def test_text_with_a_nul_character_is_refused_not_a_database_error(jurisdiction, questions, center_city, fields):
    # PostgreSQL can neither store nor look up text containing NUL; it must be a clear error everywhere.
    assert refused(jurisdiction, report(questions, **fields))


def test_a_nul_character_in_the_service_code_is_refused(jurisdiction, service, center_city):
    assert "service_code" in refused(jurisdiction, Report(service_code="SR-ST02\x00", **CITY_HALL))


# --- any input at all --------------------------------------------------------------------------------------

anything = st.text(max_size=60)
# A good report, field by field; each example replaces a random handful of fields with arbitrary input.
GOOD = {
    "service_code": "SR-ST02",
    "description": "Tires in the alley.",
    "address": "1400 JFK Blvd",
    "zipcode": "19102",
    "lat": "39.9526",
    "long": "-75.1635",
    "neighborhood": "center-city",
    "answers": {"size": "small"},
    "first_name": "Pat",
    "last_name": "Resident",
    "email": "pat@example.org",
    "phone": "215-686-8686",
    "channel": "web",
    "idempotency_key": "",
}
WILD = dict.fromkeys(GOOD, anything)
WILD.update(
    service_code=st.one_of(st.sampled_from(["SR-INFO", " SR-ST02 ", "sr-st02"]), anything),
    description=st.one_of(anything, st.text(min_size=3990, max_size=4010, alphabet="ab \n")),
    lat=st.one_of(st.floats(39.8, 40.2).map(str), st.none(), anything, st.floats().map(str)),
    long=st.one_of(st.floats(-75.3, -74.9).map(str), st.none(), anything, st.floats().map(str)),
    answers=st.one_of(
        st.fixed_dictionaries(
            {"size": st.sampled_from(["small", " small ", ["small"], "large", [" large "], ["small", "large"]])},
            optional={
                "where": anything,
                "bags": st.one_of(anything, st.just("3")),
                "details": anything,
                "seen_at": st.one_of(anything, st.just("2026-01-01T10:00")),
                "kinds": st.lists(st.one_of(anything, st.sampled_from(["tires", "trash"])), max_size=4),
            },
        ),
        st.dictionaries(anything, st.one_of(anything, st.lists(anything, max_size=3)), max_size=4),
    ),
)


@pytest.fixture
def any_input_city(jurisdiction, questions, center_city):
    RoutingRuleFactory(
        service=questions,
        kind=RoutingRule.Kind.CANNED_ANSWER,
        attribute_code="size",
        attribute_value="large",
        message="Call 911.",
    )
    RoutingRuleFactory(
        service=questions,
        kind=RoutingRule.Kind.HAZARD_ALERT,
        attribute_code="kinds",
        attribute_value="tires",
        message="Tires burn.",
    )
    ServiceFactory(jurisdiction=jurisdiction, code="SR-INFO", kind=Service.Kind.INFORMATION)
    return jurisdiction


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_any_text_in_any_field_is_either_filed_or_refused_cleanly(any_input_city, data):
    wild = data.draw(st.sets(st.sampled_from(sorted(GOOD))), label="wild fields")
    fields: dict[str, Any] = {name: data.draw(WILD[name], label=name) if name in wild else GOOD[name] for name in GOOD}
    with transaction.atomic():
        before = counts()
        # One drawn report may be refused, answered or filed, and each is checked: no pytest.raises here.
        try:
            submission = submit(any_input_city, Report(**fields), now=NOW)
        except ValidationError as exc:
            event("refused")
            assert exc.message_dict  # noqa: PT017
            assert counts() == before
        except CannedAnswer as answer:
            event("canned answer")
            assert answer.message == "Call 911."  # noqa: PT017
            assert counts()["ServiceRequest"] == before["ServiceRequest"]
        else:
            event("filed")
            request = ServiceRequest.objects.get(pk=submission.service_request.pk)
            assert submission.created
            assert request.service.code == "SR-ST02"
            assert request.attributes.get("size") == "small"  # "large" must always have been answered
            assert request.tracking_number
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("zipcode", "\uff11\uff19\uff11\uff10\uff17"),  # full-width digits
        ("zipcode", "1910"),
        ("phone", "\u00b2\u00b9\u2075 \uff15\uff15\uff15 \uff10\uff11\uff10\uff10"),
    ],  # superscript, full-width
)
def test_only_ascii_digits_count_in_zip_codes_and_phone_numbers(service, center_city, field, value):
    with pytest.raises(ValidationError) as caught:
        submit(
            service.jurisdiction, Report(service_code=service.code, lat="39.9526", long="-75.1635", **{field: value})
        )
    assert field in caught.value.message_dict


def test_a_media_url_is_linked_as_given_and_a_client_name_is_recorded(jurisdiction, service):
    url = "https://photos.example.org/abc.jpg"
    filed = submit(jurisdiction, report(service, media_url=url), actor_label="FixMyStreet", now=NOW).service_request
    assert filed.media_url == url
    assert filed.history.get(kind=HistoryEntry.Kind.OPENED).who == "FixMyStreet"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.org/a.jpg", "not a url", "https://example.org/" + "a" * 600]
)
def test_a_media_url_must_be_a_short_web_address(jurisdiction, service, url):
    with pytest.raises(ValidationError) as caught:
        submit(jurisdiction, report(service, media_url=url), now=NOW)
    assert "media_url" in caught.value.message_dict
    assert not ServiceRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_listeners_hear_of_a_filed_request_only_once_it_is_committed(jurisdiction, service):
    from civic311.service_requests.signals import service_request_filed

    heard: list[tuple[int, bool]] = []

    def listener(sender, service_request, **kwargs):
        heard.append((service_request.pk, ServiceRequest.objects.filter(pk=service_request.pk).exists()))

    service_request_filed.connect(listener)
    try:
        with transaction.atomic():
            filed = submit(jurisdiction, report(service), now=NOW).service_request
            assert heard == []
        assert heard == [(filed.pk, True)]
        # The block is the transaction that rolls back: the filing in it, then the error that undoes it.
        with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
            submit(jurisdiction, report(service, idempotency_key="rolled-back"), now=NOW)
            raise RuntimeError
        assert len(heard) == 1
    finally:
        service_request_filed.disconnect(listener)


def test_what_a_caller_writes_with_the_request_stands_or_falls_with_it(jurisdiction, service):
    def audit_that_fails(service_request):
        assert ServiceRequest.objects.filter(pk=service_request.pk).exists()
        raise RuntimeError("the audit could not be written")

    with pytest.raises(RuntimeError):
        submit(jurisdiction, report(service), also=audit_that_fails, now=NOW)
    assert not ServiceRequest.objects.exists()
    assert not HistoryEntry.objects.exists()
    assert not Contact.objects.exists()
    # The number was taken: a failed filing leaves a gap, never a shared number.
    assert submit(jurisdiction, report(service), now=NOW).service_request.tracking_number == "10000002"


@pytest.mark.django_db(transaction=True)
def test_listeners_hear_of_each_history_entry_once_it_is_committed(jurisdiction, service, staff):
    from civic311.service_requests.services import change_status
    from civic311.service_requests.signals import history_recorded

    heard: list[tuple[str, bool]] = []

    def listener(sender, history_entry, **kwargs):
        heard.append((history_entry.kind, history_entry.is_public))

    history_recorded.connect(listener)
    try:
        filed = submit(jurisdiction, report(service), now=NOW).service_request
        assert heard == [(HistoryEntry.Kind.OPENED, True)]
        change_status(filed, Status.IN_PROGRESS, actor=staff, internal_note="Crew on the way.")
        assert heard[1:] == [(HistoryEntry.Kind.STATUS, True), (HistoryEntry.Kind.NOTE, False)]
        with pytest.raises(ValidationError):
            change_status(filed, Status.NEW, actor=staff)
        assert len(heard) == 3
    finally:
        history_recorded.disconnect(listener)
