"""Training for liaisons: sessions, registration, attendance, completion, refreshers, lapses, withdrawal,
and the one rule that access (the liaison role's rows) follows the program (`training.sync_access`)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse

from civic311.community import tasks
from civic311.community.models import Liaison, TrainingRegistration, TrainingSession
from civic311.community.services import training
from civic311.notifications.models import OutboundMessage
from civic311.people import roles
from civic311.people.models import RoleAssignment, StaffRole, User

from ..factories import PASSWORD, NeighborhoodFactory, StaffFactory, with_role
from .helpers import accepted_liaison, community_staff, session_data

PHILLY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # Monday 10:00 in Philadelphia
NEXT_WEEK = NOW + dt.timedelta(days=7)


@pytest.fixture
def places(jurisdiction):
    return [
        NeighborhoodFactory(jurisdiction=jurisdiction, slug="fishtown", name="Fishtown"),
        NeighborhoodFactory(jurisdiction=jurisdiction, slug="kensington", name="Kensington"),
    ]


@pytest.fixture
def staff(db):
    return community_staff()


@pytest.fixture
def liaison(places, staff):
    return accepted_liaison(places, staff)


def _session(jurisdiction, staff, **changes):
    return training.create_session(
        jurisdiction, session_data(starts_at=changes.pop("starts_at", NEXT_WEEK), **changes), staff
    )


def _neighborhoods_held(liaison) -> set[int]:
    return set(RoleAssignment.objects.filter(user_id=liaison.user_id).values_list("neighborhood_id", flat=True))


def _trained(jurisdiction, staff, liaison, *, kind="initial", starts_at=NEXT_WEEK, completed=None):
    """Register, attend and complete a session of `kind`; returns the registration."""
    session = _session(jurisdiction, staff, kind=kind, starts_at=starts_at)
    registration = training.register(session, liaison, staff, now=starts_at - dt.timedelta(days=1))
    training.record_attendance(session, {liaison: True}, staff, now=starts_at + dt.timedelta(hours=1))
    return training.complete(registration, staff, now=completed or starts_at + dt.timedelta(hours=2))


# --- sessions ------------------------------------------------------------------------------------------------


def test_a_session_is_created_with_its_details(jurisdiction, staff):
    session = _session(jurisdiction, staff, online_url="https://meet.example.org/nlp", language="es")
    assert session.created_by == staff and session.capacity == 10 and session.language == "es"
    assert (session.place, session.online_url) == ("City Hall, Room 202", "https://meet.example.org/nlp")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"kind": "webinar"}, "kind"),
        ({"ends_at": NEXT_WEEK}, "ends_at"),
        ({"ends_at": NEXT_WEEK - dt.timedelta(hours=1)}, "ends_at"),
        ({"place": "", "online_url": ""}, "place"),
        ({"online_url": "meet.example.org"}, "online_url"),
        ({"trainer": ""}, "trainer"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": None}, "capacity"),
        ({"language": ""}, "language"),
    ],
)
def test_bad_session_details_are_refused(jurisdiction, staff, changes, field):
    with pytest.raises(ValidationError) as raised:
        _session(jurisdiction, staff, **changes)
    assert list(raised.value.message_dict) == [field]
    assert not TrainingSession.objects.exists()


def test_an_online_only_session_needs_no_place(jurisdiction, staff):
    assert _session(jurisdiction, staff, place="", online_url="https://meet.example.org/x").place == ""


@pytest.mark.parametrize("role", [StaffRole.AGENT, StaffRole.LEADERSHIP, None])
def test_only_community_staff_run_sessions(jurisdiction, staff, role):
    user = StaffFactory(username="other") if role is None else with_role(StaffFactory(username="other"), role)
    for actor in (user, AnonymousUser(), None):
        with pytest.raises(PermissionDenied):
            _session(jurisdiction, actor)
    session = _session(jurisdiction, staff)
    with pytest.raises(PermissionDenied):
        training.cancel_session(session, user)
    with pytest.raises(PermissionDenied):
        training.change_session(session, session_data(starts_at=NEXT_WEEK), user)


def test_changing_a_sessions_time_tells_the_registered(jurisdiction, staff, liaison):
    session = _session(jurisdiction, staff)
    training.register(session, liaison, staff, now=NOW)
    training.change_session(session, session_data(starts_at=NEXT_WEEK + dt.timedelta(days=1), capacity=1), staff)
    session.refresh_from_db()
    assert session.starts_at == NEXT_WEEK + dt.timedelta(days=1) and session.capacity == 1
    assert OutboundMessage.objects.filter(dedup_key__startswith=f"liaison-training:changed:{session.pk}").count() == 1
    with pytest.raises(ValidationError) as raised:  # fewer places than registered
        training.change_session(session, session_data(starts_at=NEXT_WEEK, capacity=0), staff)
    assert list(raised.value.message_dict) == ["capacity"]


def test_cancelling_tells_the_registered_and_closes_the_session(jurisdiction, staff, liaison):
    session = _session(jurisdiction, staff)
    training.register(session, liaison, staff, now=NOW)
    training.cancel_session(session, staff, now=NOW)
    assert session.cancelled_at == NOW
    assert OutboundMessage.objects.filter(dedup_key=f"liaison-training:cancelled:{session.pk}").count() == 1
    with pytest.raises(ValidationError):
        training.cancel_session(session, staff, now=NOW)
    with pytest.raises(ValidationError):
        training.change_session(session, session_data(starts_at=NEXT_WEEK), staff)


# --- registration --------------------------------------------------------------------------------------------


def test_registering_writes_the_place_and_an_email(jurisdiction, staff, liaison):
    session = _session(jurisdiction, staff)
    registration = training.register(session, liaison, staff, now=NOW)
    assert registration.attended is None and registration.completed_at is None
    message = OutboundMessage.objects.get(dedup_key=f"liaison-training:registered:{registration.pk}")
    assert message.recipient == "ana@example.org" and "City Hall, Room 202" in message.body
    assert "Terry Trainer" in message.body


def test_a_full_session_refuses_the_next_liaison(jurisdiction, staff, places, liaison):
    other = accepted_liaison(places, staff, email="bo@example.org", first_name="Bo")
    session = _session(jurisdiction, staff, capacity=1)
    training.register(session, liaison, staff, now=NOW)
    with pytest.raises(ValidationError) as raised:
        training.register(session, other, staff, now=NOW)
    assert raised.value.message_dict == {"session": ["This session is full."]}


@pytest.mark.parametrize("case", ["cancelled", "begun", "double", "withdrawn", "refresher before training"])
def test_registration_is_refused(jurisdiction, staff, liaison, case):
    session = _session(jurisdiction, staff, kind="refresher" if case == "refresher before training" else "initial")
    now = NOW
    if case == "cancelled":
        training.cancel_session(session, staff, now=NOW)
    elif case == "begun":
        now = NEXT_WEEK + dt.timedelta(minutes=1)
    elif case == "double":
        training.register(session, liaison, staff, now=NOW)
    elif case == "withdrawn":
        training.withdraw(liaison, staff, now=NOW)
    before = TrainingRegistration.objects.count()
    with pytest.raises(ValidationError):
        training.register(session, liaison, staff, now=now)
    assert TrainingRegistration.objects.count() == before


def test_a_liaison_registers_themselves_but_not_someone_else(jurisdiction, staff, places, liaison):
    other = accepted_liaison(places, staff, email="bo@example.org", first_name="Bo")
    session = _session(jurisdiction, staff)
    mine = training.register(session, liaison, liaison.user, now=NOW)
    with pytest.raises(PermissionDenied):
        training.register(session, other, liaison.user, now=NOW)
    with pytest.raises(PermissionDenied):
        training.register(session, other, with_role(StaffFactory(username="al"), StaffRole.AGENT), now=NOW)
    training.unregister(mine, liaison.user, now=NOW)
    assert not TrainingRegistration.objects.exists()


def test_unregistering_after_the_start_is_refused(jurisdiction, staff, liaison):
    registration = training.register(_session(jurisdiction, staff), liaison, staff, now=NOW)
    with pytest.raises(ValidationError):
        training.unregister(registration, staff, now=NEXT_WEEK)
    assert TrainingRegistration.objects.count() == 1


# --- attendance and completion -----------------------------------------------------------------------------


def test_the_register_is_taken_once_the_session_has_begun(jurisdiction, staff, places, liaison):
    other = accepted_liaison(places, staff, email="bo@example.org", first_name="Bo")
    session = _session(jurisdiction, staff)
    training.register(session, liaison, staff, now=NOW)
    training.register(session, other, staff, now=NOW)
    with pytest.raises(ValidationError):
        training.record_attendance(session, {liaison: True}, staff, now=NOW)
    assert training.record_attendance(session, {liaison: True, other.pk: False}, staff, now=NEXT_WEEK) == 2
    attended = dict(TrainingRegistration.objects.values_list("liaison_id", "attended"))
    assert attended == {liaison.pk: True, other.pk: False}
    stranger = accepted_liaison(places, staff, email="cy@example.org")
    with pytest.raises(ValidationError) as raised:
        training.record_attendance(session, {stranger: True}, staff, now=NEXT_WEEK)
    assert list(raised.value.message_dict) == ["attended"]
    with pytest.raises(PermissionDenied):
        training.record_attendance(session, {liaison: True}, liaison.user, now=NEXT_WEEK)


def test_only_an_attended_registration_completes(jurisdiction, staff, liaison):
    session = _session(jurisdiction, staff)
    registration = training.register(session, liaison, staff, now=NOW)
    with pytest.raises(ValidationError):
        training.complete(registration, staff, now=NEXT_WEEK)  # the register is not taken
    training.record_attendance(session, {liaison: False}, staff, now=NEXT_WEEK)
    with pytest.raises(ValidationError):
        training.complete(registration, staff, now=NEXT_WEEK)
    liaison.refresh_from_db()
    assert liaison.status == Liaison.Status.ACCEPTED and not _neighborhoods_held(liaison)


def test_completing_the_initial_training_makes_the_liaison_active_with_their_neighborhoods(
    jurisdiction, staff, places, liaison
):
    assert not roles.is_liaison(User.objects.get(pk=liaison.user_id))
    registration = _trained(jurisdiction, staff, liaison)
    completed = NEXT_WEEK + dt.timedelta(hours=2)
    assert registration.completed_at == completed
    assert registration.certificate_number == "NLP-2026-000001"
    liaison.refresh_from_db()
    assert liaison.status == Liaison.Status.ACTIVE and liaison.trained_at == completed
    assert liaison.refresher_due_on == dt.date(2027, 3, 9)  # 12 months after 9 March 2026
    assert _neighborhoods_held(liaison) == {place.pk for place in places}
    assert roles.is_liaison(User.objects.get(pk=liaison.user_id))
    message = OutboundMessage.objects.get(dedup_key=f"liaison-training:completed:{registration.pk}")
    assert "NLP-2026-000001" in message.body
    assert reverse("community:certificate", args=[registration.pk]) in message.body
    with pytest.raises(ValidationError):
        training.complete(registration, staff, now=completed)  # twice


def test_certificate_numbers_run_on_in_the_city(jurisdiction, staff, places, liaison):
    other = accepted_liaison(places, staff, email="bo@example.org", first_name="Bo")
    first = _trained(jurisdiction, staff, liaison)
    second = _trained(jurisdiction, staff, other)
    assert (first.certificate_number, second.certificate_number) == ("NLP-2026-000001", "NLP-2026-000002")


def test_the_completion_date_is_the_citys(jurisdiction, staff, liaison):
    # 02:00 UTC on 1 April is still 31 March in Philadelphia.
    late = dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC)
    _trained(jurisdiction, staff, liaison, completed=late)
    liaison.refresh_from_db()
    assert liaison.refresher_due_on == dt.date(2027, 3, 31)


@override_settings(CIVIC311_LIAISON_REFRESHER_MONTHS=6)
def test_the_refresher_period_is_a_setting(jurisdiction, staff, liaison):
    _trained(jurisdiction, staff, liaison)
    liaison.refresher_due_on = Liaison.objects.get(pk=liaison.pk).refresher_due_on
    assert liaison.refresher_due_on == dt.date(2026, 9, 9)


def test_add_months_keeps_to_the_months_last_day():
    assert training.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert training.add_months(dt.date(2027, 2, 28), 12) == dt.date(2028, 2, 28)
    assert training.add_months(dt.date(2026, 11, 15), 14) == dt.date(2028, 1, 15)


# --- lapses, refreshers, withdrawal ---------------------------------------------------------------------------


def test_the_sweep_lapses_overdue_liaisons_and_removes_their_access(jurisdiction, staff, places, liaison):
    _trained(jurisdiction, staff, liaison)
    due = Liaison.objects.get(pk=liaison.pk).refresher_due_on
    assert due is not None
    assert training.lapse_overdue(jurisdiction, due) == 0  # due today is not overdue
    assert training.lapse_overdue(jurisdiction, due + dt.timedelta(days=1)) == 1
    liaison.refresh_from_db()
    assert liaison.status == Liaison.Status.LAPSED and liaison.lapsed_at is not None
    assert not _neighborhoods_held(liaison)
    assert not roles.is_liaison(User.objects.get(pk=liaison.user_id))
    assert OutboundMessage.objects.filter(dedup_key__startswith=f"liaison-training:lapsed:{liaison.pk}").count() == 1
    assert training.lapse_overdue(jurisdiction, due + dt.timedelta(days=2)) == 0  # safe to run twice


def test_a_lapsed_liaison_completing_a_refresher_is_active_again(jurisdiction, staff, places, liaison):
    _trained(jurisdiction, staff, liaison)
    training.lapse_overdue(jurisdiction, dt.date(2027, 4, 1))
    refresher_start = dt.datetime(2027, 4, 10, 14, 0, tzinfo=dt.UTC)
    registration = _trained(jurisdiction, staff, liaison, kind="refresher", starts_at=refresher_start)
    liaison.refresh_from_db()
    assert liaison.status == Liaison.Status.ACTIVE and liaison.lapsed_at is None
    assert liaison.trained_at == NEXT_WEEK + dt.timedelta(hours=2)  # first trained, kept
    assert liaison.refresher_due_on == dt.date(2028, 4, 10)
    assert _neighborhoods_held(liaison) == {place.pk for place in places}
    assert registration.certificate_number == "NLP-2027-000001"


def test_a_refresher_moves_the_due_date_of_an_active_liaison(jurisdiction, staff, liaison):
    _trained(jurisdiction, staff, liaison)
    _trained(jurisdiction, staff, liaison, kind="refresher", starts_at=dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC))
    assert Liaison.objects.get(pk=liaison.pk).refresher_due_on == dt.date(2027, 12, 1)


def test_the_periodic_task_sweeps_every_city(jurisdiction, staff, liaison):
    _trained(jurisdiction, staff, liaison)
    with time_machine.travel(dt.datetime(2027, 3, 10, 12, 0, tzinfo=dt.UTC), tick=False):
        assert tasks.lapse_overdue_liaisons.call_local() == 1
    assert Liaison.objects.get(pk=liaison.pk).status == Liaison.Status.LAPSED


def test_withdrawing_removes_access_and_future_places(jurisdiction, staff, places, liaison):
    _trained(jurisdiction, staff, liaison)
    upcoming = _session(jurisdiction, staff, starts_at=NEXT_WEEK + dt.timedelta(days=30))
    training.register(upcoming, liaison, staff, now=NEXT_WEEK + dt.timedelta(days=1))
    training.withdraw(liaison, liaison.user, now=NEXT_WEEK + dt.timedelta(days=2))
    liaison.refresh_from_db()
    assert liaison.status == Liaison.Status.WITHDRAWN and liaison.withdrawn_at is not None
    assert not _neighborhoods_held(liaison)
    assert list(liaison.trainings.values_list("session_id", flat=True)) != [upcoming.pk]
    assert liaison.trainings.count() == 1  # the completed one stays on record
    with pytest.raises((ValidationError, PermissionDenied)):
        training.withdraw(liaison, staff)


def test_changing_neighborhoods_changes_an_active_liaisons_rows_only(jurisdiction, staff, places, liaison):
    third = NeighborhoodFactory(jurisdiction=jurisdiction, slug="port-richmond", name="Port Richmond")
    training.set_neighborhoods(liaison, [third], staff)
    assert not _neighborhoods_held(liaison)  # not active yet: no rows
    _trained(jurisdiction, staff, liaison)
    assert _neighborhoods_held(liaison) == {third.pk}
    training.set_neighborhoods(liaison, [places[0], third], staff)
    assert _neighborhoods_held(liaison) == {places[0].pk, third.pk}
    with pytest.raises(ValidationError):
        training.set_neighborhoods(liaison, [], staff)
    with pytest.raises(PermissionDenied):
        training.set_neighborhoods(liaison, [third], liaison.user)


# --- the pages ----------------------------------------------------------------------------------------------


def test_staff_run_a_session_from_its_page(client, jurisdiction, staff, liaison):
    client.login(username=staff.username, password=PASSWORD)
    with time_machine.travel(NOW, tick=False):
        created = client.post(
            reverse("community:training_new"),
            {
                "title": "March training",
                "kind": "initial",
                "starts_at": "2026-03-09T18:00",
                "ends_at": "2026-03-09T20:00",
                "place": "Fishtown Library",
                "trainer": "Terry Trainer",
                "capacity": "12",
                "language": "en",
            },
        )
        assert created.status_code == 302
        session = TrainingSession.objects.get()
        assert session.starts_at == dt.datetime(2026, 3, 9, 22, 0, tzinfo=dt.UTC)  # 18:00 in Philadelphia
        url = reverse("community:training", args=[session.pk])
        page = client.get(url)
        assert "Ana Applicant" in page.content.decode()  # offered for registration
        client.post(url, {"action": "register", "liaison": str(liaison.pk)})
    registration = TrainingRegistration.objects.get()
    with time_machine.travel(session.starts_at + dt.timedelta(minutes=30), tick=False):
        client.post(url, {"action": "attendance", "attended": [str(liaison.pk)]})
        client.post(url, {"action": "complete", "registration": str(registration.pk)})
    registration.refresh_from_db()
    assert registration.attended is True and registration.certificate_number
    assert Liaison.objects.get(pk=liaison.pk).status == Liaison.Status.ACTIVE


def test_the_session_form_shows_errors(client, jurisdiction, staff):
    client.login(username=staff.username, password=PASSWORD)
    page = client.post(reverse("community:training_new"), {"kind": "initial", "language": "en", "capacity": "0"})
    text = page.content.decode()
    assert page.status_code == 200 and "Give the session a title." in text and "Give a place, an online link" in text


def test_a_liaison_not_yet_trained_signs_up_on_their_page(client, jurisdiction, staff, liaison):
    english = _session(jurisdiction, staff, title="English session")
    _session(jurisdiction, staff, title="Sesión en vietnamita", language="vi")  # a language they do not speak
    _session(jurisdiction, staff, title="Refresher", kind="refresher")  # not for the untrained
    client.force_login(User.objects.get(pk=liaison.user_id))
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("liaison:trainings"))
        text = page.content.decode()
        assert page.status_code == 200
        assert "English session" in text and "vietnamita" not in text and "Refresher" not in text
        client.post(reverse("liaison:trainings"), {"action": "register", "session": str(english.pk)})
    registration = TrainingRegistration.objects.get()
    assert registration.liaison_id == liaison.pk
    with time_machine.travel(NOW, tick=False):
        client.post(reverse("liaison:trainings"), {"action": "unregister", "registration": str(registration.pk)})
    assert not TrainingRegistration.objects.exists()


def test_the_trainings_page_refuses_accounts_outside_the_programme(client, jurisdiction, staff, liaison):
    assert client.get(reverse("liaison:trainings")).status_code == 302  # anonymous: sign in
    client.force_login(StaffFactory(username="resident", is_staff=False))
    assert client.get(reverse("liaison:trainings")).status_code == 403
    training.withdraw(liaison, staff)
    client.force_login(User.objects.get(pk=liaison.user_id))
    assert client.get(reverse("liaison:trainings")).status_code == 403


def test_the_admin_shows_the_programme_read_only(client, jurisdiction, staff, liaison):
    registration = _trained(jurisdiction, staff, liaison)
    client.login(username=staff.username, password=PASSWORD)
    pages = [
        reverse("admin:community_liaisonapplication_changelist"),
        reverse("admin:community_liaisonapplication_change", args=[liaison.application_id]),
        reverse("admin:community_liaison_changelist"),
        reverse("admin:community_liaison_change", args=[liaison.pk]),
        reverse("admin:community_trainingsession_changelist"),
        reverse("admin:community_trainingsession_change", args=[registration.session_id]),
        reverse("admin:community_trainingregistration_changelist"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'name="_save"' not in response.content.decode(), url  # nothing to save: read only
    assert client.get(reverse("admin:community_liaison_add")).status_code == 403
    posted = client.post(reverse("admin:community_liaison_change", args=[liaison.pk]), {"status": "withdrawn"})
    assert posted.status_code == 403
    assert Liaison.objects.get(pk=liaison.pk).status == Liaison.Status.ACTIVE
    client.force_login(with_role(StaffFactory(username="al"), StaffRole.AGENT))
    assert client.get(reverse("admin:community_liaison_changelist")).status_code == 403


def test_saving_the_register_again_keeps_a_completed_liaisons_attendance(client, jurisdiction, staff, places, liaison):
    other = accepted_liaison(places, staff, email="bo@example.org", first_name="Bo")
    registration = _trained(jurisdiction, staff, liaison)
    session = registration.session
    with time_machine.travel(NOW, tick=False):
        training.register(session, other, staff, now=NOW)
    client.login(username=staff.username, password=PASSWORD)
    url = reverse("community:training", args=[session.pk])
    with time_machine.travel(session.starts_at + dt.timedelta(hours=1), tick=False):
        # Ana's box is disabled (completed), so only Bo's is sent.
        client.post(url, {"action": "attendance", "attended": [str(other.pk)]})
    attended = dict(TrainingRegistration.objects.values_list("liaison_id", "attended"))
    assert attended == {liaison.pk: True, other.pk: True}


def test_a_liaison_is_offered_the_first_training_until_trained_then_only_refreshers(jurisdiction, staff, liaison):
    from civic311.community.selectors import recruitment

    initial = _session(jurisdiction, staff, kind="initial", starts_at=NEXT_WEEK)
    refresher = _session(jurisdiction, staff, kind="refresher", starts_at=NEXT_WEEK + dt.timedelta(days=1))
    assert recruitment.my_trainings(liaison, NOW).offered == [initial]

    _trained(jurisdiction, staff, liaison, starts_at=NOW + dt.timedelta(days=2))
    liaison.refresh_from_db()
    later = NOW + dt.timedelta(days=3)
    assert liaison.status == Liaison.Status.ACTIVE
    assert recruitment.my_trainings(liaison, later).offered == [refresher]

    Liaison.objects.filter(pk=liaison.pk).update(status=Liaison.Status.LAPSED)  # a lapsed one comes back by one
    liaison.refresh_from_db()
    assert recruitment.my_trainings(liaison, later).offered == [refresher]
