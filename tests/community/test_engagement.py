"""Community staff's engagement: messages to liaisons (one outbox e-mail each, one transaction), community
meetings they attend, each liaison's activity (one query a page), and who may do any of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civic311.community.models import CommunityMeeting, Liaison, LiaisonFiling, ProgrammeMessage, TrainingRegistration
from civic311.community.selectors import programme
from civic311.community.services import engagement
from civic311.notifications.models import OutboundMessage
from civic311.people.models import StaffRole
from tests.factories import JurisdictionFactory, NeighborhoodFactory, ServiceFactory, filed_request, staff_in_role

from .helpers import engagement_staff, make_liaison, refused_people

NOW = dt.datetime(2026, 5, 12, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def places(jurisdiction):
    return (
        NeighborhoodFactory(jurisdiction=jurisdiction, name="Kensington"),
        NeighborhoodFactory(jurisdiction=jurisdiction, name="Germantown"),
    )


@pytest.fixture
def casey(db):
    return engagement_staff()


@pytest.fixture
def programme_people(places):
    kensington, germantown = places
    return {
        "ana": make_liaison([kensington], email="ana@example.org", language="es"),
        "bo": make_liaison([kensington, germantown], email="bo@example.org"),
        "cy": make_liaison([germantown], email="cy@example.org"),
        "lapsed": make_liaison([kensington], email="lapsed@example.org", status=Liaison.Status.LAPSED),
        "withdrawn": make_liaison([kensington], email="gone@example.org", status=Liaison.Status.WITHDRAWN),
    }


# --- messages ------------------------------------------------------------------------------------------------


def test_a_message_to_a_neighborhood_goes_to_its_active_liaisons_only(jurisdiction, places, casey, programme_people):
    kensington, _germantown = places
    message = engagement.send_message(jurisdiction, casey, "Clean-up Saturday", "Bags at the rec centre.", kensington)
    assert ProgrammeMessage.objects.count() == 1
    assert message.recipients == 2 and message.neighborhood == kensington and message.sent_by == casey
    sent = OutboundMessage.objects.filter(dedup_key__startswith="community:message:")
    assert sorted(sent.values_list("recipient", flat=True)) == ["ana@example.org", "bo@example.org"]
    for outbound in sent:
        assert "Bags at the rec centre." in outbound.body
        assert "Clean-up Saturday" in outbound.subject
        assert outbound.channel == "email"
    assert {outbound.dedup_key for outbound in sent} == {
        f"community:message:{message.pk}:liaison:{programme_people[name].pk}" for name in ("ana", "bo")
    }


def test_a_message_to_the_whole_programme_reaches_each_active_liaison_once(jurisdiction, casey, programme_people):
    message = engagement.send_message(jurisdiction, casey, "News", "Thank you all.")
    assert message.neighborhood is None and message.recipients == 3
    recipients = list(OutboundMessage.objects.values_list("recipient", flat=True))
    assert sorted(recipients) == ["ana@example.org", "bo@example.org", "cy@example.org"]  # bo once, not twice


def test_a_message_greets_each_liaison_by_name(jurisdiction, casey, programme_people):
    engagement.send_message(jurisdiction, casey, "News", "Body text.")
    body = OutboundMessage.objects.get(recipient="cy@example.org").body
    assert body.startswith("Hello Lee,")
    assert "neighborhood liaison" in body


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [("", "Body", "subject"), ("   ", "Body", "subject"), ("Subject", "", "body"), ("x" * 201, "Body", "subject")],
)
def test_an_empty_or_long_subject_or_body_is_refused(jurisdiction, casey, programme_people, subject, body, field):
    with pytest.raises(ValidationError) as caught:
        engagement.send_message(jurisdiction, casey, subject, body)
    assert field in caught.value.message_dict
    assert not ProgrammeMessage.objects.exists() and not OutboundMessage.objects.exists()


def test_a_message_nobody_would_receive_is_refused(jurisdiction, places, casey):
    make_liaison([places[0]], email="lapsed@example.org", status=Liaison.Status.LAPSED)
    with pytest.raises(ValidationError) as caught:
        engagement.send_message(jurisdiction, casey, "Hello", "Anyone?", places[0])
    assert "neighborhood" in caught.value.message_dict
    with pytest.raises(ValidationError):
        engagement.send_message(jurisdiction, casey, "Hello", "Anyone?")
    assert not ProgrammeMessage.objects.exists() and not OutboundMessage.objects.exists()


def test_a_neighborhood_of_another_city_is_refused(jurisdiction, casey, programme_people):
    other = JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh", is_default=False)
    elsewhere = NeighborhoodFactory(jurisdiction=other, name="Shadyside")
    with pytest.raises(ValidationError) as caught:
        engagement.send_message(jurisdiction, casey, "Hello", "Body", elsewhere)
    assert "neighborhood" in caught.value.message_dict
    with pytest.raises(ValidationError):
        engagement.record_meeting(jurisdiction, casey, "Meeting", NOW.date(), elsewhere)
    assert not ProgrammeMessage.objects.exists() and not CommunityMeeting.objects.exists()


def test_nothing_is_half_written_when_an_email_fails(jurisdiction, casey, programme_people, monkeypatch):
    calls = []

    def failing_queue(**fields):
        calls.append(fields)
        if len(calls) == 2:
            raise RuntimeError("outbox down")
        return OutboundMessage.objects.create(
            channel=fields["channel"], recipient=fields["recipient"], dedup_key=fields["dedup_key"], reference="x"
        )

    monkeypatch.setattr("civic311.community.services.engagement.notifications.queue", failing_queue)
    with pytest.raises(RuntimeError):
        engagement.send_message(jurisdiction, casey, "Hello", "Body")
    assert not ProgrammeMessage.objects.exists() and not OutboundMessage.objects.exists()


# --- meetings ------------------------------------------------------------------------------------------------


def test_community_staff_record_a_meeting(jurisdiction, places, casey):
    with time_machine.travel(NOW, tick=False):
        meeting = engagement.record_meeting(
            jurisdiction, casey, " Civic association ", dt.date(2026, 5, 11), places[0], "Rec centre", 42, "Potholes."
        )
    meeting.refresh_from_db()
    assert (meeting.name, meeting.place, meeting.attendance, meeting.notes) == (
        "Civic association",
        "Rec centre",
        42,
        "Potholes.",
    )
    assert meeting.recorded_by == casey and meeting.neighborhood == places[0]


@pytest.mark.parametrize(
    ("name", "held_on", "attendance", "field"),
    [
        ("", dt.date(2026, 5, 1), None, "name"),
        ("Meeting", None, None, "held_on"),
        ("Meeting", dt.date(2026, 5, 13), None, "held_on"),  # tomorrow in Philadelphia
        ("Meeting", dt.date(2026, 5, 1), -1, "attendance"),
    ],
)
def test_a_bad_meeting_is_refused(jurisdiction, casey, name, held_on, attendance, field):
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as caught:
        engagement.record_meeting(jurisdiction, casey, name, held_on, attendance=attendance)
    assert field in caught.value.message_dict
    assert not CommunityMeeting.objects.exists()


# --- who may -------------------------------------------------------------------------------------------------


def test_the_services_refuse_everyone_but_community_staff(jurisdiction, places, programme_people):
    for _label, user in refused_people(places[0]):
        actor: Any = user or AnonymousUser()
        with pytest.raises(PermissionDenied):
            engagement.send_message(jurisdiction, actor, "Hello", "Body")
        with pytest.raises(PermissionDenied):
            engagement.record_meeting(jurisdiction, actor, "Meeting", dt.date(2026, 1, 1))
    assert not ProgrammeMessage.objects.exists() and not CommunityMeeting.objects.exists()


def test_an_admin_may_send(jurisdiction, programme_people):
    admin = staff_in_role(StaffRole.ADMIN, username="root-h3")
    assert engagement.send_message(jurisdiction, admin, "Hello", "Body").recipients == 3


PAGES = [
    ("community:liaisons", ()),
    ("community:meetings", ()),
    ("community:meeting_new", ()),
    ("community:messages", ()),
    ("community:message_new", ()),
]


def test_the_staff_pages_refuse_everyone_but_community_staff(client, jurisdiction, places, programme_people):
    pages = [*PAGES, ("community:liaison", (programme_people["ana"].pk,))]
    for label, user in refused_people(places[0]):
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, args in pages:
            response = client.get(reverse(name, args=args))
            if user is None or label == "liaison":
                assert response.status_code in {302, 403}, (label, name)
                if response.status_code == 302:
                    assert "/admin/login/" in response["Location"]
            else:
                assert response.status_code == 403, (label, name)
        posted = client.post(reverse("community:message_new"), {"subject": "Hi", "body": "Body"})
        assert posted.status_code in {302, 403} and not ProgrammeMessage.objects.exists()


def test_leadership_sees_the_figures_but_not_the_liaisons(client, jurisdiction, programme_people):
    client.force_login(staff_in_role(StaffRole.LEADERSHIP, username="boss-h3"))
    assert client.get(reverse("community:figures")).status_code == 200
    assert client.get(reverse("community:liaisons")).status_code == 403
    assert client.get(reverse("community:liaison", args=[programme_people["ana"].pk])).status_code == 403


# --- the pages -----------------------------------------------------------------------------------------------


def test_staff_send_a_message_from_the_page(client, jurisdiction, places, casey, programme_people):
    client.force_login(casey)
    page = client.get(reverse("community:message_new"))
    assert page.status_code == 200
    response = client.post(
        reverse("community:message_new"), {"neighborhood": places[1].pk, "subject": "Walk", "body": "Sunday 10am."}
    )
    assert response.status_code == 302
    assert ProgrammeMessage.objects.get().recipients == 2  # bo and cy
    listing = client.get(reverse("community:messages")).content.decode()
    assert "Walk" in listing and "Germantown" in listing


def test_the_message_page_shows_the_services_refusal(client, jurisdiction, places, casey):
    client.force_login(casey)
    response = client.post(reverse("community:message_new"), {"subject": "Walk", "body": "Sunday."})
    assert response.status_code == 200
    assert "No active liaison would receive this message." in response.content.decode()


def test_staff_record_a_meeting_from_the_page(client, jurisdiction, places, casey):
    client.force_login(casey)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("community:meeting_new"),
            {"name": "Block captains", "held_on": "2026-05-10", "neighborhood": places[0].pk, "attendance": "12"},
        )
    assert response.status_code == 302
    assert CommunityMeeting.objects.get().attendance == 12
    assert "Block captains" in client.get(reverse("community:meetings")).content.decode()


def _file(liaison, service, when):
    with time_machine.travel(when, tick=False):
        request = filed_request(service)
    return LiaisonFiling.objects.create(service_request=request, liaison=liaison, filed_at=when)


def test_each_liaisons_activity(jurisdiction, places, programme_people):
    ana, bo = programme_people["ana"], programme_people["bo"]
    service = ServiceFactory()
    _file(ana, service, NOW - dt.timedelta(days=200))
    _file(ana, service, NOW - dt.timedelta(days=30))
    _file(ana, service, NOW - dt.timedelta(days=2))
    Liaison.objects.filter(pk=bo.pk).update(last_active_at=NOW - dt.timedelta(days=5))
    _file(bo, service, NOW - dt.timedelta(days=50))
    from civic311.community.models import TrainingSession

    session = TrainingSession.objects.create(
        jurisdiction=jurisdiction,
        title="Training",
        starts_at=NOW - dt.timedelta(days=400),
        ends_at=NOW - dt.timedelta(days=400, hours=-2),
        trainer="T",
        capacity=10,
        language="en",
    )
    TrainingRegistration.objects.create(session=session, liaison=ana, attended=True, completed_at=session.ends_at)
    found: dict[str, Any] = {
        liaison.email: liaison for liaison in programme.liaisons_with_activity(jurisdiction, now=NOW)
    }
    assert (found["ana@example.org"].filed, found["ana@example.org"].filed_recently) == (3, 2)
    assert found["ana@example.org"].trainings_completed == 1
    assert programme.last_active(found["ana@example.org"]) == NOW - dt.timedelta(days=2)
    assert programme.last_active(found["bo@example.org"]) == NOW - dt.timedelta(days=5)  # later than the filing
    assert programme.last_active(found["cy@example.org"]) is None
    assert found["cy@example.org"].filed == 0 and found["cy@example.org"].trainings_completed == 0


def test_the_list_filters(jurisdiction, places, programme_people):
    kensington, germantown = places
    Liaison.objects.filter(pk=programme_people["ana"].pk).update(languages=["en", "es"], last_name="Alvarez")
    Liaison.objects.filter(pk=programme_people["cy"].pk).update(languages=["esx"])

    def emails(**wanted):
        found = programme.liaisons_with_activity(jurisdiction, programme.LiaisonFilter(**wanted))
        return sorted(liaison.email for liaison in found)

    assert emails(neighborhood=germantown.pk) == ["bo@example.org", "cy@example.org"]
    assert emails(status=Liaison.Status.LAPSED) == ["lapsed@example.org"]
    assert emails(language="es") == ["ana@example.org"]  # a whole code, not "esx"
    assert emails(search="alvar") == ["ana@example.org"]
    assert emails(search="gone@") == ["gone@example.org"]
    assert emails(neighborhood=kensington.pk, status=Liaison.Status.ACTIVE) == ["ana@example.org", "bo@example.org"]


def test_the_list_page_is_a_fixed_number_of_queries(client, jurisdiction, places, casey, programme_people):
    service = ServiceFactory()
    client.force_login(casey)
    client.get(reverse("community:liaisons"))  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("community:liaisons")).status_code == 200
    for index in range(6):
        liaison = make_liaison([places[index % 2]], email=f"more{index}@example.org")
        _file(liaison, service, NOW)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("community:liaisons"))
    assert len(many) == len(few)
    assert page.content.decode().count("data-liaison=") == 11


def test_the_detail_page_shows_contact_details_and_filings(client, jurisdiction, places, casey, programme_people):
    ana = programme_people["ana"]
    filing = _file(ana, ServiceFactory(), NOW)
    client.force_login(casey)
    page = client.get(reverse("community:liaison", args=[ana.pk])).content.decode()
    assert "ana@example.org" in page and filing.service_request.tracking_number in page and "Kensington" in page
    assert client.get(reverse("community:liaison", args=[999_999])).status_code == 404


def test_a_liaison_of_another_city_is_not_found(client, jurisdiction, casey):
    other = JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh", is_default=False)
    elsewhere = make_liaison([NeighborhoodFactory(jurisdiction=other)], email="pgh@example.org")
    client.force_login(casey)
    assert client.get(reverse("community:liaison", args=[elsewhere.pk])).status_code == 404
