"""The demo's Youth Engagement Program and pilot assessment: two finished cohorts and a running one shaped like
Philly311's account (7% → 96% knew what 311 is; 29% → 96% knew the Junior Block Captains; 29% → 35% wanted to
become one; about 25 requests on the first walk, graffiti most, then illegal dumping), certificates only for
those who completed, and a finished pilot answered before and after; all of it gone with the demo city."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from civic311.community.models import (
    Attendance,
    Cohort,
    FocusGroup,
    Participant,
    Partner,
    Phase,
    PilotAssessment,
    PilotInvitation,
    PilotParticipant,
    WalkReport,
    YouthSurveyResponse,
)
from civic311.community.selectors import pre_post
from civic311.demo import services as demo
from civic311.demo import youth as demo_youth
from civic311.service_requests.lifecycle import FINAL_STATES
from civic311.service_requests.models import ServiceRequest
from civic311.surveys.models import Question, Response

# The module-scoped fixtures are made once: all of this module's tests run on one xdist worker
# (bin/test and CI run pytest with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("demo_youth")

REQUESTS = 300
# The seed's shares, in percent: (before, after).
SEED_SHARES = {"knows_311": (7, 96), "knows_jbc": (29, 96), "wants_jbc": (29, 35)}


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    # Seeded once inside a transaction rolled back at the module's end (the demo's staff must not outlive it).
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo_city", requests=REQUESTS, seed=7, stdout=out, stderr=io.StringIO(), interactive=False)
        city = demo.demo_city()
        assert city is not None
        yield city, out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(city, db):
    return city[0]


def _comparison(cohort: Cohort) -> dict[str, pre_post.QuestionComparison]:
    responses = YouthSurveyResponse.objects.filter(participant__cohort=cohort).values_list(
        "participant_id", "phase", "response_id"
    )
    answers = pre_post.answers_of(responses)
    before = Question.objects.filter(version=cohort.before_version)
    after = Question.objects.filter(version=cohort.after_version) if cohort.after_version else Question.objects.none()
    return {row.code: row for row in pre_post.compare(before, after, answers)}


def test_two_finished_cohorts_and_a_running_one(seeded, city):
    today = timezone.localdate(timezone.now(), seeded.zone)
    cohorts = list(Cohort.objects.filter(jurisdiction=seeded).order_by("starts_on"))
    assert len(cohorts) == 3
    finished, running = cohorts[:2], cohorts[2]
    assert all(cohort.ends_on < today for cohort in finished)
    assert 12 <= (today - running.starts_on).days <= 16 and running.ends_on > today
    for cohort in cohorts:
        sessions = list(cohort.sessions.order_by("number"))
        assert [session.number for session in sessions] == [1, 2, 3, 4, 5]
        assert [session.has_field_walk for session in sessions] == [True, False, True, False, False]
        assert cohort.partners.count() == 6 and cohort.signatory_name
        assert 25 <= cohort.participants.count() <= 30
        ages = Counter(cohort.participants.values_list("age_band", flat=True))
        assert ages["11-13"] > cohort.participants.count() / 2
        assert not cohort.participants.filter(consented_on__gt=cohort.starts_on).exists()
    held = Attendance.objects.filter(session__cohort=running).values_list("session__number", flat=True).distinct()
    assert sorted(held) == [1, 2]
    assert running.after_version is None and running.before_version is not None
    assert not YouthSurveyResponse.objects.filter(participant__cohort=running, phase=Phase.AFTER).exists()
    assert YouthSurveyResponse.objects.filter(participant__cohort=running, phase=Phase.BEFORE).count() >= 20
    # Partners with invented contacts only.
    assert all(email.endswith("@example.org") for email in Partner.objects.values_list("contact_email", flat=True))
    assert "Youth program: 3 cohorts" in city[1]


def test_survey_shares_like_the_seed(seeded):
    finished = Cohort.objects.filter(jurisdiction=seeded, after_version__isnull=False)
    assert finished.count() == 2
    for cohort in finished:
        compared = _comparison(cohort)
        for code, (before, after) in SEED_SHARES.items():
            row = compared[code]
            assert row.yes_before is not None and row.yes_after is not None
            assert abs((row.yes_before.percent or 0) - before) <= 4, (cohort.slug, code, row.yes_before)
            assert abs((row.yes_after.percent or 0) - after) <= 4, (cohort.slug, code, row.yes_after)
        # The same people, mostly: the paired figures show improvement on knowing what 311 is.
        assert compared["knows_311"].paired.improved > compared["knows_311"].paired.pairs * 0.8
        assert (compared["app_comfort"].mean_after or 0) > (compared["app_comfort"].mean_before or 0)
        trash = next(choice for choice in compared["city_does"].choices if choice.key == "trash")
        assert (trash.after.percent or 0) > (trash.before.percent or 0)
    running = Cohort.objects.get(jurisdiction=seeded, after_version__isnull=True)
    row = _comparison(running)["knows_311"]
    assert row.yes_before is not None and (row.yes_before.percent or 0) <= 11 and row.after_answers == 0


def test_certificates_only_for_the_completed_of_finished_cohorts(seeded):
    participants = Participant.objects.filter(cohort__jurisdiction=seeded)
    assert participants.filter(certificate_code__isnull=False).count() >= 40
    assert not participants.filter(completed_at__isnull=True, certificate_code__isnull=False).exists()
    assert not participants.filter(cohort__after_version__isnull=True, completed_at__isnull=False).exists()
    for participant in participants.filter(cohort__after_version__isnull=False):
        attended = participant.attendance.filter(present=True).count()
        assert (attended >= participant.cohort.sessions_to_complete) == (participant.completed_at is not None)
        assert (participant.certificate_code is not None) == (participant.completed_at is not None)
    # A finished cohort's guardians' contacts are gone (30 days after its end), a running one's are kept.
    assert not participants.filter(cohort__after_version__isnull=False).exclude(guardian_contact="").exists()
    assert participants.filter(cohort__after_version__isnull=True).exclude(guardian_contact="").exists()


def test_walk_requests_tagged_graffiti_most_then_dumping(seeded):
    for cohort in Cohort.objects.filter(jurisdiction=seeded):
        first = WalkReport.objects.filter(session__cohort=cohort, session__number=1)
        assert 20 <= first.count() <= 30
        services = Counter(first.values_list("service_request__service__name", flat=True)).most_common()
        assert services[0][0] == "Graffiti Removal" and services[1][0] == "Illegal Dumping"
        assert not first.filter(participant__isnull=True).exists()
        assert not first.exclude(participant__cohort=cohort).exists()
        assert not first.exclude(service_request__requested_at__gte=cohort.sessions.get(number=1).starts_at).exists()
    finished = WalkReport.objects.filter(session__cohort__after_version__isnull=False)
    closed = finished.filter(service_request__status__in=FINAL_STATES).count()
    assert closed >= finished.count() * 0.8
    running = WalkReport.objects.filter(session__cohort__after_version__isnull=True)
    assert running.exclude(service_request__status__in=FINAL_STATES).exists()


def test_pilot_answered_before_and_after(seeded):
    pilot = PilotAssessment.objects.get(jurisdiction=seeded)
    assert pilot.ends_on < timezone.localdate(timezone.now(), seeded.zone)
    members = PilotParticipant.objects.filter(assessment=pilot)
    assert members.count() == 12
    invitations = PilotInvitation.objects.filter(participant__assessment=pilot)
    assert invitations.filter(phase=Phase.BEFORE, response__isnull=False).count() == 12
    assert 10 <= invitations.filter(phase=Phase.AFTER, response__isnull=False).count() <= 12
    assert not invitations.filter(response__isnull=False, answered_at__isnull=True).exists()
    answers = pre_post.answers_of(
        invitations.filter(response__isnull=False).values_list("participant_id", "phase", "response_id")
    )
    questions = Question.objects.filter(version=pilot.before_version)
    compared = {row.code: row for row in pre_post.compare(questions, questions, answers)}
    dimensions = ("productivity", "processes", "communication", "organization", "ease", "impact")
    assert all(compared[code].paired.pairs >= 10 for code in dimensions)
    assert all(f"{code}_comment" in compared for code in dimensions)
    better = [code for code in dimensions if (compared[code].paired.mean_difference or 0) > 0]
    assert len(better) >= 4
    assert any(compared[code].paired.worse for code in dimensions)
    assert sum(len(compared[f"{code}_comment"].comments_after) for code in dimensions) >= 10
    groups = FocusGroup.objects.filter(assessment=pilot)
    assert sorted(groups.values_list("phase", flat=True)) == [Phase.AFTER, Phase.BEFORE]
    assert all(group.notes and group.attendees.count() >= 5 for group in groups)


def test_seeding_again_adds_nothing(seeded):
    before = Cohort.objects.count(), Participant.objects.count(), WalkReport.objects.count()
    assert demo_youth.create_youth_program(seeded).cohorts == 0
    assert (Cohort.objects.count(), Participant.objects.count(), WalkReport.objects.count()) == before


def test_deterministic(seeded):
    def shape():
        return [
            (p.cohort.slug, p.first_name, p.last_initial, p.age_band, p.completed_at)
            for p in Participant.objects.filter(cohort__jurisdiction=seeded).select_related("cohort").order_by("pk")
        ]

    def pilot_shape():
        pilot = PilotAssessment.objects.get(jurisdiction=seeded)
        assert pilot.form is not None
        return pilot.form.slug, sorted(pilot.participants.values_list("user__username", flat=True))

    first, first_pilot = shape(), pilot_shape()
    with transaction.atomic():
        sid = transaction.savepoint()
        demo_youth.delete_youth_program(seeded)
        demo_youth.create_youth_program(seeded, seed=7)
        again, again_pilot = shape(), pilot_shape()
        transaction.savepoint_rollback(sid)
    assert again == first and again_pilot == first_pilot


def test_nothing_left_after_deletion(seeded):
    with transaction.atomic():
        sid = transaction.savepoint()
        request_ids = list(WalkReport.objects.values_list("service_request_id", flat=True))
        response_ids = list(YouthSurveyResponse.objects.values_list("response_id", flat=True))
        demo.delete_demo_city(seeded)
        assert not Cohort.objects.exists() and not Participant.objects.exists() and not WalkReport.objects.exists()
        assert not Partner.objects.exists() and not PilotAssessment.objects.exists()
        assert not PilotParticipant.objects.exists() and not FocusGroup.objects.exists()
        assert not ServiceRequest.objects.filter(pk__in=request_ids).exists()
        assert not Response.objects.filter(pk__in=response_ids).exists()
        transaction.savepoint_rollback(sid)
