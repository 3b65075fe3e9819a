"""The youth program's cohorts (Part A of issue 17): cohorts, partners, sessions, participants, the
register and the completion rule, and the staff pages that show them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from civic311.community.models import (
    PARTICIPANT_FIELDS,
    Attendance,
    Cohort,
    CohortSession,
    Participant,
    Partner,
    YouthSurveyResponse,
)
from civic311.community.selectors import youth as selectors
from civic311.community.services import youth
from civic311.community.youth_forms import ParticipantForm
from tests.factories import DepartmentFactory, JurisdictionFactory, NeighborhoodFactory

from .helpers import after_survey_response, annotated, community_staff, participant_data, youth_cohort, youth_session

NY = ZoneInfo("America/New_York")
LATER = dt.datetime(2026, 9, 15, 12, 0, tzinfo=NY)  # after the cohort's sessions


def at(month, day, hour=10):
    return dt.datetime(2026, month, day, hour, 0, tzinfo=NY)


@pytest.fixture
def casey(db):
    return community_staff()


@pytest.fixture
def cohort(jurisdiction, casey):
    return youth_cohort(jurisdiction, casey)


@pytest.fixture
def other_city(db):
    return JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False)


def errors_of(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# --- cohorts -------------------------------------------------------------------------------------------------


def test_a_cohort_is_created_with_its_creator_as_coordinator(jurisdiction, casey, cohort):
    assert cohort.slug == "harding-2026" and cohort.coordinator == casey and cohort.created_by == casey
    assert cohort.jurisdiction == jurisdiction and cohort.sessions_to_complete == 4


@pytest.mark.parametrize("slug", ["walk", "survey", "certificates", "new", "settings", "partners", "WALK"])
def test_reserved_slugs_are_refused(jurisdiction, casey, slug):
    errors = errors_of(lambda: youth_cohort(jurisdiction, casey, slug=slug))
    assert list(errors) == ["slug"]
    assert not Cohort.objects.exists()


@pytest.mark.parametrize("slug", ["", "Harding 2026", "harding--2026", "-harding", "harding_2026", "x" * 81, "é"])
def test_bad_slugs_are_refused(jurisdiction, casey, slug):
    assert "slug" in errors_of(lambda: youth_cohort(jurisdiction, casey, slug=slug))


def test_a_slug_is_unique_in_its_city_only(jurisdiction, casey, cohort, other_city):
    assert "slug" in errors_of(lambda: youth_cohort(jurisdiction, casey, name="Again"))
    elsewhere = youth_cohort(other_city, casey)
    assert elsewhere.slug == cohort.slug


def test_the_last_day_cannot_be_before_the_first(jurisdiction, casey):
    errors = errors_of(
        lambda: youth_cohort(jurisdiction, casey, starts_on=dt.date(2026, 7, 10), ends_on=dt.date(2026, 7, 9))
    )
    assert errors == {"ends_on": ["The last day cannot be before the first day."]}
    one_day = youth_cohort(jurisdiction, casey, starts_on=dt.date(2026, 7, 10), ends_on=dt.date(2026, 7, 10))
    assert one_day.starts_on == one_day.ends_on


def test_missing_and_bad_answers_are_keyed_by_field(jurisdiction, casey, other_city):
    foreign_partner = Partner.objects.create(jurisdiction=other_city, name="Far away")
    data = youth.CohortData(
        name=" ",
        slug="ok-slug",
        site_name="",
        site_kind="castle",
        starts_on=None,
        ends_on=None,
        neighborhood_id=NeighborhoodFactory(jurisdiction=other_city).pk,
        partner_ids=[foreign_partner.pk],
        sessions_to_complete=0,
    )
    errors = errors_of(lambda: youth.create_cohort(jurisdiction, data, casey))
    assert set(errors) == {
        "name",
        "site_name",
        "site_kind",
        "starts_on",
        "ends_on",
        "neighborhood",
        "partners",
        "sessions_to_complete",
    }


def test_changing_the_dates_cannot_leave_a_session_outside(jurisdiction, casey, cohort):
    youth_session(cohort, casey, 1, at(7, 16))
    data = youth.CohortData(
        name=cohort.name,
        slug="ignored",
        site_name=cohort.site_name,
        site_kind=cohort.site_kind,
        starts_on=dt.date(2026, 7, 20),
        ends_on=cohort.ends_on,
    )
    assert "ends_on" in errors_of(lambda: youth.change_cohort(cohort, data, casey))
    data.starts_on = dt.date(2026, 7, 16)
    changed = youth.change_cohort(cohort, data, casey)
    assert changed.starts_on == dt.date(2026, 7, 16) and changed.slug == "harding-2026"  # the slug stays


def test_a_changed_rule_is_applied_to_everyone(jurisdiction, casey, cohort):
    sessions = [youth_session(cohort, casey, number, at(7, 2 + 7 * (number - 1))) for number in (1, 2, 3)]
    maria = youth.add_participant(cohort, participant_data(), casey)
    for session in sessions:
        youth.record_attendance(session, [maria.pk], casey, now=LATER)
    maria.refresh_from_db()
    assert maria.completed_at is None  # 3 of 4
    data = youth.CohortData(
        name=cohort.name,
        slug="",
        site_name=cohort.site_name,
        site_kind=cohort.site_kind,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        sessions_to_complete=3,
    )
    youth.change_cohort(cohort, data, casey, now=LATER)
    maria.refresh_from_db()
    assert maria.completed_at == LATER


# --- partners ------------------------------------------------------------------------------------------------


def test_partners_are_unique_by_name_in_a_city_whatever_the_case(jurisdiction, casey, other_city):
    works = youth.create_partner(
        jurisdiction,
        youth.PartnerData(
            name="Education Works",
            website="https://educationworks.org",
            contact_name="Jasmine Council",
            contact_email="Jasmine@Example.org",
            contact_phone="(215) 686-8686",
        ),
        casey,
    )
    assert works.contact_phone == "+12156868686"
    assert errors_of(
        lambda: youth.create_partner(jurisdiction, youth.PartnerData(name=" education works "), casey)
    ) == {"name": ["A partner of this city has this name already."]}
    assert youth.create_partner(other_city, youth.PartnerData(name="Education Works"), casey).pk != works.pk
    renamed = youth.change_partner(works, youth.PartnerData(name="EDUCATION WORKS"), casey)  # itself: fine
    assert renamed.name == "EDUCATION WORKS"


def test_a_partners_bad_contact_details_are_refused(jurisdiction, casey):
    data = youth.PartnerData(name="", website="ftp://x", contact_email="not-an-email", contact_phone="12")
    assert set(errors_of(lambda: youth.create_partner(jurisdiction, data, casey))) == {
        "name",
        "website",
        "contact_email",
        "contact_phone",
    }


def test_a_cohorts_partners_are_the_citys(jurisdiction, casey, cohort, other_city):
    ours = youth.create_partner(jurisdiction, youth.PartnerData(name="Police Explorers"), casey)
    theirs = Partner.objects.create(jurisdiction=other_city, name="Elsewhere")
    assert "partners" in errors_of(lambda: youth.set_cohort_partners(cohort, [ours.pk, theirs.pk], casey))
    youth.set_cohort_partners(cohort, [ours.pk], casey)
    assert list(cohort.partners.all()) == [ours]


# --- sessions ------------------------------------------------------------------------------------------------


def test_session_numbers_are_unique_in_a_cohort(jurisdiction, casey, cohort):
    youth_session(cohort, casey, 1, at(7, 16))
    assert "number" in errors_of(lambda: youth_session(cohort, casey, 1, at(7, 23)))
    other = youth_cohort(jurisdiction, casey, slug="other")
    assert youth_session(other, casey, 1, at(7, 16)).number == 1


def test_a_session_falls_within_the_cohorts_dates_and_ends_after_it_starts(jurisdiction, casey, cohort):
    assert "starts_at" in errors_of(lambda: youth_session(cohort, casey, 1, at(6, 30)))
    assert "starts_at" in errors_of(lambda: youth_session(cohort, casey, 1, at(9, 1)))
    # 23:30 on August 31 in the city is September 1 in UTC: still the cohort's last day.
    assert youth_session(cohort, casey, 1, at(8, 31, 21), ends_at=at(8, 31, 23)).number == 1
    errors = errors_of(lambda: youth_session(cohort, casey, 2, at(7, 16), ends_at=at(7, 16)))
    assert errors == {"ends_at": ["The session must end after it starts."]}
    assert set(errors_of(lambda: youth_session(cohort, casey, 0, at(7, 16), topic=" "))) == {"number", "topic"}


def test_a_sessions_presenters_are_the_citys_and_a_presenting_partner_joins_the_cohort(
    jurisdiction, casey, cohort, other_city
):
    streets = DepartmentFactory(jurisdiction=jurisdiction, slug="streets", name="Streets")
    explorers = youth.create_partner(jurisdiction, youth.PartnerData(name="Police Explorers"), casey)
    far_department = DepartmentFactory(jurisdiction=other_city, slug="far", name="Far")
    errors = errors_of(lambda: youth_session(cohort, casey, 1, at(7, 16), department_ids=[far_department.pk]))
    assert list(errors) == ["presenting_departments"]
    session = youth_session(
        cohort,
        casey,
        1,
        at(7, 16),
        department_ids=[streets.pk],
        partner_ids=[explorers.pk],
        other_presenters="Twelve cadets",
        has_field_walk=True,
    )
    assert list(session.presenting_departments.all()) == [streets]
    assert list(cohort.partners.all()) == [explorers]


def test_five_weekly_sessions_at_once_keep_the_local_time_across_the_clock_change(jurisdiction, casey):
    autumn = youth_cohort(
        jurisdiction, casey, slug="autumn", starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 11, 30)
    )
    made = youth.create_weekly_sessions(autumn, dt.datetime(2026, 10, 20, 15, 30, tzinfo=NY), 90, casey)
    assert [session.number for session in made] == [1, 2, 3, 4, 5]
    local = [session.starts_at.astimezone(NY) for session in made]
    assert [moment.date() for moment in local] == [dt.date(2026, 10, 20) + dt.timedelta(weeks=n) for n in range(5)]
    assert {moment.time() for moment in local} == {dt.time(15, 30)}  # November 1 changed the clocks
    assert all(session.ends_at - session.starts_at == dt.timedelta(minutes=90) for session in made)
    assert [session.has_field_walk for session in made] == [True, False, False, False, False]
    assert made[4].topic == "Final presentations and graduation"
    assert "first_starts_at" in errors_of(
        lambda: youth.create_weekly_sessions(autumn, dt.datetime(2026, 10, 20, 15, 30, tzinfo=NY), 90, casey)
    )


def test_weekly_sessions_that_would_run_past_the_last_day_are_refused_whole(jurisdiction, casey, cohort):
    errors = errors_of(lambda: youth.create_weekly_sessions(cohort, at(8, 17), 120, casey))
    assert list(errors) == ["first_starts_at"] and "Session 4" in errors["first_starts_at"][0]
    assert not CohortSession.objects.exists()
    assert set(errors_of(lambda: youth.create_weekly_sessions(cohort, None, 5, casey))) == {
        "first_starts_at",
        "duration_minutes",
    }


# --- participants --------------------------------------------------------------------------------------------


def test_the_participant_model_keeps_exactly_the_allowed_fields():
    concrete = tuple(field.name for field in Participant._meta.concrete_fields)
    assert concrete == PARTICIPANT_FIELDS


def test_the_forms_and_the_service_accept_nothing_beyond_the_allowed_fields():
    assert set(ParticipantForm().fields) <= set(PARTICIPANT_FIELDS)
    assert {field.name for field in dataclasses.fields(youth.ParticipantData)} <= set(PARTICIPANT_FIELDS)


def test_a_participant_is_kept_as_typed_with_the_initial_uppercased(jurisdiction, casey, cohort):
    maria = youth.add_participant(cohort, participant_data(last_initial=" r. "), casey)
    maria.refresh_from_db()
    assert (maria.first_name, maria.last_initial, maria.display_name) == ("Maria", "R", "Maria R.")
    assert maria.guardian_contact == "+12156868686" and maria.consent_recorded_by == casey
    ana = youth.add_participant(cohort, participant_data(first_name="Ana", guardian_contact="Rosa@Example.ORG"), casey)
    assert ana.guardian_contact == "rosa@example.org"
    assert youth.add_participant(cohort, participant_data(first_name="Lee", guardian_contact=""), casey).pk


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"first_name": "Maria2"}, "first_name"),
        ({"first_name": "m@ria"}, "first_name"),
        ({"first_name": "M" * 51}, "first_name"),
        ({"last_initial": "Ro"}, "last_initial"),
        ({"last_initial": ""}, "last_initial"),
        ({"last_initial": "4"}, "last_initial"),
        ({"age_band": "18-21"}, "age_band"),
        ({"guardian_name": " "}, "guardian_name"),
        ({"guardian_contact": "call me"}, "guardian_contact"),
        ({"guardian_contact": "rosa@"}, "guardian_contact"),
        ({"consent_method": "telepathy"}, "consent_method"),
        ({"consented_on": None}, "consented_on"),
        ({"consented_on": dt.date(2025, 6, 29)}, "consented_on"),  # more than a year before July 1, 2026
        ({"consented_on": dt.date(2206, 6, 20)}, "consented_on"),  # in the future
    ],
)
def test_bad_participant_answers_are_refused_on_their_field(jurisdiction, casey, cohort, changes, field):
    errors = errors_of(lambda: youth.add_participant(cohort, participant_data(**changes), casey))
    assert list(errors) == [field]
    assert not Participant.objects.exists()


def test_the_consent_date_may_be_today_in_the_city_but_not_tomorrow(jurisdiction, casey, cohort):
    now = dt.datetime(2026, 7, 2, 23, 30, tzinfo=NY)  # July 3 in UTC
    data = participant_data(consented_on=dt.date(2026, 7, 3))
    assert "consented_on" in errors_of(lambda: youth.add_participant(cohort, data, casey, now=now))
    assert youth.add_participant(cohort, participant_data(consented_on=dt.date(2026, 7, 2)), casey, now=now).pk


def test_no_one_is_added_to_an_anonymised_cohort_nor_a_contact_after_erasure(jurisdiction, casey, cohort):
    Cohort.objects.filter(pk=cohort.pk).update(guardian_contacts_erased_at=LATER)
    assert "guardian_contact" in errors_of(lambda: youth.add_participant(cohort, participant_data(), casey))
    youth.add_participant(cohort, participant_data(guardian_contact=""), casey)
    Cohort.objects.filter(pk=cohort.pk).update(anonymised_at=LATER)
    with pytest.raises(ValidationError, match="anonymised"):
        youth.add_participant(cohort, participant_data(guardian_contact=""), casey)
    assert Participant.objects.count() == 1


def test_a_participant_is_corrected_and_removed_with_their_records(jurisdiction, casey, cohort):
    maria = youth.add_participant(cohort, participant_data(), casey)
    changed = youth.change_participant(maria, participant_data(first_name="Mariana", last_initial="s"), casey)
    assert (changed.first_name, changed.last_initial) == ("Mariana", "S")
    session = youth_session(cohort, casey, 1, at(7, 16))
    youth.record_attendance(session, [maria.pk], casey, now=LATER)
    answer = after_survey_response(maria, "before")
    youth.remove_participant(maria, casey)
    assert not Participant.objects.exists() and not Attendance.objects.exists()
    assert not YouthSurveyResponse.objects.exists()
    from civic311.surveys.models import Response

    assert not Response.objects.filter(pk=answer.response_id).exists()


# --- the register and the completion rule ----------------------------------------------------------------------


@pytest.fixture
def running(jurisdiction, casey, cohort):
    """The cohort's four sessions and three participants."""
    sessions = [youth_session(cohort, casey, number, at(7, 2 + 7 * (number - 1))) for number in (1, 2, 3, 4)]
    people = [youth.add_participant(cohort, participant_data(first_name=name), casey) for name in ("Ana", "Ben", "Cy")]
    return sessions, people


def test_the_register_writes_one_row_per_participant_and_twice_changes_nothing(casey, running):
    sessions, (ana, ben, cy) = running
    assert youth.record_attendance(sessions[0], [ana.pk, cy.pk], casey, now=LATER) == 2
    rows = {row.participant_id: row.present for row in Attendance.objects.filter(session=sessions[0])}
    assert rows == {ana.pk: True, ben.pk: False, cy.pk: True}
    stamps = list(Attendance.objects.order_by("pk").values_list("pk", "recorded_at"))
    youth.record_attendance(sessions[0], [cy.pk, ana.pk, ana.pk], casey, now=LATER + dt.timedelta(hours=1))
    assert list(Attendance.objects.order_by("pk").values_list("pk", "recorded_at")) == stamps
    youth.record_attendance(sessions[0], [ben.pk], casey, now=LATER)
    rows = {row.participant_id: row.present for row in Attendance.objects.filter(session=sessions[0])}
    assert rows == {ana.pk: False, ben.pk: True, cy.pk: False}


def test_a_register_with_a_stranger_writes_nothing(jurisdiction, casey, cohort, running):
    sessions, (ana, _ben, _cy) = running
    other = youth_cohort(jurisdiction, casey, slug="other")
    stranger = youth.add_participant(other, participant_data(first_name="Zed"), casey)
    errors = errors_of(lambda: youth.record_attendance(sessions[0], [ana.pk, stranger.pk], casey, now=LATER))
    assert list(errors) == ["present"]
    assert not Attendance.objects.exists()


def test_the_register_waits_for_the_session_to_begin(casey, running):
    sessions, (ana, _ben, _cy) = running
    with pytest.raises(ValidationError, match="begun"):
        youth.record_attendance(sessions[3], [ana.pk], casey, now=at(7, 23, 9))
    assert youth.record_attendance(sessions[3], [ana.pk], casey, now=at(7, 23, 10)) == 1


def test_completion_follows_the_register_both_ways(casey, running):
    sessions, (ana, ben, _cy) = running
    for session in sessions[:3]:
        youth.record_attendance(session, [ana.pk, ben.pk], casey, now=LATER)
    ana.refresh_from_db()
    assert ana.completed_at is None
    finished = LATER + dt.timedelta(days=1)
    youth.record_attendance(sessions[3], [ana.pk], casey, now=finished)
    ana.refresh_from_db()
    ben.refresh_from_db()
    assert ana.completed_at == finished and ben.completed_at is None
    youth.record_attendance(sessions[3], [ana.pk], casey, now=finished + dt.timedelta(days=1))
    ana.refresh_from_db()
    assert ana.completed_at == finished  # kept, not moved
    youth.record_attendance(sessions[0], [ben.pk], casey, now=LATER)  # Ana was not there after all
    ana.refresh_from_db()
    assert ana.completed_at is None


def test_update_completion_with_the_after_survey_rule(casey, cohort, running):
    sessions, (ana, ben, cy) = running
    Cohort.objects.filter(pk=cohort.pk).update(after_survey_to_complete=True, sessions_to_complete=2)
    for session in sessions[:2]:
        youth.record_attendance(session, [ana.pk, ben.pk], casey, now=LATER)
    assert not youth.update_completion(ana, now=LATER)  # attended enough, no after survey
    after_survey_response(ben, "before")
    assert not youth.update_completion(ben, now=LATER)  # the before survey is not the after one
    after_survey_response(ana, "after")
    assert youth.update_completion(ana, now=LATER) and ana.completed_at == LATER
    after_survey_response(cy, "after")
    assert not youth.update_completion(cy, now=LATER)  # answered, but attended none
    Participant.objects.filter(pk=ana.pk).update(anonymised_at=LATER)
    YouthSurveyResponse.objects.filter(participant=ana).delete()
    assert youth.update_completion(ana, now=LATER + dt.timedelta(days=3))  # anonymised: kept as it was
    ana.refresh_from_db()
    assert ana.completed_at == LATER


# --- selectors -----------------------------------------------------------------------------------------------


def test_the_lists_counts_and_attendance_summary(jurisdiction, casey, cohort, running):
    sessions, (ana, ben, cy) = running
    for session in sessions:
        youth.record_attendance(session, [ana.pk] + ([ben.pk] if session.number < 3 else []), casey, now=LATER)
    empty = youth_cohort(jurisdiction, casey, slug="empty")
    listed = {found.slug: found for found in selectors.cohorts(jurisdiction, now=at(7, 20))}
    assert annotated(listed["harding-2026"], "participant_count", "session_count") == (3, 4)
    assert annotated(listed["harding-2026"], "sessions_held") == (3,)  # July 2, 9 and 16 had begun by July 20
    assert annotated(listed["harding-2026"], "completed_count") == (1,)
    assert annotated(listed["empty"], "participant_count", "sessions_held", "completed_count") == (0, 0, 0)
    summary = {row.participant.pk: (row.attended, row.held) for row in selectors.attendance_summary(cohort, LATER)}
    assert summary == {ana.pk: (4, 4), ben.pk: (2, 4), cy.pk: (0, 4)}
    assert selectors.attendance_summary(empty) == []
    register = {row.participant.pk: row.present for row in selectors.register(sessions[2])}
    assert register == {ana.pk: True, ben.pk: False, cy.pk: False}


# --- the pages -----------------------------------------------------------------------------------------------


def test_a_cohort_from_the_pages(client, jurisdiction, casey):
    client.force_login(casey)
    response = client.post(
        reverse("community:youth_cohort_new"),
        {
            "name": "Penn Treaty School",
            "slug": "penn-treaty",
            "site_name": "Penn Treaty School",
            "site_kind": "school",
            "starts_on": "2026-07-01",
            "ends_on": "2026-08-31",
            "sessions_to_complete": "4",
        },
    )
    assert response.status_code == 302
    cohort = Cohort.objects.get(slug="penn-treaty")
    response = client.post(
        reverse("community:youth_session_new", args=[cohort.slug]),
        {"action": "weekly", "weekly-first_starts_at": "2026-07-16T10:00", "weekly-duration_minutes": "120"},
    )
    assert response.status_code == 302 and cohort.sessions.count() == 5
    response = client.post(
        reverse("community:youth_participant_new", args=[cohort.slug]),
        {
            "first_name": "Maria",
            "last_initial": "r",
            "age_band": "11-13",
            "guardian_name": "Rosa R.",
            "consent_method": "paper",
            "consented_on": "2026-06-20",
            # Not the program's to keep: ignored.
            "last_name": "Rodriguez",
            "date_of_birth": "2013-04-01",
            "school_id": "123456",
        },
    )
    assert response.status_code == 302
    maria = Participant.objects.get()
    assert maria.display_name == "Maria R." and maria.guardian_contact == ""
    page = client.get(reverse("community:youth_cohort", args=[cohort.slug])).content.decode()
    assert "Maria R." in page and "Rodriguez" not in page and "What 311 is" in page
    response = client.post(reverse("community:youth_attendance", args=[cohort.slug, 1]), {"present": [maria.pk]})
    assert response.status_code == 302
    assert Attendance.objects.get().present is True
    page = client.get(reverse("community:youth_session", args=[cohort.slug, 1])).content.decode()
    assert 'name="present"' in page and "checked" in page
    page = client.get(reverse("community:youth_participant", args=[cohort.slug, maria.pk])).content.decode()
    assert "Rosa R." in page


def test_a_bad_form_shows_the_services_errors(client, casey, cohort):
    client.force_login(casey)
    response = client.post(
        reverse("community:youth_participant_new", args=[cohort.slug]),
        {"first_name": "Maria", "last_initial": "Ro", "age_band": "11-13", "guardian_name": "Rosa"},
    )
    assert response.status_code == 200
    assert "Enter one letter" in response.content.decode() and not Participant.objects.exists()
    response = client.post(reverse("community:youth_cohort_new"), {"name": "X", "slug": "walk"})
    assert "names another page" in response.content.decode()


def test_the_settings_page_changes_the_citys_settings(client, jurisdiction, casey):
    client.force_login(casey)
    page = client.get(reverse("community:youth_settings")).content.decode()
    assert "30 days after its last day" in page
    client.post(reverse("community:youth_settings"), {"guardian_contact_days": "14", "retention_days": "180"})
    settings = youth.settings_for(jurisdiction)
    assert (settings.guardian_contact_days, settings.retention_days) == (14, 180)
    response = client.post(reverse("community:youth_settings"), {"guardian_contact_days": "90", "retention_days": "60"})
    assert "no sooner" in response.content.decode()
    assert youth.settings_for(jurisdiction).retention_days == 180


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/community/youth/harding-2026/", "youth_cohort"),
        ("/community/youth/walkers/", "youth_cohort"),  # a reserved word's prefix is a fine short name
        ("/community/youth/new/", "youth_cohort_new"),
        ("/community/youth/settings/", "youth_settings"),
        ("/community/youth/partners/", "youth_partners"),
        ("/community/youth/harding-2026/sessions/2/attendance/", "youth_attendance"),
    ],
)
def test_the_cohort_pages_addresses(path, name):
    from django.urls import resolve

    assert resolve(path).url_name == name


@pytest.mark.parametrize(
    "path",
    [
        "/community/youth/walk/a-token/",
        "/community/youth/survey/a-token/",
        "/community/youth/certificates/",
        "/community/youth/certificates/YEP-ABCD/",
        "/community/youth/walk/change/",
        "/community/youth/survey/participants/7/",
    ],
)
def test_the_cohort_pages_never_take_the_other_parts_addresses(path):
    from django.urls import Resolver404, resolve

    try:
        found = resolve(path).url_name
    except Resolver404:
        return  # that part's page is not there (yet): still not ours
    assert found not in {
        "youth_cohort",
        "youth_cohort_edit",
        "youth_session_new",
        "youth_session",
        "youth_participant",
        "youth_participant_new",
    }


def test_the_change_forms_open_with_what_is_kept(client, casey, cohort):
    client.force_login(casey)
    maria = youth.add_participant(cohort, participant_data(), casey)
    page = client.get(reverse("community:youth_participant", args=[cohort.slug, maria.pk])).content.decode()
    assert 'value="Maria"' in page and 'value="R"' in page and 'value="(215) 686-8686"' in page
    page = client.get(reverse("community:youth_session_new", args=[cohort.slug])).content.decode()
    assert 'name="number" value="1"' in page and 'name="weekly-duration_minutes" value="120"' in page
    youth_session(cohort, casey, 1, at(7, 16), topic="The app")
    page = client.get(reverse("community:youth_session_new", args=[cohort.slug])).content.decode()
    assert 'name="number" value="2"' in page and "weekly-" not in page
    page = client.get(reverse("community:youth_session_edit", args=[cohort.slug, 1])).content.decode()
    assert 'value="The app"' in page and 'value="2026-07-16T10:00"' in page
