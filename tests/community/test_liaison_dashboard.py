"""A liaison's dashboard (community.liaison_views, selectors.liaison_work): only their own neighborhoods,
never a requester's contact details, refused to everyone else; last active; the digest toggle."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from civic311.community.models import CommunityMeeting, Liaison, LiaisonFiling
from civic311.community.selectors import liaison_work
from civic311.community.services import liaison_work as liaison_work_services
from civic311.people.models import StaffRole
from civic311.service_requests.models import ServiceRequest
from tests.factories import NeighborhoodFactory, StaffFactory, box, filed_request, with_role

from .helpers import make_liaison

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
CONTACT = {"first_name": "Quinn", "last_name": "Requesterson", "email": "quinn@example.org", "phone": "215-686-8686"}


@pytest.fixture
def places(jurisdiction):
    return NeighborhoodFactory(jurisdiction=jurisdiction, name="Fishtown"), NeighborhoodFactory(
        jurisdiction=jurisdiction, name="Kensington", boundary=box(-75.10, 39.97, -75.06, 40.00)
    )


@pytest.fixture
def liaison(places):
    return make_liaison([places[0]])


def _in(neighborhood, service, **fields):
    service_request = filed_request(service, **{**CONTACT, **fields})
    ServiceRequest.objects.filter(pk=service_request.pk).update(neighborhood=neighborhood)
    return service_request


def _signed_in(client, user):
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("liaison:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("public:sign_in")


def test_staff_are_refused(client, staff):
    assert _signed_in(client, staff).get(reverse("liaison:dashboard")).status_code == 403


def test_community_staff_are_refused(client, db):
    organiser = with_role(StaffFactory(username="cora"), StaffRole.COMMUNITY_STAFF)
    assert _signed_in(client, organiser).get(reverse("liaison:dashboard")).status_code == 403


def test_a_resident_account_is_refused(client, db):
    resident = StaffFactory(username="rita", is_staff=False)
    assert _signed_in(client, resident).get(reverse("liaison:dashboard")).status_code == 403


def test_a_liaison_not_yet_trained_is_refused_with_a_word(client, places):
    accepted = make_liaison([places[0]], status="accepted")
    response = _signed_in(client, accepted.user).get(reverse("liaison:dashboard"))
    assert response.status_code == 403
    assert "training" in response.content.decode()


def test_a_liaison_sees_only_their_neighborhoods(client, liaison, places, service):
    mine = _in(places[0], service, description="Mattresses on Frankford Ave.")
    theirs = _in(places[1], service, description="Tires on Kensington Ave.")
    response = _signed_in(client, liaison.user).get(reverse("liaison:dashboard"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Fishtown" in page and "Kensington" not in page
    assert reverse("public:track_request", args=[mine.tracking_number]) in page
    assert reverse("public:track_request", args=[theirs.tracking_number]) not in page


def test_no_contact_details_on_the_dashboard(client, liaison, places, service):
    request = _in(places[0], service)
    LiaisonFiling.objects.create(service_request=_in(places[0], service), liaison=liaison)
    page = _signed_in(client, liaison.user).get(reverse("liaison:dashboard")).content.decode()
    assert request.tracking_number in page
    for detail in ("Quinn", "Requesterson", "quinn@example.org", "686-8686", "+12156868686"):
        assert detail not in page


def test_private_requests_are_left_out(client, liaison, places, service):
    private = _in(places[0], service, is_private=True)
    page = _signed_in(client, liaison.user).get(reverse("liaison:dashboard")).content.decode()
    assert private.tracking_number not in page


def test_open_overdue_and_recently_closed(liaison, places, service):
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        overdue = _in(places[0], service)
        old_closed = _in(places[0], service)
        recent_closed = _in(places[0], service)
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        fresh = _in(places[0], service)
    ServiceRequest.objects.filter(pk=old_closed.pk).update(status="closed", closed_at=NOW - dt.timedelta(days=15))
    ServiceRequest.objects.filter(pk=recent_closed.pk).update(status="closed", closed_at=NOW - dt.timedelta(days=13))
    [work] = liaison_work.neighborhood_work(liaison.user, now=NOW)
    assert [row.tracking_number for row in work.open_requests] == [fresh.tracking_number, overdue.tracking_number]
    assert [row.tracking_number for row in work.overdue_requests] == [overdue.tracking_number]
    assert [row.tracking_number for row in work.closed_recently] == [recent_closed.tracking_number]
    assert (work.open_count, work.overdue_count, work.closed_recently_count) == (2, 1, 1)
    assert work.overdue_requests[0].is_overdue and not work.open_requests[0].is_overdue


def test_the_history_of_what_they_filed(client, liaison, places, service):
    other = make_liaison([places[0]], email="max@example.org")
    meeting = CommunityMeeting.objects.create(
        jurisdiction=liaison.jurisdiction, name="Fishtown civic", held_on=NOW.date()
    )
    first = _in(places[1], service)  # a neighbour's problem across the boundary is theirs too
    second = _in(places[0], service)
    not_mine = _in(places[1], service)
    LiaisonFiling.objects.create(service_request=first, liaison=liaison, filed_at=NOW - dt.timedelta(days=2))
    LiaisonFiling.objects.create(service_request=second, liaison=liaison, filed_at=NOW, meeting=meeting)
    LiaisonFiling.objects.create(service_request=not_mine, liaison=other, filed_at=NOW)
    rows = liaison_work.filings_of(liaison.user)
    assert [row.request.tracking_number for row in rows] == [second.tracking_number, first.tracking_number]
    assert rows[0].meeting_name == "Fishtown civic"
    page = _signed_in(client, liaison.user).get(reverse("liaison:dashboard")).content.decode()
    assert first.tracking_number in page and not_mine.tracking_number not in page
    for name in ("liaison:report", "liaison:meeting", "liaison:filed"):
        assert reverse(name) in page


def test_visits_mark_last_active_at_most_once_an_hour(client, liaison):
    _signed_in(client, liaison.user)
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("liaison:dashboard"))
    with time_machine.travel(NOW + dt.timedelta(minutes=59), tick=False):
        client.get(reverse("liaison:dashboard"))
    liaison.refresh_from_db()
    assert liaison.last_active_at == NOW
    assert liaison_work_services.mark_active(liaison.user, now=NOW + dt.timedelta(hours=1)) is True
    assert liaison_work_services.mark_active(liaison.user, now=NOW + dt.timedelta(hours=1, minutes=1)) is False


def test_the_digest_can_be_turned_off_and_on(client, liaison):
    _signed_in(client, liaison.user)
    response = client.post(reverse("liaison:digest_setting"), {"weekly_digest": "off"})
    assert response.status_code == 302
    assert Liaison.objects.get(pk=liaison.pk).weekly_digest is False
    assert "Send me the weekly digest" in client.get(reverse("liaison:dashboard")).content.decode()
    client.post(reverse("liaison:digest_setting"), {"weekly_digest": "on"})
    assert Liaison.objects.get(pk=liaison.pk).weekly_digest is True


def test_the_digest_toggle_is_a_liaisons_post_only(client, liaison, staff):
    assert client.post(reverse("liaison:digest_setting"), {"weekly_digest": "off"}).status_code == 302
    assert (
        _signed_in(client, staff).post(reverse("liaison:digest_setting"), {"weekly_digest": "off"}).status_code == 403
    )
    assert _signed_in(client, liaison.user).get(reverse("liaison:digest_setting")).status_code == 405
    assert Liaison.objects.get(pk=liaison.pk).weekly_digest is True


def test_times_are_shown_in_the_citys_zone(client, liaison, places, service):
    # Filed at 01:30 UTC on 11 March: still 10 March in Philadelphia.
    with time_machine.travel(dt.datetime(2026, 3, 11, 1, 30, tzinfo=dt.UTC), tick=False):
        _in(places[0], service)
        page = _signed_in(client, liaison.user).get(reverse("liaison:dashboard")).content.decode()
    assert timezone.localtime(dt.datetime(2026, 3, 11, 1, 30, tzinfo=dt.UTC)).tzinfo is not None
    assert "March 10, 2026" in page
