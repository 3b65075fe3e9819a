"""Issue 17 Part B: the Youth Engagement Program's field walks. Opening and closing a walk's link, filing from
it through the public form's own rule (nothing half-written, no contact details, the tag), and the figures of
a cohort's walk requests against values worked out by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from civic311.catalogue.models import Service, ServiceAttribute
from civic311.community.models import CohortSession, WalkReport
from civic311.community.selectors import field_walks as walks
from civic311.community.services import field_walks
from civic311.community.services.field_walks import WalkReportData, WalkUnavailable
from civic311.people.models import Requester, StaffRole, User
from civic311.service_requests.models import Channel, Contact, Photo, ServiceRequest
from civic311.service_requests.services import CannedAnswer

from ..factories import JurisdictionFactory, ServiceAttributeFactory, ServiceFactory, jpeg, staff_in_role
from .helpers import community_staff, make_liaison, walk_cohort, walk_services

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("America/New_York")
AT_CITY_HALL = {"lat": "39.9526", "long": "-75.1635"}
# Session 2 runs 3:00 to 5:00 pm on July 8, 2026; its walk is during it.
DURING_WALK = dt.datetime(2026, 7, 8, 15, 45, tzinfo=CITY)
BEFORE_WALK = dt.datetime(2026, 7, 8, 14, 0, tzinfo=CITY)


@pytest.fixture
def world(jurisdiction, department, center_city):
    cohort, sessions, people = walk_cohort(jurisdiction)
    return {
        "cohort": cohort,
        "sessions": sessions,
        "people": people,
        "services": walk_services(jurisdiction, department),
    }


@pytest.fixture
def casey(db):
    return community_staff()


@pytest.fixture
def open_session(world, casey):
    return field_walks.open_walk(world["sessions"][2], casey, now=BEFORE_WALK)


def report(service="SR-CL01", **fields):
    tags = WalkReportData(
        service_code=service,
        description="Tags on the corner store's shutter.",
        lat=AT_CITY_HALL["lat"],
        long=AT_CITY_HALL["long"],
    )
    return dataclasses.replace(tags, **fields)


def counts():
    return (
        ServiceRequest.objects.count(),
        WalkReport.objects.count(),
        Photo.objects.count(),
        Contact.objects.count(),
        Requester.objects.count(),
    )


# --- opening and closing --------------------------------------------------------------------------------------


def test_opening_a_walk_gives_an_unguessable_link_closing_an_hour_after_the_session(world, casey):
    session = field_walks.open_walk(world["sessions"][2], casey, now=BEFORE_WALK)
    assert len(session.walk_token) >= 32
    assert session.walk_closes_at == dt.datetime(2026, 7, 8, 18, 0, tzinfo=CITY)
    other = field_walks.open_walk(world["sessions"][3], casey, now=BEFORE_WALK)
    assert other.walk_token != session.walk_token


def test_staff_pick_the_closing_time_and_opening_again_keeps_the_link(world, casey):
    session = field_walks.open_walk(world["sessions"][2], casey, now=BEFORE_WALK)
    later = dt.datetime(2026, 7, 8, 20, 0, tzinfo=CITY)
    again = field_walks.open_walk(session, casey, closes_at=later, now=BEFORE_WALK)
    assert again.walk_token == session.walk_token
    assert again.walk_closes_at == later


def test_closing_kills_the_link_and_opening_again_makes_a_new_one(world, casey):
    session = field_walks.open_walk(world["sessions"][2], casey, now=BEFORE_WALK)
    token = session.walk_token
    closed = field_walks.close_walk(session, casey, now=DURING_WALK)
    assert closed.walk_token == "" and closed.walk_closes_at == DURING_WALK
    reopened = field_walks.open_walk(closed, casey, now=DURING_WALK)
    assert reopened.walk_token not in ("", token)


@pytest.mark.parametrize(
    ("closes_at", "message"),
    [
        (dt.datetime(2026, 7, 8, 13, 0, tzinfo=CITY), "in the future"),
        (dt.datetime(2026, 7, 16, 17, 1, tzinfo=CITY), "at most 7 days"),
    ],
)
def test_the_closing_time_must_be_ahead_and_near_the_session(world, casey, closes_at, message):
    with pytest.raises(ValidationError) as refused:
        field_walks.open_walk(world["sessions"][2], casey, closes_at=closes_at, now=BEFORE_WALK)
    assert message in str(refused.value.message_dict["closes_at"])
    assert CohortSession.objects.get(pk=world["sessions"][2].pk).walk_token == ""


def test_only_a_session_with_a_field_walk_opens_one(world, casey):
    with pytest.raises(ValidationError) as refused:
        field_walks.open_walk(world["sessions"][1], casey, now=BEFORE_WALK)
    assert "no field walk" in str(refused.value.message_dict["session"])


def test_an_anonymised_cohorts_walk_never_opens(world, casey):
    world["cohort"].anonymised_at = BEFORE_WALK
    world["cohort"].save()
    with pytest.raises(ValidationError):
        field_walks.open_walk(world["sessions"][2], casey, now=BEFORE_WALK)


@pytest.mark.parametrize("kind", ["anonymous", "agent", "department staff", "leadership", "liaison", "other city"])
def test_only_the_citys_community_staff_open_or_close_a_walk(world, center_city, kind):
    if kind == "anonymous":
        # What a view passes for a signed-out visitor (request.user), though the service's type says User | None.
        actor = cast("User", AnonymousUser())
    elif kind == "liaison":
        actor = make_liaison([center_city]).user
    elif kind == "other city":
        from civic311.people.services import grant_role
        from tests.factories import DepartmentFactory, StaffFactory

        elsewhere = JurisdictionFactory(
            slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False
        )
        actor = StaffFactory(username="elsewhere", department=DepartmentFactory(jurisdiction=elsewhere))
        grant_role(actor, StaffRole.COMMUNITY_STAFF, actor=None)
    else:
        role = {
            "agent": StaffRole.AGENT,
            "department staff": StaffRole.DEPARTMENT_STAFF,
            "leadership": StaffRole.LEADERSHIP,
        }
        actor = staff_in_role(role[kind], username=kind.split()[0])
    session = world["sessions"][2]
    with pytest.raises(PermissionDenied):
        field_walks.open_walk(session, actor, now=BEFORE_WALK)
    with pytest.raises(PermissionDenied):
        field_walks.open_walk(session, None, now=BEFORE_WALK)
    opened = field_walks.open_walk(session, community_staff("runner"), now=BEFORE_WALK)
    with pytest.raises(PermissionDenied):
        field_walks.close_walk(opened, actor, now=DURING_WALK)
    assert CohortSession.objects.get(pk=session.pk).walk_token == opened.walk_token


# --- filing from the walk -------------------------------------------------------------------------------------


def test_a_walk_report_is_a_public_web_request_with_no_contact_tagged_to_the_walk(world, open_session):
    maria = world["people"][0]
    submission = field_walks.file_walk_report(
        open_session.walk_token,
        report(participant_id=maria.pk, idempotency_key="walk-1"),
        jpeg(),
        now=DURING_WALK,
    )
    filed = submission.service_request
    assert submission.created
    assert filed.channel == Channel.WEB and not filed.is_private
    assert filed.requester is None and Requester.objects.count() == 0
    assert filed.neighborhood is not None
    assert filed.service.code == "SR-CL01" and filed.neighborhood.slug == "center-city"
    assert filed.requested_at == DURING_WALK
    tag = WalkReport.objects.get(service_request=filed)
    assert (tag.session, tag.participant, tag.filed_at) == (open_session, maria, DURING_WALK)
    assert [photo.stage for photo in filed.photos.all()] == [Photo.Stage.BEFORE]
    assert Contact.objects.get(service_request=filed).channel == Channel.WEB


def test_the_walker_may_stay_unnamed(world, open_session):
    filed = field_walks.file_walk_report(open_session.walk_token, report(), None, now=DURING_WALK).service_request
    assert filed.walk_report.participant is None


def test_a_second_send_of_the_same_report_returns_the_first_tagged_once(world, open_session):
    first = field_walks.file_walk_report(open_session.walk_token, report(idempotency_key="k-1"), None, now=DURING_WALK)
    again = field_walks.file_walk_report(open_session.walk_token, report(idempotency_key="k-1"), None, now=DURING_WALK)
    assert not again.created and again.service_request == first.service_request
    assert WalkReport.objects.count() == 1


@pytest.mark.parametrize("state", ["unknown", "closed", "expired", "anonymised", "no walk any more", "other city"])
def test_a_link_that_is_not_open_files_nothing(world, casey, open_session, state):
    token = open_session.walk_token
    now = DURING_WALK
    jurisdiction = None
    if state == "unknown":
        token = "not-a-real-token-" + "x" * 20
    elif state == "closed":
        field_walks.close_walk(open_session, casey, now=DURING_WALK)
    elif state == "expired":
        now = dt.datetime(2026, 7, 8, 18, 0, tzinfo=CITY)  # exactly the closing time
    elif state == "anonymised":
        world["cohort"].anonymised_at = DURING_WALK
        world["cohort"].save()
    elif state == "no walk any more":
        CohortSession.objects.filter(pk=open_session.pk).update(has_field_walk=False)
    else:
        jurisdiction = JurisdictionFactory(
            slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False
        )
    before = counts()
    with pytest.raises(WalkUnavailable):
        field_walks.file_walk_report(token, report(), jpeg(), jurisdiction=jurisdiction, now=now)
    assert counts() == before


@pytest.mark.parametrize("token", ["", " ", "a" * 65, "bad\x00token"])
def test_malformed_links_are_unknown(world, open_session, token):
    with pytest.raises(WalkUnavailable) as refused:
        field_walks.file_walk_report(token, report(), None, now=DURING_WALK)
    assert refused.value.reason == "unknown"


def test_a_point_outside_the_city_is_refused_by_the_intake_rule(world, open_session):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        field_walks.file_walk_report(
            open_session.walk_token, report(lat="40.7128", long="-74.0060"), jpeg(), now=DURING_WALK
        )
    assert "outside Philadelphia" in str(refused.value.message_dict["location"])
    assert counts() == before


def test_no_place_at_all_is_refused(world, open_session):
    with pytest.raises(ValidationError) as refused:
        field_walks.file_walk_report(open_session.walk_token, report(lat="", long=""), None, now=DURING_WALK)
    assert "location" in refused.value.message_dict


def test_an_address_alone_is_enough(world, open_session):
    filed = field_walks.file_walk_report(
        open_session.walk_token, report(lat="", long="", address="1400 JFK Blvd"), None, now=DURING_WALK
    ).service_request
    assert filed.address == "1400 JFK Blvd" and filed.lat is None


@pytest.mark.parametrize("code", ["SR-NOPE", ""])
def test_a_service_the_city_does_not_offer_is_refused(world, open_session, code):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        field_walks.file_walk_report(open_session.walk_token, report(service=code), None, now=DURING_WALK)
    assert "service_code" in refused.value.message_dict
    assert counts() == before


def test_an_information_only_service_takes_no_walk_report(world, open_session, jurisdiction, department):
    ServiceFactory(jurisdiction=jurisdiction, department=department, code="INFO-1", kind=Service.Kind.INFORMATION)
    with pytest.raises(ValidationError) as refused:
        field_walks.file_walk_report(open_session.walk_token, report(service="INFO-1"), None, now=DURING_WALK)
    assert "service_code" in refused.value.message_dict


def test_an_oversized_photo_is_refused_under_photo(world, open_session, settings):
    settings.CIVIC311_PHOTO_MAX_BYTES = 500
    before = counts()
    with pytest.raises(ValidationError) as refused:
        field_walks.file_walk_report(open_session.walk_token, report(), jpeg(size=(640, 480)), now=DURING_WALK)
    assert set(refused.value.message_dict) == {"photo"}
    assert counts() == before


def test_a_file_that_is_no_photo_is_refused(world, open_session):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as refused:
        field_walks.file_walk_report(
            open_session.walk_token,
            report(),
            SimpleUploadedFile("x.jpg", b"not a photo", "image/jpeg"),
            now=DURING_WALK,
        )
    assert "photo" in refused.value.message_dict


def test_the_services_questions_are_asked_as_on_the_public_form(world, open_session):
    graffiti = world["services"]["graffiti"]
    ServiceAttributeFactory(
        service=graffiti,
        code="surface",
        description="What is painted?",
        required=True,
        datatype=ServiceAttribute.Datatype.STRING,
    )
    from civic311.catalogue import selectors as catalogue

    catalogue.forget_cached_catalogue()
    with pytest.raises(ValidationError) as refused:
        field_walks.file_walk_report(open_session.walk_token, report(), None, now=DURING_WALK)
    assert any("surface" in key for key in refused.value.message_dict)
    filed = field_walks.file_walk_report(
        open_session.walk_token, report(answers={"surface": "A shutter"}), None, now=DURING_WALK
    ).service_request
    assert filed.attributes == {"surface": "A shutter"}


def test_a_safety_rule_answers_instead_and_nothing_is_tagged(world, open_session, monkeypatch):
    from civic311.catalogue import selectors as catalogue

    class Rule:
        message = "Call 911 now."

        def localized(self, field):
            return self.message

    monkeypatch.setattr(catalogue, "canned_answer", lambda service, answers: Rule())
    with pytest.raises(CannedAnswer):
        field_walks.file_walk_report(open_session.walk_token, report(), None, now=DURING_WALK)
    assert ServiceRequest.objects.count() == 0 and WalkReport.objects.count() == 0


@pytest.mark.parametrize("participant", ["someone else's", "anonymised", "not a number"])
def test_the_walker_is_one_of_the_cohorts_own(world, open_session, jurisdiction, participant):
    if participant == "someone else's":
        _, _, others = walk_cohort(jurisdiction, slug="other-cohort")
        participant_id: object = others[0].pk
    elif participant == "anonymised":
        maria = world["people"][0]
        maria.anonymised_at = BEFORE_WALK
        maria.save()
        participant_id = maria.pk
    else:
        participant_id = "maria"
    before = counts()
    with pytest.raises(ValidationError) as refused:
        field_walks.file_walk_report(
            open_session.walk_token, report(participant_id=participant_id), None, now=DURING_WALK
        )
    assert "participant" in refused.value.message_dict
    assert counts() == before


def test_a_link_closed_while_filing_leaves_nothing_behind_not_even_the_photo_file(
    world, open_session, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    real = field_walks.walk_for_token
    calls = []

    def closes_meanwhile(token, **kwargs):
        calls.append(bool(kwargs.get("lock")))
        if kwargs.get("lock"):
            raise WalkUnavailable("closed")
        return real(token, **kwargs)

    monkeypatch.setattr(field_walks, "walk_for_token", closes_meanwhile)
    before = counts()
    with pytest.raises(WalkUnavailable):
        field_walks.file_walk_report(open_session.walk_token, report(), jpeg(), now=DURING_WALK)
    assert calls == [False, True]
    assert counts() == before
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]
    monkeypatch.setattr(field_walks, "walk_for_token", real)
    field_walks.file_walk_report(open_session.walk_token, report(), jpeg(), now=DURING_WALK)
    assert len([path for path in tmp_path.rglob("*") if path.is_file()]) == 1  # where the files go: it was checked


def test_a_failing_tag_rolls_the_request_back(world, open_session, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(WalkReport.objects, "create", broken)
    before = counts()
    with pytest.raises(RuntimeError):
        field_walks.file_walk_report(open_session.walk_token, report(), jpeg(), now=DURING_WALK)
    assert counts() == before


# --- the walk's page: what it offers ------------------------------------------------------------------------


def test_the_walk_offers_its_few_services_first_in_order(world, jurisdiction):
    featured, offered = walks.walk_services(jurisdiction)
    assert [service.code for service in featured] == ["SR-CL01", "SR-ST02", "SR-ST04", "SR-ST01"]
    assert {service.code for service in offered} == {"SR-CL01", "SR-ST02", "SR-ST04", "SR-ST01", "SR-PR08"}


def test_the_walker_picks_from_display_names_only(world, open_session):
    maria, jamal = world["people"]
    jamal.anonymised_at = BEFORE_WALK
    jamal.save()
    assert walks.walk_participants(open_session) == [(maria.pk, "Maria R.")]


# --- the figures, counted by hand -------------------------------------------------------------------------------


def _file(token, service, *, photo=True, now=DURING_WALK):
    return field_walks.file_walk_report(
        token, report(service=service), jpeg() if photo else None, now=now
    ).service_request


def _close(service_request, *, days, due_days):
    closed_at = service_request.requested_at + dt.timedelta(days=days)
    expected_at = service_request.requested_at + dt.timedelta(days=due_days) if due_days is not None else None
    ServiceRequest.objects.filter(pk=service_request.pk).update(
        status="closed", closed_at=closed_at, expected_at=expected_at
    )


def _after_photo(service_request):
    from civic311.service_requests import services as requests

    requests.add_photo(service_request, jpeg(color=(10, 200, 10)), actor=None, stage=Photo.Stage.AFTER, public=True)


@pytest.fixture
def filed_world(world, casey):
    """Session 2: r1 graffiti (closed in 2 days, due in 5: on time; before and after photos), r2 graffiti
    (closed in 6, due in 3: late; before only), r3 dumping (open). Session 4 (July 22): r4 street light
    (closed in 1 day, no due date; after photo only), r5 dumping (closed in 4, due in 4: on time, the
    due moment itself). Session 3 has a walk and no reports; session 1 has no walk."""
    two = field_walks.open_walk(world["sessions"][2], casey, now=BEFORE_WALK)
    four = field_walks.open_walk(world["sessions"][4], casey, now=BEFORE_WALK)
    on_22nd = dt.datetime(2026, 7, 22, 15, 30, tzinfo=CITY)
    r = {
        "r1": _file(two.walk_token, "SR-CL01"),
        "r2": _file(two.walk_token, "SR-CL01"),
        "r3": _file(two.walk_token, "SR-ST02", photo=False),
        "r4": _file(four.walk_token, "SR-ST04", photo=False, now=on_22nd),
        "r5": _file(four.walk_token, "SR-ST02", photo=False, now=on_22nd),
    }
    _close(r["r1"], days=2, due_days=5)
    _after_photo(r["r1"])
    _close(r["r2"], days=6, due_days=3)
    _close(r["r4"], days=1, due_days=None)
    _after_photo(r["r4"])
    _close(r["r5"], days=4, due_days=4)
    return r


def test_the_cohorts_outcomes_match_the_hand_count(world, filed_world):
    outcomes = walks.cohort_outcomes(world["cohort"])
    assert (outcomes.filed, outcomes.closed, outcomes.open) == (5, 4, 1)
    assert outcomes.median_days_to_close == 3.0  # days 1, 2, 4, 6
    assert (outcomes.closed_with_due_date, outcomes.closed_on_time) == (3, 2)
    assert outcomes.on_time_share == pytest.approx(2 / 3)
    assert outcomes.on_time_percent == pytest.approx(200 / 3)
    assert outcomes.with_before_and_after == 1
    assert outcomes.by_service == [("Graffiti Removal", 2, 2), ("Illegal Dumping", 2, 1), ("Street Light Outage", 1, 1)]
    assert outcomes.by_service[0].service == "Graffiti Removal"


def test_the_outcomes_by_walk_match_the_hand_count(world, filed_world):
    by_session = {row.number: row for row in walks.cohort_outcomes(world["cohort"]).by_session}
    assert sorted(by_session) == [2, 3, 4]  # every walk, the one without reports too; not session 1
    two, three, four = by_session[2], by_session[3], by_session[4]
    assert (two.filed, two.closed, two.open, two.median_days_to_close) == (3, 2, 1, 4.0)
    assert (two.closed_with_due_date, two.closed_on_time, two.on_time_share) == (2, 1, 0.5)
    assert two.with_before_and_after == 1
    assert two.by_service == [("Graffiti Removal", 2, 2), ("Illegal Dumping", 1, 0)]
    assert (three.filed, three.closed, three.median_days_to_close, three.on_time_share) == (0, 0, None, None)
    assert (four.filed, four.closed, four.median_days_to_close, four.on_time_share) == (2, 2, 2.5, 1.0)
    assert four.with_before_and_after == 0


def test_an_empty_cohort_has_empty_outcomes(world):
    outcomes = walks.cohort_outcomes(world["cohort"])
    assert (outcomes.filed, outcomes.closed, outcomes.open, outcomes.by_service) == (0, 0, 0, [])
    assert outcomes.median_days_to_close is None and outcomes.on_time_share is None
    assert [row.number for row in outcomes.by_session] == [2, 3, 4]


def test_the_outcomes_name_services_in_the_readers_language(world, filed_world):
    from django.utils import translation

    Service.objects.filter(code="SR-CL01").update(translations={"es": {"name": "Eliminación de grafiti"}})
    with translation.override("es"):
        outcomes = walks.cohort_outcomes(world["cohort"])
    assert outcomes.by_service[0] == ("Eliminación de grafiti", 2, 2)


def test_the_cohorts_requests_pair_before_and_after_photos(world, filed_world):
    items = {item.service_request.pk: item for item in walks.cohort_requests(world["cohort"])}
    r1 = items[filed_world["r1"].pk]
    assert (len(r1.before_photos), len(r1.after_photos), r1.has_before_and_after) == (1, 1, True)
    assert r1.closed_on_time is True and r1.days_to_close == 2.0
    assert items[filed_world["r2"].pk].closed_on_time is False
    assert items[filed_world["r3"].pk].closed_on_time is None and not items[filed_world["r3"].pk].is_closed


def test_public_surfaces_get_only_public_photos(world, filed_world):
    Photo.objects.filter(service_request=filed_world["r1"], stage=Photo.Stage.AFTER).update(is_public=False)
    staff_view = {i.service_request.pk: i for i in walks.cohort_requests(world["cohort"])}
    public_view = {i.service_request.pk: i for i in walks.cohort_requests(world["cohort"], public_photos_only=True)}
    assert staff_view[filed_world["r1"].pk].after_photos
    assert not public_view[filed_world["r1"].pk].after_photos


def test_the_map_carries_no_personal_data(world, filed_world):
    maria = world["people"][0]
    token = CohortSession.objects.get(pk=world["sessions"][2].pk).walk_token
    field_walks.file_walk_report(
        token,
        report(participant_id=maria.pk, description="Maria saw it by 12 Elm St", address="12 Elm St"),
        None,
        now=DURING_WALK,
    )
    ServiceRequest.objects.filter(pk=filed_world["r3"].pk).update(is_private=True)
    collection = walks.map_features(world["cohort"])
    text = str(collection)
    for personal in ("Maria", "Jamal", "Elm", "guardian", "Tags on the corner"):
        assert personal not in text
    numbers = {feature["properties"]["number"] for feature in collection["features"]}
    assert filed_world["r3"].tracking_number not in numbers and len(numbers) == 5
    first = collection["features"][0]
    assert set(first["properties"]) == {
        "kind",
        "number",
        "service",
        "open",
        "url",
        "status",
        "on_time",
        "session",
        "requested",
        "before_and_after",
    }
    assert first["geometry"]["coordinates"] == [-75.1635, 39.9526]


def test_the_walk_state_for_staff(world, casey):
    session = world["sessions"][2]
    assert walks.walk_state(world["sessions"][1], now=BEFORE_WALK) == "none"
    assert walks.walk_state(session, now=BEFORE_WALK) == "not_opened"
    opened = field_walks.open_walk(session, casey, now=BEFORE_WALK)
    assert walks.walk_state(opened, now=DURING_WALK) == "open"
    assert walks.walk_state(opened, now=dt.datetime(2026, 7, 8, 18, 0, tzinfo=CITY)) == "expired"
    assert walks.walk_state(field_walks.close_walk(opened, casey, now=DURING_WALK), now=DURING_WALK) == "closed"


def test_a_walk_opened_after_its_session_closes_an_hour_from_now_and_not_after_a_week(world, casey):
    session = world["sessions"][2]  # ends at 5:00 pm on July 8
    at_seven = dt.datetime(2026, 7, 8, 19, 0, tzinfo=CITY)
    assert field_walks.default_closes_at(session, now=at_seven) == dt.datetime(2026, 7, 8, 20, 0, tzinfo=CITY)
    late = dt.datetime(2026, 7, 15, 16, 30, tzinfo=CITY)  # half an hour before the week is up
    assert field_walks.default_closes_at(session, now=late) == dt.datetime(2026, 7, 15, 17, 0, tzinfo=CITY)
    assert field_walks.open_walk(session, casey, now=late).walk_closes_at == dt.datetime(
        2026, 7, 15, 17, 0, tzinfo=CITY
    )
    too_late = dt.datetime(2026, 7, 15, 17, 0, tzinfo=CITY)
    assert field_walks.may_open(session, now=late) and not field_walks.may_open(session, now=too_late)
    assert not field_walks.may_open(world["sessions"][1], now=BEFORE_WALK)
