"""The reader board: each figure against a hand count, the wall screens' display links, who may open the
staff board, the refresh, and the CSP (no inline script or style)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from civic311.insights import board, board_services
from civic311.insights.models import DisplayScreen
from civic311.people.models import StaffRole
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import Channel, Contact, ServiceRequest

from .emergency_helpers import declare
from .factories import DepartmentFactory, StaffFactory, filed_request, staff_in_role
from .roles_helpers import STAFF_ROLES

pytestmark = pytest.mark.django_db

PHILLY = ZoneInfo("America/New_York")
# 15 January, 10:00 in Philadelphia (15:00 UTC).
NOW = dt.datetime(2027, 1, 15, 10, 0, tzinfo=PHILLY)
BOARD = "/insights/board/"
ALLOWED = {
    StaffRole.AGENT,
    StaffRole.SUPERVISOR,
    StaffRole.SURVEYOR,
    StaffRole.DEPARTMENT_MANAGER,
    StaffRole.LEADERSHIP,
    StaffRole.ADMIN,
}


@pytest.fixture(autouse=True)
def _no_cached_figures():
    cache.clear()
    yield
    cache.clear()


def contact(jurisdiction, at: dt.datetime, channel: str = Channel.PHONE, **fields) -> Contact:
    return Contact.objects.create(
        jurisdiction=jurisdiction,
        channel=channel,
        outcome=Contact.Outcome.INFORMATION,
        started_at=at,
        ended_at=at + dt.timedelta(minutes=4),
        **fields,
    )


def request_at(service, requested_at: dt.datetime, **fields) -> ServiceRequest:
    """A request filed through the real intake, then moved in time (and state) for the count."""
    with time_machine.travel(requested_at, tick=False):
        row = filed_request(service)
    ServiceRequest.objects.filter(pk=row.pk).update(requested_at=requested_at, **fields)
    return row


def figures(jurisdiction, now=NOW):
    return board.compute_figures(jurisdiction, now)


# --- the figures ------------------------------------------------------------------------------------------


def test_contacts_today_are_the_citys_day_across_midnight(jurisdiction):
    # 23:59 the day before in Philadelphia is already 04:59 UTC today: yesterday, not today.
    contact(jurisdiction, dt.datetime(2027, 1, 14, 23, 59, tzinfo=PHILLY))
    contact(jurisdiction, dt.datetime(2027, 1, 15, 0, 0, tzinfo=PHILLY))  # today's first minute
    contact(jurisdiction, dt.datetime(2027, 1, 15, 0, 30, tzinfo=PHILLY), Channel.EMAIL)
    contact(jurisdiction, dt.datetime(2027, 1, 15, 9, 59, tzinfo=PHILLY), Channel.WALK_IN)
    contact(jurisdiction, dt.datetime(2027, 1, 15, 9, 58, tzinfo=PHILLY))
    # 20:00 in Philadelphia is 01:00 UTC the next day: still today here (and later than now, a clock skew).
    contact(jurisdiction, dt.datetime(2027, 1, 15, 20, 0, tzinfo=PHILLY))
    contact(jurisdiction, dt.datetime(2027, 1, 16, 0, 0, tzinfo=PHILLY))  # tomorrow
    result = figures(jurisdiction)
    assert result.day == dt.date(2027, 1, 15)
    assert result.contacts_today == 5
    assert {row.channel: row.count for row in result.contacts_by_channel} == {
        Channel.PHONE: 3,
        Channel.EMAIL: 1,
        Channel.WALK_IN: 1,
    }
    assert result.contacts_by_channel[0].channel == Channel.PHONE  # most first
    # Just after midnight in Philadelphia (05:01 UTC) the count starts again.
    assert figures(jurisdiction, dt.datetime(2027, 1, 16, 0, 1, tzinfo=PHILLY)).contacts_today == 1


def test_contacts_of_another_city_do_not_count(jurisdiction):
    from .factories import JurisdictionFactory

    other = JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh", is_default=False)
    contact(other, NOW - dt.timedelta(hours=1))
    assert figures(jurisdiction).contacts_today == 0


def test_requests_filed_today(jurisdiction, service):
    request_at(service, dt.datetime(2027, 1, 14, 23, 30, tzinfo=PHILLY))
    request_at(service, dt.datetime(2027, 1, 15, 0, 10, tzinfo=PHILLY))
    request_at(service, dt.datetime(2027, 1, 15, 9, 0, tzinfo=PHILLY))
    assert figures(jurisdiction).requests_today == 2


def test_backlog_and_overdue(jurisdiction, service):
    past, future = NOW - dt.timedelta(hours=1), NOW + dt.timedelta(days=3)
    request_at(service, NOW - dt.timedelta(days=9), status=Status.NEW, expected_at=past)  # open, overdue
    request_at(service, NOW - dt.timedelta(days=9), status=Status.ON_HOLD, expected_at=past)  # open, overdue
    request_at(service, NOW - dt.timedelta(days=2), status=Status.REOPENED, expected_at=future)  # open
    request_at(service, NOW - dt.timedelta(days=2), status=Status.IN_PROGRESS, expected_at=None)  # open, undated
    request_at(
        service,
        NOW - dt.timedelta(days=9),
        status=Status.CLOSED,
        expected_at=past,
        closed_at=NOW - dt.timedelta(days=1),
    )  # closed late: not backlog
    request_at(service, NOW - dt.timedelta(days=9), status=Status.DUPLICATE, expected_at=past)
    result = figures(jurisdiction)
    assert (result.open_backlog, result.overdue) == (4, 2)


def test_on_time_rate_over_the_last_30_days(jurisdiction, service):
    def closed(closed_ago: dt.timedelta, late: bool, status: str = Status.CLOSED, dated: bool = True):
        closed_at = NOW - closed_ago
        expected = None if not dated else closed_at + (dt.timedelta(hours=-2) if late else dt.timedelta(hours=2))
        request_at(service, NOW - dt.timedelta(days=40), status=status, closed_at=closed_at, expected_at=expected)

    closed(dt.timedelta(days=1), late=False)
    closed(dt.timedelta(days=5), late=False)
    closed(dt.timedelta(days=29, hours=23), late=False)
    closed(dt.timedelta(days=2), late=True)
    # Left out: closed 31 days ago, cancelled, undated.
    closed(dt.timedelta(days=31), late=False)
    closed(dt.timedelta(days=3), late=False, status=Status.CANCELLED)
    closed(dt.timedelta(days=3), late=False, dated=False)
    # Closed exactly at its expected time counts as on time.
    request_at(
        service,
        NOW - dt.timedelta(days=40),
        status=Status.CLOSED,
        closed_at=NOW - dt.timedelta(days=4),
        expected_at=NOW - dt.timedelta(days=4),
    )
    result = figures(jurisdiction)
    assert (result.closed_recently, result.closed_on_time) == (5, 4)
    assert result.on_time_percent == pytest.approx(80.0)


def test_no_closed_requests_shows_a_dash(client, jurisdiction, staff):
    result = figures(jurisdiction)
    assert result.on_time_percent is None
    assert result.satisfaction.percent is None
    with time_machine.travel(NOW, tick=False):
        client.force_login(staff)
        html = client.get(BOARD).content.decode()
    assert re.search(r'data-figure="on-time">—<', html)
    assert re.search(r'data-figure="satisfaction">—<', html)


def test_the_figures_are_a_few_queries_whatever_the_volume(jurisdiction, service, django_assert_max_num_queries):
    for minute in range(30):
        contact(jurisdiction, NOW - dt.timedelta(minutes=minute + 1), Channel.PHONE if minute % 2 else Channel.WEB)
    with django_assert_max_num_queries(8):
        board.compute_figures(jurisdiction, NOW)


def test_the_figures_are_cached_for_half_a_minute(jurisdiction):
    first = board.board_figures(jurisdiction, NOW)
    contact(jurisdiction, NOW - dt.timedelta(minutes=5))
    assert board.board_figures(jurisdiction, NOW + dt.timedelta(seconds=20)).contacts_today == first.contacts_today
    assert board.board_figures(jurisdiction, NOW + dt.timedelta(seconds=31)).contacts_today == first.contacts_today + 1


def test_the_emergency_is_shown_while_it_runs_and_not_after(client, jurisdiction, staff):
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        declare(jurisdiction, staff, start=NOW - dt.timedelta(hours=1), hours=3, surge=True)
    with time_machine.travel(NOW, tick=False):
        client.force_login(staff)
        html = client.get(BOARD).content.decode()
    assert "board-emergency-title" in html and "Snow emergency" in html
    assert "board-surge-flag" in html
    cache.clear()
    from civic311.emergencies.selectors import forget_cached_emergencies

    forget_cached_emergencies()
    with time_machine.travel(NOW + dt.timedelta(hours=2, minutes=1), tick=False):
        client.force_login(staff)
        html = client.get(BOARD).content.decode()
    assert "Snow emergency" not in html and "board-surge-flag" not in html


def test_an_emergency_without_surge_shows_no_flag(client, jurisdiction, staff):
    with time_machine.travel(NOW, tick=False):
        declare(jurisdiction, staff, start=NOW - dt.timedelta(minutes=5), hours=3, surge=False)
        client.force_login(staff)
        html = client.get(BOARD).content.decode()
    assert "Snow emergency" in html and "board-surge-flag" not in html


def test_the_page_shows_the_figures(client, jurisdiction, service, staff):
    contact(jurisdiction, NOW - dt.timedelta(hours=1))
    contact(jurisdiction, NOW - dt.timedelta(hours=2), Channel.EMAIL)
    request_at(service, NOW - dt.timedelta(days=3), status=Status.NEW, expected_at=NOW - dt.timedelta(hours=1))
    with time_machine.travel(NOW, tick=False):
        client.force_login(staff)
        html = client.get(BOARD).content.decode()
    assert re.search(r'data-figure="contacts">2<', html)
    assert re.search(r'data-figure="backlog">1<', html)
    assert re.search(r'data-figure="overdue">1 overdue<', html)
    assert 'data-channel="email"' in html


# --- satisfaction through the survey programme ------------------------------------------------------------


def test_yesterdays_satisfaction_from_phone_surveys(client, jurisdiction, staff):
    from civic311.surveys import services as surveys
    from civic311.surveys.models import WorkListEntry

    yesterday = dt.datetime(2027, 1, 14, 9, 0, tzinfo=PHILLY)
    for index in range(3):
        contact(
            jurisdiction,
            yesterday - dt.timedelta(hours=2, minutes=index),
            survey_consent=True,
            callback_phone=f"215-555-010{index}",
        )
    with time_machine.travel(yesterday, tick=False):
        assert surveys.build_work_list(jurisdiction, yesterday) == 3
        for entry, satisfied in zip(WorkListEntry.objects.order_by("pk"), (True, True, False), strict=True):
            surveys.claim_entry(entry, staff, yesterday)
            surveys.record_phone_survey(
                entry,
                surveyor=staff,
                now=yesterday,
                answers={"explained": True, "informed": True, "timely": True, "satisfied": satisfied},
            )
    result = figures(jurisdiction)
    assert (result.satisfaction.responses, result.satisfaction.satisfied) == (3, 2)
    with time_machine.travel(NOW, tick=False):
        client.force_login(staff)
        html = client.get(BOARD).content.decode()
    assert re.search(r'data-figure="satisfaction">67&nbsp;%<', html)
    assert "3 survey responses" in html
    # The day after, those surveys are two days old: nothing for "yesterday".
    assert figures(jurisdiction, NOW + dt.timedelta(days=1)).satisfaction.percent is None


# --- who may open the staff board -------------------------------------------------------------------------


def test_the_urls():
    assert reverse("insights:board") == BOARD
    assert reverse("insights:board_screen", args=["abc"]) == "/insights/board/screen/abc/"


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_role_against_the_board(client, jurisdiction, role):
    client.force_login(staff_in_role(role))
    assert client.get(BOARD).status_code == (200 if role in ALLOWED else 403), role


def test_anonymous_is_sent_to_sign_in(client, jurisdiction):
    response = client.get(BOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_a_role_is_refused(client, jurisdiction):
    client.force_login(StaffFactory(username="no-role"))
    assert client.get(BOARD).status_code == 403


def test_staff_of_another_city_are_refused(client, jurisdiction):
    from .factories import JurisdictionFactory

    other = JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh", is_default=False)
    agent = staff_in_role(StaffRole.AGENT, username="pgh-agent")
    agent.department = DepartmentFactory(jurisdiction=other, slug="pgh-311", name="Pittsburgh 311")
    agent.save()
    client.force_login(agent)
    assert client.get(BOARD).status_code == 403


def test_posting_is_refused(client, jurisdiction, staff):
    client.force_login(staff)
    assert client.post(BOARD).status_code == 405


# --- the wall screens' display links ----------------------------------------------------------------------


@pytest.fixture
def admin_user(jurisdiction):
    return staff_in_role(StaffRole.ADMIN, username="ada")


def test_a_display_link_shows_the_board_without_sign_in(client, jurisdiction, admin_user):
    screen, token = board_services.create_display_screen(jurisdiction, "Call floor, north wall", actor=admin_user)
    assert screen.token_hash == board_services.token_hash(token) and token not in screen.token_hash
    assert screen.created_by == admin_user
    contact(jurisdiction, NOW - dt.timedelta(hours=1))
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("insights:board_screen", args=[token]))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-figure="contacts">1<', html)
    assert "Sign in" not in html and "login" not in html.lower()
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_wrong_or_revoked_link_is_not_found(client, jurisdiction, admin_user):
    screen, token = board_services.create_display_screen(jurisdiction, "Lobby", actor=admin_user)
    assert client.get(reverse("insights:board_screen", args=["x" + token])).status_code == 404
    assert client.get(reverse("insights:board_screen", args=[board_services.token_hash(token)])).status_code == 404
    assert client.get(f"/insights/board/screen/{'a' * 300}/").status_code == 404
    assert board_services.revoke(screen, actor=admin_user) is True
    assert board_services.revoke(screen, actor=admin_user) is False
    response = client.get(reverse("insights:board_screen", args=[token]))
    assert response.status_code == 404
    assert response.status_code != 302


def test_only_admins_set_up_screens(jurisdiction):
    from django.core.exceptions import PermissionDenied

    for role in set(STAFF_ROLES) - {StaffRole.ADMIN}:
        with pytest.raises(PermissionDenied):
            board_services.create_display_screen(jurisdiction, "Wall", actor=staff_in_role(role))
    assert not DisplayScreen.objects.exists()


def test_last_seen_is_recorded_at_most_once_a_minute(client, jurisdiction, admin_user):
    screen, token = board_services.create_display_screen(jurisdiction, "Lobby", actor=admin_user)
    url = reverse("insights:board_screen", args=[token])
    with time_machine.travel(NOW, tick=False):
        client.get(url)
    screen.refresh_from_db()
    assert screen.last_seen_at == NOW
    with time_machine.travel(NOW + dt.timedelta(seconds=59), tick=False):
        client.get(url)
    screen.refresh_from_db()
    assert screen.last_seen_at == NOW
    with time_machine.travel(NOW + dt.timedelta(seconds=61), tick=False):
        client.get(url)
    screen.refresh_from_db()
    assert screen.last_seen_at == NOW + dt.timedelta(seconds=61)


def test_the_screen_shows_no_personal_data(client, jurisdiction, service, admin_user):
    from .factories import RequesterFactory

    requester = RequesterFactory(first_name="Zebulon", last_name="Quartermaine", email="zq@example.org")
    row = request_at(service, NOW - dt.timedelta(hours=1), address="1234 Unusual Lane", requester=requester)
    contact(
        jurisdiction,
        NOW - dt.timedelta(hours=1),
        callback_phone="215-555-0199",
        survey_consent=True,
        service_request=row,
        summary="Told Zebulon about trash day",
        agent=admin_user,
    )
    _screen, token = board_services.create_display_screen(jurisdiction, "Lobby", actor=admin_user)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("insights:board_screen", args=[token])).content.decode()
    for personal in (
        "Zebulon",
        "Quartermaine",
        "zq@example.org",
        "1234 Unusual Lane",
        "555-0199",
        "ada",
        admin_user.last_name,
        row.tracking_number,
    ):
        assert personal not in html


def test_the_admin_shows_the_link_once_and_revokes(client, jurisdiction, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:insights_displayscreen_add"), {"name": "Call floor", "jurisdiction": jurisdiction.pk}
    )
    assert response.status_code == 200
    screen = DisplayScreen.objects.get()
    link = re.search(r'value="(http[^"]+/insights/board/screen/([^/"]+)/)"', response.content.decode())
    assert link, response.content.decode()[:2000]
    assert board_services.token_hash(link.group(2)) == screen.token_hash
    assert screen.created_by == admin_user
    # Not shown again anywhere.
    change = client.get(reverse("admin:insights_displayscreen_change", args=[screen.pk])).content.decode()
    assert link.group(2) not in change
    response = client.post(
        reverse("admin:insights_displayscreen_changelist"), {"action": "revoke", "_selected_action": [screen.pk]}
    )
    assert response.status_code == 302
    screen.refresh_from_db()
    assert screen.revoked_at is not None
    assert client.get(reverse("insights:board_screen", args=[link.group(2)])).status_code == 404


def test_the_admin_is_for_admins_only(client, jurisdiction):
    client.force_login(staff_in_role(StaffRole.SUPERVISOR))
    assert client.get(reverse("admin:insights_displayscreen_add")).status_code == 403


# --- refresh and CSP --------------------------------------------------------------------------------------


def _pages(client, jurisdiction, admin_user):
    _screen, token = board_services.create_display_screen(jurisdiction, "Lobby", actor=admin_user)
    client.force_login(admin_user)
    return [
        client.get(BOARD).content.decode(),
        client.get(reverse("insights:board_screen", args=[token])).content.decode(),
    ]


def test_the_board_refreshes_itself(client, jurisdiction, admin_user):
    for html in _pages(client, jurisdiction, admin_user):
        assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in html
        assert re.search(r'<script src="[^"]*insights/board\.js"', html)
        assert 'id="board"' in html and 'data-refresh-seconds="60"' in html
        assert re.search(r'<link rel="stylesheet" href="[^"]*insights/board\.css"', html)


def test_no_inline_script_or_style(client, jurisdiction, admin_user):
    declare(jurisdiction, admin_user, surge=True)
    for html in _pages(client, jurisdiction, admin_user):
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert "<style" not in html
        assert not re.search(r"\sstyle=", html)
        assert not re.search(r"\son[a-z]+=", html)
        assert "hx-on" not in html
