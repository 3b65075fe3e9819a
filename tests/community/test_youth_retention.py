"""The youth program's retention job (Part A of issue 17): the guardians' contacts erased, then the
participants anonymised, on the city's schedule after a cohort ends; exactly that, and nothing else."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest

from civic311.community import tasks
from civic311.community.models import Attendance, Cohort, Liaison, Participant, YouthSettings
from civic311.community.selectors import youth as selectors
from civic311.community.services import youth
from tests.factories import JurisdictionFactory, NeighborhoodFactory

from .helpers import after_survey_response, community_staff, make_liaison, participant_data, youth_cohort, youth_session

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2027, 1, 10, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def casey(db):
    return community_staff()


@pytest.fixture
def other_city(db):
    return JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False)


def cohort_ending(jurisdiction, casey, slug, ends_on, people=("Ana", "Ben")):
    cohort = youth_cohort(
        jurisdiction,
        casey,
        slug=slug,
        starts_on=ends_on - dt.timedelta(days=40),
        ends_on=ends_on,
        sessions_to_complete=1,
    )
    session = youth_session(
        cohort, casey, 1, dt.datetime.combine(ends_on - dt.timedelta(days=30), dt.time(10), tzinfo=NY)
    )
    made = [
        youth.add_participant(
            cohort,
            participant_data(
                first_name=name,
                guardian_contact=f"{name.lower()}.parent@example.org",
                consented_on=ends_on - dt.timedelta(days=45),
            ),
            casey,
            now=dt.datetime.combine(ends_on - dt.timedelta(days=40), dt.time(9), tzinfo=NY),
        )
        for name in people
    ]
    youth.record_attendance(session, [made[0].pk], casey, now=session.starts_at)
    return cohort, made


def snapshot(cohort):
    return list(
        Participant.objects.filter(cohort=cohort)
        .order_by("pk")
        .values_list(
            "first_name",
            "last_initial",
            "age_band",
            "guardian_name",
            "guardian_contact",
            "consent_method",
            "consented_on",
            "completed_at",
            "certificate_code",
            "anonymised_at",
        )
    )


@pytest.fixture
def city(jurisdiction, casey, other_city):
    """In Philadelphia (30 days for contacts, 365 to anonymise; today January 10, 2027):
    - old: ended December 1, 2025, 405 days ago: both due;
    - ended: ended November 30, 2026, 41 days ago: the contacts only;
    - edge: ended December 11, 2026: its 30th day after is today, not passed: nothing yet;
    - year: ended January 10, 2026: its 365th day after is today: contacts only;
    - running: ends February 2027: nothing.
    And in Pittsburgh, an old cohort as due as Philadelphia's."""
    cohorts = {
        "old": cohort_ending(jurisdiction, casey, "old", dt.date(2025, 12, 1)),
        "ended": cohort_ending(jurisdiction, casey, "ended", dt.date(2026, 11, 30)),
        "edge": cohort_ending(jurisdiction, casey, "edge", dt.date(2026, 12, 11)),
        "year": cohort_ending(jurisdiction, casey, "year", dt.date(2026, 1, 10)),
        "running": cohort_ending(jurisdiction, casey, "running", dt.date(2027, 2, 28)),
        "far": cohort_ending(other_city, casey, "far", dt.date(2025, 12, 1)),
    }
    old_ana = cohorts["old"][1][0]
    Participant.objects.filter(pk=old_ana.pk).update(certificate_code="YEP-ABCD-1234", certificate_issued_at=NOW)
    after_survey_response(old_ana, "after")
    return cohorts


def test_retention_removes_what_is_due_and_nothing_else(jurisdiction, city, other_city):
    liaison = make_liaison([NeighborhoodFactory(jurisdiction=jurisdiction)])
    before = {name: snapshot(cohort) for name, (cohort, _people) in city.items()}
    attendance = sorted(Attendance.objects.values_list("participant_id", "session_id", "present"))

    counts = youth.apply_retention(jurisdiction, today=dt.date(2027, 1, 10), now=NOW)

    assert (counts.contacts_erased, counts.cohorts_contacts_erased) == (6, 3)  # old, ended, year: two each
    assert (counts.participants_anonymised, counts.cohorts_anonymised) == (2, 1)  # old only
    old, (ana, ben) = city["old"]
    assert snapshot(old) == [("", "", row[2], "", "", row[5], row[6], row[7], row[8], NOW) for row in before["old"]]
    ana.refresh_from_db()
    assert ana.display_name == f"Participant {ana.pk}" and ana.certificate_code == "YEP-ABCD-1234"
    assert ana.completed_at is not None and ana.survey_responses.count() == 1
    old.refresh_from_db()
    assert old.anonymised_at == NOW and old.guardian_contacts_erased_at == NOW
    for name in ("ended", "year"):
        cohort, _people = city[name]
        assert snapshot(cohort) == [(*row[:4], "", *row[5:]) for row in before[name]]
        cohort.refresh_from_db()
        assert cohort.guardian_contacts_erased_at == NOW and cohort.anonymised_at is None
    for name in ("edge", "running", "far"):
        cohort, _people = city[name]
        assert snapshot(cohort) == before[name]
        cohort.refresh_from_db()
        assert cohort.guardian_contacts_erased_at is None and cohort.anonymised_at is None
    assert sorted(Attendance.objects.values_list("participant_id", "session_id", "present")) == attendance
    liaison.refresh_from_db()
    assert (liaison.first_name, liaison.last_name, liaison.email) == ("Lee", "Liaison", "lee@example.org")
    assert Liaison.objects.count() == 1
    # The figures survive: the summary still counts Ana's session.
    summary = {row.participant.pk: row.attended for row in selectors.attendance_summary(old)}
    assert summary == {ana.pk: 1, ben.pk: 0}


def test_retention_twice_changes_nothing_more(jurisdiction, city):
    youth.apply_retention(jurisdiction, today=dt.date(2027, 1, 10), now=NOW)
    after = {name: snapshot(cohort) for name, (cohort, _people) in city.items()}
    again = youth.apply_retention(jurisdiction, today=dt.date(2027, 1, 10), now=NOW + dt.timedelta(days=1))
    assert again == youth.RetentionCounts()
    assert {name: snapshot(cohort) for name, (cohort, _people) in city.items()} == after
    assert Cohort.objects.get(slug="old", jurisdiction=jurisdiction).anonymised_at == NOW


def test_the_next_day_takes_the_edge_cohorts(jurisdiction, city):
    counts = youth.apply_retention(jurisdiction, today=dt.date(2027, 1, 11), now=NOW)
    assert counts.cohorts_contacts_erased == 4  # old, ended, year, and now edge
    assert counts.cohorts_anonymised == 2  # old, and now year
    assert Participant.objects.filter(cohort__slug="year", first_name="").count() == 2


def test_each_city_follows_its_own_settings(jurisdiction, other_city, city):
    YouthSettings.objects.create(jurisdiction=other_city, guardian_contact_days=0, retention_days=1000)
    youth.change_settings(jurisdiction, 60, 100, community_staff("casey-2"))
    counts = youth.apply_retention(None, today=dt.date(2027, 1, 10), now=NOW)
    # Philadelphia: old and year (over 100 days) anonymised; ended (41 days) not yet due for its contacts.
    assert set(Cohort.objects.filter(anonymised_at=NOW).values_list("slug", flat=True)) == {"old", "year"}
    erased = set(Cohort.objects.filter(guardian_contacts_erased_at=NOW).values_list("slug", "jurisdiction__slug"))
    assert erased == {("old", jurisdiction.slug), ("year", jurisdiction.slug), ("far", "pittsburgh")}
    assert counts.participants_anonymised == 4
    far, _people = city["far"]
    assert not Participant.objects.filter(cohort=far, first_name="").exists()


def test_a_contact_added_by_mistake_after_erasure_is_erased_again(jurisdiction, city):
    youth.apply_retention(jurisdiction, today=dt.date(2027, 1, 10), now=NOW)
    _ended, (ana, _ben) = city["ended"]
    Participant.objects.filter(pk=ana.pk).update(guardian_contact="+12156868686")  # e.g. by the admin
    counts = youth.apply_retention(jurisdiction, today=dt.date(2027, 1, 10), now=NOW)
    assert (counts.contacts_erased, counts.cohorts_contacts_erased) == (1, 0)
    ana.refresh_from_db()
    assert ana.guardian_contact == ""


def test_the_nightly_task_runs_every_city_and_logs_no_one(jurisdiction, city, caplog, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    with caplog.at_level(logging.INFO, logger="civic311.community.services.youth"):
        total = tasks.apply_youth_retention.call_local()
    # 03:00 UTC on January 10 is still January 9 in both cities: the same cohorts are due as on the 10th.
    assert total == 6 + 2 + 2 + 2  # Philadelphia's 6 contacts and 2 anonymised, Pittsburgh's old cohort
    logged = caplog.text
    assert "youth retention" in logged
    for private in ("Ana", "Ben", "parent@example.org", "Rosa"):
        assert private not in logged


def test_a_zero_day_setting_erases_the_day_after_the_cohort_ends(jurisdiction, casey):
    youth.change_settings(jurisdiction, 0, 0, casey)
    _cohort, _people = cohort_ending(jurisdiction, casey, "short", dt.date(2027, 1, 9))
    assert youth.apply_retention(jurisdiction, today=dt.date(2027, 1, 9), now=NOW) == youth.RetentionCounts()
    counts = youth.apply_retention(jurisdiction, today=dt.date(2027, 1, 10), now=NOW)
    assert counts.participants_anonymised == 2


@pytest.mark.parametrize(
    ("contact_days", "retention_days", "field"),
    [
        (-1, 30, "guardian_contact_days"),
        (None, 30, "guardian_contact_days"),
        (30, 29, "retention_days"),
        (30, 4000, "retention_days"),
    ],
)
def test_bad_settings_are_refused(jurisdiction, casey, contact_days, retention_days, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        youth.change_settings(jurisdiction, contact_days, retention_days, casey)
    assert list(caught.value.message_dict) == [field]
    assert youth.settings_for(jurisdiction).retention_days == 365


def _words_and_ratings(youth_response, words):
    """A free-text and a yes-or-no answer on the participant's response."""
    version = youth_response.response.version
    text, _ = version.questions.get_or_create(code="why", defaults={"kind": "free_text", "text": "Why?"})
    knows, _ = version.questions.get_or_create(code="knows", defaults={"kind": "yes_no", "text": "Know 311?"})
    youth_response.response.answers.create(question=text, value=words)
    youth_response.response.answers.create(question=knows, value=True)


def test_the_childrens_own_words_go_with_their_names_and_the_links_close(jurisdiction, city):
    """A child's free-text answer may name them: it is blanked when the cohort is anonymised (the other
    answers stay, for the figures); the public links, which list the names, close when the program's
    contacts are erased."""
    old, (old_ana, _ben) = city["old"]
    ended, (ended_ana, _) = city["ended"]
    _words_and_ratings(old_ana.survey_responses.get(), "I am Ana from 5th street")
    _words_and_ratings(after_survey_response(ended_ana), "My name is Ana and I liked it")
    for cohort in (old, ended, city["running"][0]):
        Cohort.objects.filter(pk=cohort.pk).update(before_survey_token=f"b-{cohort.slug}", after_survey_token="a")
        cohort.sessions.update(walk_token=f"w-{cohort.slug}", walk_closes_at=NOW + dt.timedelta(days=1))

    youth.apply_retention(jurisdiction, today=dt.date(2027, 1, 10), now=NOW)

    def answers(participant):
        rows = participant.survey_responses.get().response.answers.values_list("question__code", "value")
        return dict(rows)

    assert answers(old_ana) == {"why": "", "knows": True}
    assert answers(ended_ana) == {"why": "My name is Ana and I liked it", "knows": True}  # not anonymised yet
    for cohort in (old, ended):
        cohort.refresh_from_db()
        assert (cohort.before_survey_token, cohort.after_survey_token) == ("", "")
        assert not cohort.sessions.exclude(walk_token="").exists()
    running = Cohort.objects.get(pk=city["running"][0].pk)
    assert running.before_survey_token == "b-running" and running.sessions.filter(walk_token="w-running").exists()
