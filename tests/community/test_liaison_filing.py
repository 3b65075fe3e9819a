"""What a liaison files (issue 16, "What a liaison can do"): a request on behalf of a neighbor, and a
community meeting's notes as several requests at once, all or nothing."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from civic311.catalogue.models import RoutingRule, ServiceAttribute
from civic311.community.models import CommunityMeeting, Liaison, LiaisonFiling
from civic311.community.services import liaison_filing
from civic311.notifications.models import OutboundMessage
from civic311.people.models import Requester
from civic311.service_requests.models import Announcement, Channel, Contact, HistoryEntry, Photo, ServiceRequest
from civic311.service_requests.services import CannedAnswer

from ..factories import (
    NeighborhoodFactory,
    RoutingRuleFactory,
    ServiceAttributeFactory,
    ServiceFactory,
    StaffFactory,
    box,
    jpeg,
)
from .helpers import make_liaison

pytestmark = pytest.mark.django_db

PHILADELPHIA = ZoneInfo("America/New_York")
AT_CITY_HALL = {"lat": "39.9526", "long": "-75.1635"}


# --- the city ----------------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(jurisdiction, department):
    """A few services shaped like the demo city's."""
    return {
        "graffiti": ServiceFactory(
            jurisdiction=jurisdiction,
            department=department,
            code="SR-CL01",
            name="Graffiti Removal",
            description="Paint or markings on a building, wall or fence.",
            keywords="tagging, spray paint",
            translations={"es": {"name": "Eliminación de grafiti"}},
        ),
        "dumping": ServiceFactory(
            jurisdiction=jurisdiction,
            department=department,
            code="SR-ST02",
            name="Illegal Dumping",
            description="Trash or debris dumped on a street, sidewalk or lot.",
            keywords="dumping, trash, debris, tires",
        ),
        "pothole": ServiceFactory(
            jurisdiction=jurisdiction,
            department=department,
            code="SR-ST03",
            name="Pothole Repair",
            description="A hole in the road.",
            keywords="hole, road",
        ),
        "streetlight": ServiceFactory(
            jurisdiction=jurisdiction,
            department=department,
            code="SR-SL01",
            name="Street Light Outage",
            description="A street light that is out or flickering.",
            keywords="light, lamp, dark",
        ),
    }


@pytest.fixture
def kensington(jurisdiction):
    return NeighborhoodFactory(
        jurisdiction=jurisdiction, slug="kensington", name="Kensington", boundary=box(-75.14, 39.97, -75.10, 40.0)
    )


@pytest.fixture
def liaison(center_city, kensington):
    return make_liaison([center_city, kensington])


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            CommunityMeeting,
            LiaisonFiling,
            ServiceRequest,
            HistoryEntry,
            Announcement,
            OutboundMessage,
            Contact,
            Requester,
            Photo,
        )
    }


def a_report(**fields):
    return {"service_code": "SR-ST02", "description": "Tires on the sidewalk.", **AT_CITY_HALL, **fields}


# --- on behalf of a neighbour --------------------------------------------------------------------------------


def test_a_request_for_a_neighbour_is_filed_on_the_liaison_channel_and_recorded(liaison, catalogue):
    submission = liaison_filing.file_on_behalf(liaison.user, a_report(), neighbour_consented=False)

    filed = ServiceRequest.objects.get(pk=submission.service_request.pk)
    assert filed.channel == Channel.LIAISON
    assert filed.requester is None
    filing = LiaisonFiling.objects.get(service_request=filed)
    assert (filing.liaison, filing.meeting, filing.neighbour_consented_at) == (liaison, None, None)
    opened = filed.history.get(kind=HistoryEntry.Kind.OPENED)
    assert (opened.actor, opened.actor_label) == (None, "Neighborhood liaison")
    assert opened.who == "Neighborhood liaison"
    liaison.refresh_from_db()
    assert liaison.last_active_at == filing.filed_at


def test_the_history_shows_the_liaison_label_translated(liaison, catalogue):
    from django.utils import translation

    submission = liaison_filing.file_on_behalf(liaison.user, a_report(), neighbour_consented=False)
    opened = submission.service_request.history.get(kind=HistoryEntry.Kind.OPENED)
    with translation.override("es"):
        # Whatever the catalogue of Spanish says, the label goes through gettext (ACTOR_LABELS).
        assert opened.who == translation.gettext("Neighborhood liaison")


def test_the_neighbours_contact_details_are_kept_with_their_consent(liaison, catalogue):
    submission = liaison_filing.file_on_behalf(
        liaison.user, a_report(first_name="Rosa", email="rosa@example.org"), neighbour_consented=True
    )
    filing = LiaisonFiling.objects.get(service_request=submission.service_request)
    assert filing.neighbour_consented_at == filing.filed_at
    requester = submission.service_request.requester
    assert requester is not None and requester.email == "rosa@example.org"


@pytest.mark.parametrize("contact", [{"first_name": "Rosa"}, {"email": "rosa@example.org"}, {"phone": "215 686 8686"}])
def test_contact_details_without_consent_are_refused_and_nothing_is_written(liaison, catalogue, contact):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        liaison_filing.file_on_behalf(liaison.user, a_report(**contact), neighbour_consented=False)
    assert "neighbour_consent" in refused.value.message_dict
    assert counts() == before


def test_consent_without_contact_details_records_no_consent(liaison, catalogue):
    submission = liaison_filing.file_on_behalf(liaison.user, a_report(), neighbour_consented=True)
    assert LiaisonFiling.objects.get(service_request=submission.service_request).neighbour_consented_at is None


def test_bad_input_is_refused_by_the_intake_rules_and_nothing_is_written(liaison, catalogue):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        liaison_filing.file_on_behalf(liaison.user, a_report(lat="", long="", address=""), neighbour_consented=False)
    assert "location" in refused.value.message_dict
    assert counts() == before


def test_a_photo_is_kept_with_the_request(liaison, catalogue):
    submission = liaison_filing.file_on_behalf(liaison.user, a_report(photos=[jpeg()]), neighbour_consented=False)
    assert submission.service_request.photos.count() == 1


def test_a_liaison_cannot_make_a_request_private_or_pick_another_channel(liaison, catalogue):
    submission = liaison_filing.file_on_behalf(
        liaison.user, a_report(), neighbour_consented=False
    )  # the dict form cannot even name them
    assert not submission.service_request.is_private
    with pytest.raises(ValueError, match="unknown report fields"):
        liaison_filing.file_on_behalf(liaison.user, a_report(is_private=True), neighbour_consented=False)


@pytest.fixture
def resident(db):
    return StaffFactory(username="rosa", is_staff=False)


@pytest.mark.parametrize("who", ["anonymous", "nobody", "resident", "staff", "lapsed", "accepted", "withdrawn"])
def test_only_an_active_liaison_may_file(center_city, catalogue, resident, staff, who):
    users = {"anonymous": AnonymousUser(), "nobody": None, "resident": resident, "staff": staff}
    if who in {"lapsed", "accepted", "withdrawn"}:
        users[who] = make_liaison([center_city], status=who).user
    before = counts()
    with pytest.raises(PermissionDenied):
        liaison_filing.file_on_behalf(users[who], a_report(), neighbour_consented=False)
    with pytest.raises(PermissionDenied):
        liaison_filing.file_meeting(users[who], a_meeting(), [an_item()])
    assert counts() == before


def test_a_role_left_behind_on_a_lapsed_liaison_still_files_nothing(center_city, catalogue):
    liaison = make_liaison([center_city])
    Liaison.objects.filter(pk=liaison.pk).update(status=Liaison.Status.LAPSED)
    with pytest.raises(PermissionDenied):
        liaison_filing.file_on_behalf(liaison.user, a_report(), neighbour_consented=False)
    assert not ServiceRequest.objects.exists()


def test_a_liaison_files_at_three_in_the_morning(liaison, catalogue):
    three_am = dt.datetime(2026, 3, 8, 3, 0, tzinfo=PHILADELPHIA)  # a Sunday, out of every business hour
    with time_machine.travel(three_am, tick=False):
        submission = liaison_filing.file_on_behalf(liaison.user, a_report(), neighbour_consented=False)
        meeting = liaison_filing.file_meeting(liaison.user, a_meeting(held_on="2026-03-07"), [an_item()])
    assert submission.service_request.requested_at == three_am
    assert meeting.service_requests[0].requested_at == three_am


# --- meeting notes into items ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notes", "items"),
    [
        (
            "1. Graffiti on the wall\n2. Pothole on Main St\n3) Light out",
            ["Graffiti on the wall", "Pothole on Main St", "Light out"],
        ),
        (
            "- trash on 5th\n* tires by the school\n• dark corner",
            ["trash on 5th", "tires by the school", "dark corner"],
        ),
        ("Graffiti on the wall\nPothole on Main St", ["Graffiti on the wall", "Pothole on Main St"]),
        (
            "Graffiti on the wall\nby the school.\n\nPothole on Main St\n\n\nLight out",
            ["Graffiti on the wall by the school.", "Pothole on Main St", "Light out"],
        ),
        (
            "1. Graffiti on the wall\n   behind the rec centre\n2. Pothole",
            ["Graffiti on the wall behind the rec centre", "Pothole"],
        ),
        ("Notes from the meeting:\n1. Graffiti\n2. Pothole", ["Notes from the meeting:", "Graffiti", "Pothole"]),
        ("3.5 tons of trash dumped\n2021 budget questions", ["3.5 tons of trash dumped", "2021 budget questions"]),
        ("1.\n-\n  \n2. Pothole\r\n3. Light", ["Pothole", "Light"]),
        ("", []),
        ("   \n\n  ", []),
    ],
)
def test_split_notes(notes, items):
    assert liaison_filing.split_notes(notes) == items


def test_split_notes_is_bounded(settings):
    settings.CIVIC311_DESCRIPTION_MAX_CHARS = 50
    items = liaison_filing.split_notes("\n".join(f"{n}. " + "x" * 80 for n in range(1, 60)))
    assert len(items) == liaison_filing.MAX_ITEMS
    assert all(len(item) == 50 for item in items)


WORDS = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ÁéñÜ.,:;'"), min_size=0, max_size=30)
MARKERS = st.sampled_from(["", "", "1. ", "2) ", "- ", "* ", "• ", "  "])


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(MARKERS, WORDS), max_size=12))
def test_every_line_of_the_notes_survives_in_some_item(lines):
    notes = "\n".join(marker + text for marker, text in lines)
    items = liaison_filing.split_notes(notes)
    for _marker, text in lines:
        # A text that itself begins like a list item ("b. :") loses that marker too, as a person's would.
        wanted = " ".join(liaison_filing._MARKER.sub("", text, count=1).split()) or " ".join(text.split())
        if wanted:
            assert any(wanted in item for item in items), (wanted, items)
    assert all(item and item == item.strip() for item in items)


# --- suggesting a service ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("someone tagged the wall with graffiti", "SR-CL01"),
        ("grafitti on the fence again", "SR-CL01"),
        ("tires and trash dumped in the lot", "SR-ST02"),
        ("big hole in the road on Main St", "SR-ST03"),
        ("the lamp by the school is dark", "SR-SL01"),
    ],
)
def test_a_service_is_suggested_from_the_items_words(jurisdiction, catalogue, text, code):
    suggested = liaison_filing.suggest_service(jurisdiction, text)
    assert suggested is not None and suggested.code == code


def test_nothing_is_suggested_when_no_word_matches(jurisdiction, catalogue):
    assert liaison_filing.suggest_service(jurisdiction, "we thanked the organisers") is None
    assert liaison_filing.suggest_service(jurisdiction, "") is None


def test_an_information_only_or_inactive_service_is_never_suggested(jurisdiction, catalogue):
    catalogue["graffiti"].is_active = False
    catalogue["graffiti"].save()
    assert liaison_filing.suggest_service(jurisdiction, "graffiti removal") is None


# --- filing a meeting: all or nothing ----------------------------------------------------------------------------


def a_meeting(**fields):
    return {
        "name": "Kensington civic association",
        "held_on": "2026-03-02",
        "neighborhood": "kensington",
        "place": "Rec centre",
        "notes": "1. graffiti\n2. tires",
        **fields,
    }


def an_item(**fields):
    return {"service_code": "SR-ST02", "description": "Tires by the school.", "address": "100 Main St", **fields}


@pytest.fixture(autouse=True)
def _in_march():
    with time_machine.travel(dt.datetime(2026, 3, 4, 19, 0, tzinfo=PHILADELPHIA), tick=False):
        yield


def test_a_meeting_files_every_item_tagged_with_it(liaison, catalogue, center_city):
    items = [
        an_item(service_code="SR-CL01", description="Graffiti on the wall"),
        an_item(address="", neighborhood="center-city"),
        an_item(address="", **AT_CITY_HALL),
    ]
    filing = liaison_filing.file_meeting(liaison.user, a_meeting(), items)

    meeting = CommunityMeeting.objects.get()
    assert filing.meeting == meeting
    assert meeting.neighborhood is not None
    assert (meeting.name, meeting.held_on, meeting.neighborhood.slug, meeting.place) == (
        "Kensington civic association",
        dt.date(2026, 3, 2),
        "kensington",
        "Rec centre",
    )
    assert meeting.recorded_by == liaison.user
    assert len(filing.service_requests) == 3
    assert [r.service.code for r in filing.service_requests] == ["SR-CL01", "SR-ST02", "SR-ST02"]
    assert LiaisonFiling.objects.filter(meeting=meeting, liaison=liaison).count() == 3
    assert set(ServiceRequest.objects.values_list("channel", flat=True)) == {Channel.LIAISON}
    by_neighborhood_only = filing.service_requests[1]
    assert (by_neighborhood_only.address, by_neighborhood_only.neighborhood) == (center_city.name, center_city)
    assert filing.service_requests[2].neighborhood == center_city  # the point's
    liaison.refresh_from_db()
    assert liaison.last_active_at is not None


def test_one_bad_item_files_nothing_and_every_error_comes_back_by_item(liaison, catalogue):
    items = [
        an_item(),
        an_item(),
        an_item(),
        an_item(address="", lat="", long=""),  # the 4th (index 3): no place
        an_item(service_code="SR-NOPE"),
    ]
    before = counts()
    with pytest.raises(ValidationError) as refused:
        liaison_filing.file_meeting(liaison.user, a_meeting(), items)
    errors = refused.value.message_dict
    assert set(errors) == {"items-3-location", "items-4-service_code"}
    by_item, meeting_errors = liaison_filing.errors_by_item(refused.value)
    assert set(by_item) == {3, 4} and meeting_errors == {}
    assert counts() == before  # no meeting, requests, filings, history, outbox rows, contacts


def test_a_safety_rule_on_one_item_refuses_the_whole_meeting(liaison, catalogue):
    gas = ServiceFactory(jurisdiction=liaison.jurisdiction, code="SR-GAS", name="Gas smell")
    ServiceAttributeFactory(service=gas, code="smell", datatype=ServiceAttribute.Datatype.STRING)
    RoutingRuleFactory(
        service=gas,
        kind=RoutingRule.Kind.CANNED_ANSWER,
        attribute_code="smell",
        attribute_value="strong",
        message="Leave the building and call 911.",
    )
    items = [an_item(), an_item(service_code="SR-GAS", answers={"smell": "strong"}), an_item()]
    before = counts()
    with pytest.raises(ValidationError) as refused:
        liaison_filing.file_meeting(liaison.user, a_meeting(), items)
    assert refused.value.message_dict == {"items-1-service_code": ["Leave the building and call 911."]}
    assert counts() == before


def test_the_same_filing_sent_twice_is_filed_once(liaison, catalogue):
    first = liaison_filing.file_meeting(liaison.user, a_meeting(), [an_item(), an_item()], filing_key="abc123")
    again = liaison_filing.file_meeting(liaison.user, a_meeting(), [an_item(), an_item()], filing_key="abc123")
    assert (first.created, again.created) == (True, False)
    assert again.meeting == first.meeting
    assert [r.pk for r in again.service_requests] == [r.pk for r in first.service_requests]
    assert (CommunityMeeting.objects.count(), ServiceRequest.objects.count()) == (1, 2)


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"held_on": "yesterday"}, "held_on"),
        ({"held_on": "2026-03-05"}, "held_on"),  # tomorrow in the city
        ({"neighborhood": "nowhere"}, "neighborhood"),
        ({"place": "x" * 301}, "place"),
    ],
)
def test_the_meetings_own_fields_are_checked(liaison, catalogue, fields, key):
    with pytest.raises(ValidationError) as refused:
        liaison_filing.file_meeting(liaison.user, a_meeting(**fields), [an_item()])
    assert key in refused.value.message_dict
    assert counts()["CommunityMeeting"] == 0


def test_a_meeting_in_another_liaisons_neighborhood_is_refused(liaison, catalogue, jurisdiction):
    NeighborhoodFactory(jurisdiction=jurisdiction, slug="fishtown", name="Fishtown")
    with pytest.raises(ValidationError) as refused:
        liaison_filing.file_meeting(liaison.user, a_meeting(neighborhood="fishtown"), [an_item()])
    assert "neighborhood" in refused.value.message_dict


@pytest.mark.parametrize("count", [0, liaison_filing.MAX_ITEMS + 1])
def test_a_meeting_files_one_to_thirty_items(liaison, catalogue, count):
    with pytest.raises(ValidationError) as refused:
        liaison_filing.file_meeting(liaison.user, a_meeting(), [an_item()] * count)
    assert "items" in refused.value.message_dict


def test_no_photo_file_outlives_a_rolled_back_meeting(liaison, catalogue, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path)
    items = [an_item(), an_item(service_code="SR-NOPE")]
    original = liaison_filing._item_report

    def with_photo(jurisdiction, item, index, key):
        report = original(jurisdiction, item, index, key)
        report.photos = [jpeg()]
        return report

    deleted: list[str] = []
    delete_files = liaison_filing._delete_files

    def delete_and_note(names):
        names = list(names)
        deleted.extend(name for name in names if (tmp_path / name).is_file())
        delete_files(names)

    monkeypatch.setattr(liaison_filing, "_item_report", with_photo)
    monkeypatch.setattr(liaison_filing, "_delete_files", delete_and_note)
    with pytest.raises(ValidationError):
        liaison_filing.file_meeting(liaison.user, a_meeting(), items)
    assert len(deleted) == 1  # the first item's photo was written, then removed with the rollback
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]
    assert not Photo.objects.exists()


def test_canned_answer_on_behalf_files_nothing(liaison, catalogue):
    gas = ServiceFactory(jurisdiction=liaison.jurisdiction, code="SR-GAS", name="Gas smell")
    ServiceAttributeFactory(service=gas, code="smell", datatype=ServiceAttribute.Datatype.STRING)
    RoutingRuleFactory(
        service=gas,
        kind=RoutingRule.Kind.CANNED_ANSWER,
        attribute_code="smell",
        attribute_value="strong",
        message="Call 911.",
    )
    with pytest.raises(CannedAnswer):
        liaison_filing.file_on_behalf(
            liaison.user, a_report(service_code="SR-GAS", answers={"smell": "strong"}), neighbour_consented=False
        )
    assert not ServiceRequest.objects.exists() and not LiaisonFiling.objects.exists()


# --- the pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report", "meeting", "filed"])
def test_a_stranger_is_sent_to_sign_in(client, name):
    response = client.get(f"/liaison/{name}/")
    assert response.status_code == 302
    assert response["Location"] == f"/sign-in/?next=%2Fliaison%2F{name}%2F"


@pytest.mark.parametrize("name", ["report", "meeting", "filed"])
def test_a_resident_or_staff_who_is_not_a_liaison_is_refused(client, resident, staff, center_city, name):
    lapsed = make_liaison([center_city], status="lapsed", email="old@example.org").user
    for user in (resident, staff, lapsed):
        client.force_login(user)
        assert client.get(f"/liaison/{name}/").status_code == 403
        assert client.post(f"/liaison/{name}/", {}).status_code in {403, 405}


def test_the_report_page_files_for_a_neighbour(client, liaison, catalogue):
    client.force_login(liaison.user)
    chooser = client.get("/liaison/report/").content.decode()
    assert '<optgroup label="' in chooser and 'value="SR-CL01"' in chooser
    form = client.get("/liaison/report/", {"service": "SR-ST02"})
    assert form.status_code == 200
    assert 'name="neighbour_consent"' in form.content.decode()

    refused = client.post(
        "/liaison/report/?service=SR-ST02",
        {"service": "SR-ST02", "description": "Tires", "address": "100 Main St", "email": "rosa@example.org"},
    )
    assert refused.status_code == 400
    assert "only with their agreement" in refused.content.decode()
    assert 'value="rosa@example.org"' in refused.content.decode()  # what was typed is kept
    assert not ServiceRequest.objects.exists()

    response = client.post(
        "/liaison/report/?service=SR-ST02",
        {
            "service": "SR-ST02",
            "description": "Tires",
            "address": "100 Main St",
            "email": "rosa@example.org",
            "neighbour_consent": "yes",
        },
    )
    filed = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/liaison/report/?done={filed.tracking_number}"
    done = client.get(response["Location"]).content.decode()
    assert filed.tracking_number in done and f"/track/{filed.tracking_number}/" in done
    assert filed.channel == Channel.LIAISON and filed.liaison_filing.neighbour_consented_at is not None


def test_the_report_page_shows_the_services_own_questions(client, liaison, catalogue):
    ServiceAttributeFactory(service=catalogue["dumping"], code="what", description="What was dumped?", required=True)
    client.force_login(liaison.user)
    assert "What was dumped?" in client.get("/liaison/report/", {"service": "SR-ST02"}).content.decode()
    refused = client.post(
        "/liaison/report/?service=SR-ST02", {"service": "SR-ST02", "description": "x", "address": "1 Main St"}
    )
    assert refused.status_code == 400 and not ServiceRequest.objects.exists()


def test_a_done_page_of_someone_elses_request_shows_nothing(client, liaison, catalogue, center_city):
    other = make_liaison([center_city], email="kim@example.org")
    theirs = liaison_filing.file_on_behalf(other.user, a_report(), neighbour_consented=False).service_request
    client.force_login(liaison.user)
    response = client.get("/liaison/report/", {"done": theirs.tracking_number})
    assert response.status_code == 302


NOTES = "1. Someone tagged the wall with graffiti\n2. Tires dumped in the lot\n3. The lamp at 5th and Main is dark"


def meeting_post(**fields):
    data = {
        "meeting-name": "Kensington civic association",
        "meeting-held_on": "2026-03-02",
        "meeting-neighborhood": "kensington",
        "meeting-place": "Rec centre",
        "meeting-notes": NOTES,
        "filing_key": "k1",
    }
    data.update(fields)
    return data


def items_post(items, **fields):
    data = meeting_post(**fields)
    data["items-total"] = str(len(items))
    for index, item in enumerate(items):
        for part, value in item.items():
            data[f"items-{index}-{part}"] = value
    return data


def test_the_meeting_page_splits_reviews_and_files_all(client, liaison, catalogue):
    client.force_login(liaison.user)
    assert client.get("/liaison/meeting/").status_code == 200

    split = client.post("/liaison/meeting/", meeting_post(action="split")).content.decode()
    assert 'name="items-total" value="3"' in split
    for index, code in enumerate(["SR-CL01", "SR-ST02", "SR-SL01"]):
        found = re.search(rf'name="items-{index}-service_code">(.*?)</select>', split, re.DOTALL)
        assert found is not None
        select = found.group(1)
        assert f'<option value="{code}" selected>' in select
    assert "Someone tagged the wall with graffiti" in split

    items = [
        {
            "service_code": "SR-CL01",
            "description": "Someone tagged the wall",
            "address": "",
            "neighborhood": "kensington",
        },
        {"service_code": "SR-ST02", "description": "Tires", "address": "", "neighborhood": ""},  # no place
        {"service_code": "SR-SL01", "description": "Lamp out", "address": "5th and Main", "neighborhood": ""},
        {"service_code": "", "description": "removed", "address": "", "neighborhood": "", "remove": "yes"},
    ]
    review = client.post("/liaison/meeting/", items_post(items, action="review"))
    assert review.status_code == 400
    html = review.content.decode()
    assert "Item 2: Give an address or choose a neighborhood." in html
    assert "Someone tagged the wall</textarea>" in html  # the edits are kept
    assert "removed" not in html  # the removed item is gone
    assert not ServiceRequest.objects.exists()

    items[1]["address"] = "200 Main St"
    review = client.post("/liaison/meeting/", items_post(items[:3], action="review"))
    assert review.status_code == 200
    assert "File all 3 requests" in review.content.decode()

    filed = client.post("/liaison/meeting/", items_post(items[:3], action="file"))
    meeting = CommunityMeeting.objects.get()
    assert filed.status_code == 302 and filed["Location"] == f"/liaison/meeting/?filed={meeting.pk}"
    done = client.get(filed["Location"]).content.decode()
    numbers = list(ServiceRequest.objects.order_by("pk").values_list("tracking_number", flat=True))
    assert len(numbers) == 3 and all(number in done for number in numbers)
    assert LiaisonFiling.objects.filter(meeting=meeting).count() == 3

    # A second click on "File all" files nothing more.
    again = client.post("/liaison/meeting/", items_post(items[:3], action="file"))
    assert again["Location"] == filed["Location"] and ServiceRequest.objects.count() == 3


def test_an_item_the_intake_refuses_brings_back_step_two_with_its_error(client, liaison, catalogue):
    client.force_login(liaison.user)
    items = [
        {"service_code": "SR-CL01", "description": "Graffiti", "address": "1 Main St", "neighborhood": ""},
        {"service_code": "SR-ST02", "description": "Tires", "address": "x" * 301, "neighborhood": ""},
    ]
    response = client.post("/liaison/meeting/", items_post(items, action="file"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Item 2: The address can be at most 300 characters." in html
    assert 'name="items-0-description"' in html and ">Graffiti</textarea>" in html
    assert counts()["ServiceRequest"] == counts()["CommunityMeeting"] == 0


def test_a_meeting_without_items_or_with_bad_fields_stays_on_step_one(client, liaison, catalogue):
    client.force_login(liaison.user)
    empty = client.post("/liaison/meeting/", meeting_post(action="split", **{"meeting-notes": "  \n "}))
    assert empty.status_code == 400
    nameless = client.post("/liaison/meeting/", meeting_post(action="split", **{"meeting-name": ""}))
    assert nameless.status_code == 400 and "Step 1 of 3" in nameless.content.decode()


def test_the_meeting_done_page_is_the_liaisons_own(client, liaison, catalogue, center_city):
    other = make_liaison([center_city], email="kim@example.org")
    theirs = liaison_filing.file_meeting(other.user, a_meeting(neighborhood=""), [an_item()])
    client.force_login(liaison.user)
    assert client.get("/liaison/meeting/", {"filed": theirs.meeting.pk}).status_code == 302


def test_the_history_shows_only_the_liaisons_own_filings_with_their_neighbours(client, liaison, catalogue, center_city):
    other = make_liaison([center_city], email="kim@example.org")
    liaison_filing.file_on_behalf(
        other.user, a_report(first_name="Secret", email="secret@example.org"), neighbour_consented=True
    )
    mine = liaison_filing.file_on_behalf(
        liaison.user, a_report(first_name="Rosa", email="rosa@example.org"), neighbour_consented=True
    ).service_request
    client.force_login(liaison.user)
    html = client.get("/liaison/filed/").content.decode()
    assert mine.tracking_number in html and "rosa@example.org" in html
    assert mine.get_status_display() in html
    assert "secret@example.org" not in html and "Secret" not in html
    assert f"/track/{mine.tracking_number}/" in html


def test_the_history_is_newest_first_and_paginated(client, liaison, catalogue):
    numbers = [
        liaison_filing.file_on_behalf(
            liaison.user, a_report(), neighbour_consented=False
        ).service_request.tracking_number
        for _ in range(22)
    ]
    client.force_login(liaison.user)
    first = client.get("/liaison/filed/").content.decode()
    assert first.index(numbers[-1]) < first.index(numbers[-2])
    assert numbers[0] not in first and "Page 1 of 2" in first
    assert numbers[0] in client.get("/liaison/filed/", {"page": 2}).content.decode()


def test_the_meeting_form_starts_in_the_liaisons_one_neighborhood(client, center_city, kensington):
    one = make_liaison([kensington], email="one@example.org")
    client.force_login(one.user)
    page = client.get("/liaison/meeting/").content.decode()
    assert f'<option value="{kensington.slug}" selected>' in page
    two = make_liaison([center_city, kensington], email="two@example.org")
    client.force_login(two.user)
    page = client.get("/liaison/meeting/").content.decode()
    assert '<option value="" selected>' in page.split('name="meeting-neighborhood"')[1].split("</select>")[0]
