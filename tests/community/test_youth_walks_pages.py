"""Issue 17 Part B: the field walk's pages. The participants' public page (by a walk's open link only, without
JavaScript, rate-limited), staff's open and close, the cohort's requests page and its map's JSON, refused to
everyone but the city's community staff, and the walk's block on a session's page."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import RequestFactory

from civic311.community.models import CohortSession, WalkReport
from civic311.community.services import field_walks
from civic311.people.models import StaffRole
from civic311.service_requests.models import ServiceRequest

from ..factories import jpeg, staff_in_role
from .helpers import community_staff, make_liaison, walk_cohort, walk_services

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("America/New_York")
BEFORE_WALK = dt.datetime(2026, 7, 8, 14, 0, tzinfo=CITY)
DURING_WALK = dt.datetime(2026, 7, 8, 15, 45, tzinfo=CITY)
AFTER_CLOSING = dt.datetime(2026, 7, 8, 18, 1, tzinfo=CITY)


@pytest.fixture
def world(jurisdiction, department, center_city):
    cohort, sessions, people = walk_cohort(jurisdiction)
    services = walk_services(jurisdiction, department)
    casey = community_staff()
    opened = field_walks.open_walk(sessions[2], casey, now=BEFORE_WALK)
    return {
        "cohort": cohort,
        "sessions": sessions,
        "people": people,
        "services": services,
        "casey": casey,
        "token": opened.walk_token,
        "session": opened,
    }


@pytest.fixture
def during_walk():
    with time_machine.travel(DURING_WALK, tick=False):
        yield


def walk_url(world, suffix=""):
    return f"/community/youth/walk/{world['token']}/{suffix}"


def a_post(**changes):
    data = {
        "service": "SR-CL01",
        "idempotency_key": "page-1",
        "lat": "39.9526",
        "long": "-75.1635",
        "description": "Tags on the shutter.",
    }
    data.update(changes)
    return data


# --- the participants' page ---------------------------------------------------------------------------------------


def test_the_walk_page_offers_the_walks_services_first_to_anyone_with_the_link(client, world, during_walk):
    response = client.get(walk_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Graffiti Removal") < html.index("Illegal Dumping") < html.index("Street Light Outage")
    assert "?service=SR-CL01" in html and 'name="service"' in html  # "something else" works without JavaScript
    assert "Fels" not in html  # the school is not named to whoever holds the link


def test_the_report_form_asks_no_contact_details_and_offers_the_cohorts_names(client, world, during_walk):
    html = client.get(walk_url(world) + "?service=SR-CL01").content.decode()
    for field in (
        'name="address"',
        'name="lat"',
        'name="long"',
        'name="photo"',
        'name="description"',
        'name="participant"',
    ):
        assert field in html
    for contact in ('name="first_name"', 'name="last_name"', 'name="email"', 'name="phone"'):
        assert contact not in html
    assert "Maria R." in html and "Jamal T." in html and "Rosa" not in html and "guardian@" not in html
    assert 'id="map-config"' in html and "<script>" not in html  # the map's settings as data, its script a file


def test_filing_from_the_page_tags_the_walk_and_thanks_with_report_another(client, world, during_walk):
    maria = world["people"][0]
    response = client.post(walk_url(world) + "?service=SR-CL01", {**a_post(participant=str(maria.pk)), "photo": jpeg()})
    assert response.status_code == 302
    filed = ServiceRequest.objects.get()
    assert filed.walk_report.session == world["session"] and filed.walk_report.participant == maria
    assert filed.requester is None and filed.photos.count() == 1
    done = client.get(response["Location"])
    html = done.content.decode()
    assert done.status_code == 200 and filed.tracking_number in html
    assert f'href="{walk_url(world)}"' in html and "Report another" in html


def test_sending_twice_files_once(client, world, during_walk):
    client.post(walk_url(world) + "?service=SR-CL01", a_post())
    client.post(walk_url(world) + "?service=SR-CL01", a_post())
    assert ServiceRequest.objects.count() == 1 and WalkReport.objects.count() == 1


def test_a_point_outside_the_city_is_shown_next_to_the_place_and_nothing_is_filed(client, world, during_walk):
    response = client.post(walk_url(world) + "?service=SR-CL01", a_post(lat="40.7128", long="-74.0060"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "outside Philadelphia" in html and 'href="#id_address"' in html
    assert 'value="40.7128"' in html  # what was typed is kept
    assert ServiceRequest.objects.count() == 0 and WalkReport.objects.count() == 0


def test_an_oversized_photo_is_shown_on_the_photo_field(client, world, during_walk, settings):
    settings.CIVIC311_PHOTO_MAX_BYTES = 500
    response = client.post(walk_url(world) + "?service=SR-CL01", {**a_post(), "photo": jpeg(size=(640, 480))})
    assert response.status_code == 400
    assert 'href="#id_photo"' in response.content.decode()
    assert ServiceRequest.objects.count() == 0


def test_a_service_the_city_does_not_offer_goes_back_to_the_choice(client, world, during_walk):
    response = client.get(walk_url(world) + "?service=SR-NOPE")
    assert response.status_code == 400 and "Choose what you found" in response.content.decode()
    response = client.post(walk_url(world) + "?service=SR-NOPE", a_post(service="SR-NOPE"))
    assert response.status_code == 400 and ServiceRequest.objects.count() == 0


@pytest.mark.parametrize("state", ["unknown", "closed", "expired", "anonymised"])
def test_a_link_that_is_not_open_shows_the_closed_page(client, world, state):
    when = DURING_WALK
    url = walk_url(world)
    if state == "unknown":
        url = "/community/youth/walk/not-a-real-link/"
    elif state == "closed":
        field_walks.close_walk(world["session"], world["casey"], now=DURING_WALK)
    elif state == "expired":
        when = AFTER_CLOSING
    else:
        world["cohort"].anonymised_at = DURING_WALK
        world["cohort"].save()
    with time_machine.travel(when, tick=False):
        for response in (
            client.get(url),
            client.get(url + "?service=SR-CL01"),
            client.post(url + "?service=SR-CL01", a_post()),
        ):
            assert response.status_code == 410
            html = response.content.decode()
            assert "not open" in html and "Maria" not in html and "Fels" not in html
        assert client.get(url + "done/").status_code == 410
    assert ServiceRequest.objects.count() == 0


def test_guessing_links_is_rate_limited(client, world, during_walk, settings):
    settings.CIVIC311_REPORTS_PER_HOUR = 2
    for _ in range(2):
        assert client.get("/community/youth/walk/guess/").status_code == 410
    assert client.get("/community/youth/walk/guess/").status_code == 429
    assert client.get(walk_url(world)).status_code == 429  # even a good link, from that address, for a while


def test_filing_is_rate_limited_per_walk_and_address(client, world, during_walk, settings):
    settings.CIVIC311_REPORTS_PER_HOUR = 1  # three reports a walk an hour from one address
    for number in range(3):
        response = client.post(walk_url(world) + "?service=SR-CL01", a_post(idempotency_key=f"k{number}"))
        assert response.status_code == 302
    refused = client.post(walk_url(world) + "?service=SR-CL01", a_post(idempotency_key="k9"))
    assert refused.status_code == 429 and "Nothing was sent" in refused.content.decode()
    assert ServiceRequest.objects.count() == 3


def test_the_walk_page_speaks_spanish(client, world, during_walk):
    html = client.get(walk_url(world) + "?service=SR-CL01", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'lang="es"' in html


# --- staff pages ---------------------------------------------------------------------------------------------------


def staff_urls(world):
    slug = world["cohort"].slug
    return {
        "requests": f"/community/youth/{slug}/requests/",
        "map": f"/community/youth/{slug}/requests/map.json",
        "open": f"/community/youth/{slug}/sessions/3/walk/open/",
        "close": f"/community/youth/{slug}/sessions/2/walk/close/",
    }


def test_staff_open_a_walk_with_a_closing_time_and_close_it(client, world, during_walk):
    client.force_login(world["casey"])
    urls = staff_urls(world)
    page = client.get(urls["open"])
    assert page.status_code == 200 and 'value="2026-07-15T18:00"' in page.content.decode()
    response = client.post(urls["open"], {"closes_at": "2026-07-15T19:30"})
    assert response.status_code == 302
    third = CohortSession.objects.get(pk=world["sessions"][3].pk)
    assert third.walk_token and third.walk_closes_at == dt.datetime(2026, 7, 15, 19, 30, tzinfo=CITY)
    assert client.post(urls["close"]).status_code == 302
    assert CohortSession.objects.get(pk=world["session"].pk).walk_token == ""


def test_a_closing_time_in_the_past_is_refused_on_the_form(client, world, during_walk):
    client.force_login(world["casey"])
    response = client.post(staff_urls(world)["open"], {"closes_at": "2026-07-01T10:00"})
    assert response.status_code == 400 and "in the future" in response.content.decode()


def test_the_cohorts_requests_page_lists_outcomes_and_photos_without_the_map(client, world, during_walk):
    maria = world["people"][0]
    field_walks.file_walk_report(
        world["token"],
        field_walks.WalkReportData(service_code="SR-CL01", lat="39.9526", long="-75.1635", participant_id=maria.pk),
        jpeg(),
        now=DURING_WALK,
    )
    client.force_login(world["casey"])
    html = client.get(staff_urls(world)["requests"]).content.decode()
    assert 'id="walk-requests"' in html and "Graffiti Removal" in html and "found by Maria R." in html
    assert 'data-figure="filed">1<' in html and 'data-figure="open">1<' in html
    assert "Before" in html and "Not done yet" in html
    assert 'data-points-url="/community/youth/fels-2026/requests/map.json"' in html


def test_the_map_json_has_the_requests_and_no_personal_data(client, world, during_walk):
    maria = world["people"][0]
    field_walks.file_walk_report(
        world["token"],
        field_walks.WalkReportData(
            service_code="SR-CL01",
            lat="39.9526",
            long="-75.1635",
            participant_id=maria.pk,
            description="Maria found it near her home",
            address="12 Elm St",
        ),
        None,
        now=DURING_WALK,
    )
    client.force_login(world["casey"])
    response = client.get(staff_urls(world)["map"])
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    payload = response.json()
    assert len(payload["features"]) == 1
    text = json.dumps(payload)
    assert "Maria" not in text and "Elm" not in text and "home" not in text


@pytest.mark.parametrize("kind", ["agent", "department staff", "leadership", "liaison"])
def test_staff_pages_refuse_everyone_but_community_staff(client, world, center_city, kind, during_walk):
    if kind == "liaison":
        user = make_liaison([center_city]).user
    else:
        role = {
            "agent": StaffRole.AGENT,
            "department staff": StaffRole.DEPARTMENT_STAFF,
            "leadership": StaffRole.LEADERSHIP,
        }
        user = staff_in_role(role[kind], username=kind.split()[0])
    client.force_login(user)
    urls = staff_urls(world)
    assert client.get(urls["requests"]).status_code in (302, 403)
    assert client.get(urls["map"]).status_code in (302, 403)
    assert client.get(urls["open"]).status_code in (302, 403)
    assert client.post(urls["open"], {}).status_code in (302, 403)
    assert client.post(urls["close"]).status_code in (302, 403)
    assert CohortSession.objects.get(pk=world["session"].pk).walk_token == world["token"]
    assert not CohortSession.objects.get(pk=world["sessions"][3].pk).walk_token


def test_staff_pages_send_anonymous_visitors_to_sign_in(client, world, during_walk):
    for name, url in staff_urls(world).items():
        response = client.post(url) if name == "close" else client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], name
    assert CohortSession.objects.get(pk=world["session"].pk).walk_token == world["token"]


def test_an_unknown_cohort_or_session_is_not_found(client, world, during_walk):
    client.force_login(world["casey"])
    assert client.get("/community/youth/nobody/requests/").status_code == 404
    assert client.get(f"/community/youth/{world['cohort'].slug}/sessions/9/walk/open/").status_code == 404


# --- the block on a session's page --------------------------------------------------------------------------------


def _block(world, session):
    request = RequestFactory().get("/")
    request.user = world["casey"]
    return render_to_string("community/youth/walk_session_block.html", {"session": session}, request=request)


def test_the_session_block_shows_an_open_walks_link_and_qr_code(world, during_walk):
    html = _block(world, CohortSession.objects.get(pk=world["session"].pk))
    assert world["token"] in html and 'src="data:image/svg+xml' in html
    assert "/sessions/2/walk/close/" in html and "/sessions/2/walk/open/" in html


def test_the_session_block_offers_to_open_a_walk_not_yet_opened(world, during_walk):
    html = _block(world, world["sessions"][3])
    assert "Open the walk&#x27;s link" in html or "Open the walk's link" in html
    assert "data:image" not in html


def test_the_session_block_is_empty_for_a_session_without_a_walk(world, during_walk):
    assert _block(world, world["sessions"][1]).strip() == ""


def test_the_walk_page_for_staff_shows_an_open_walks_link_and_code(client, world, during_walk):
    client.force_login(world["casey"])
    html = client.get(f"/community/youth/{world['cohort'].slug}/sessions/2/walk/open/").content.decode()
    assert f"/community/youth/walk/{world['token']}/" in html and 'src="data:image/svg+xml' in html
    assert "Close the link now" in html


def test_the_session_block_of_a_walk_too_old_to_open_says_so(world):
    with time_machine.travel(dt.datetime(2026, 7, 30, 12, 0, tzinfo=CITY), tick=False):
        html = _block(world, world["sessions"][3])  # ended July 15
    assert "can be opened until 7 days after its session ends" in html and "<form" not in html
