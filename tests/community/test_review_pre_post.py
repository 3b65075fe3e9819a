"""Review of issue 17: edge cases of the before-and-after comparison (`selectors.pre_post`)."""

from __future__ import annotations

import pytest

from civic311.community.models import Phase
from civic311.community.selectors import pre_post
from civic311.surveys.models import Question

B, A = Phase.BEFORE, Phase.AFTER


def test_a_code_asked_as_another_kind_in_the_after_version_counts_only_the_after_answers():
    # The before version asked "interest" as one choice; the after version removed it and asked a new
    # "interest" as a scale of 1 to 5. The before answers ("jbc") are not ratings: not compared, no crash.
    before = [
        Question(
            code="interest",
            kind=Question.Kind.SINGLE_CHOICE,
            text="Which program?",
            choices=[{"key": "jbc", "label": "Junior Block Captains"}],
        )
    ]
    after = [Question(code="interest", kind=Question.Kind.SCALE_1_5, text="How interested are you?")]
    answers: pre_post.Answers = {1: {B: {"interest": "jbc"}, A: {"interest": 4}}, 2: {A: {"interest": 2}}}
    [row] = pre_post.compare(before, after, answers)
    assert row.kind == Question.Kind.SCALE_1_5 and row.text == "How interested are you?"
    assert (row.before_answers, row.after_answers) == (0, 2)
    assert row.mean_before is None and row.mean_after == 3
    assert row.paired.pairs == 0 and row.paired.mean_difference is None and row.paired.improved_percent is None


def test_no_answers_at_all_gives_empty_figures_not_errors():
    questions = [
        Question(code="knows", kind=Question.Kind.YES_NO, text="Know?"),
        Question(code="comfort", kind=Question.Kind.SCALE_1_5, text="Comfortable?"),
    ]
    knows, comfort = pre_post.compare(questions, questions, {})
    assert knows.yes_before is not None and knows.yes_before.percent is None and knows.change_in_points is None
    assert comfort.mean_before is None and comfort.paired.spread is None and comfort.paired.pairs == 0


# --- a certificate whose participant no longer counts as completed (a register corrected) ---


@pytest.mark.django_db
def test_a_certificate_whose_completion_was_cleared_is_not_printed_and_does_not_break_the_pdfs(client, jurisdiction):
    from django.urls import reverse

    from civic311.community.models import Attendance, Participant
    from civic311.community.selectors import youth_impact
    from civic311.community.services import youth, youth_certificates

    from .helpers import at, engagement_staff, youth_impact_cohort

    cohort, people, _sessions = youth_impact_cohort(jurisdiction)
    staff = engagement_staff()
    youth_certificates.issue_certificates(cohort, staff, now=at(2026, 4, 2, 10))
    maria = people[0]
    cohort.sessions_to_complete = 5
    cohort.save(update_fields=["sessions_to_complete"])
    Attendance.objects.filter(participant=maria, session__number=5).update(present=False)
    assert youth.update_completion(maria) is False
    maria = Participant.objects.get(pk=maria.pk)
    assert maria.certificate_code and maria.completed_at is None
    assert {p.pk for p in youth_impact.certificate_holders(cohort)} == {p.pk for p in people[1:4]}
    client.force_login(staff)
    one = client.get(reverse("community:youth_certificate_pdf", args=[cohort.slug, maria.pk]))
    assert one.status_code == 404
    every = client.get(reverse("community:youth_certificates_pdf", args=[cohort.slug]))
    assert every.status_code == 200 and every["Content-Type"] == "application/pdf"
    page = client.get(reverse("community:youth_certificates", args=[cohort.slug])).content.decode()
    assert reverse("community:youth_certificate_pdf", args=[cohort.slug, maria.pk]) not in page


# --- a cohort with nothing yet: no survey, no participant, no session, no request ---


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["youth_impact", "youth_impact_pdf", "youth_impact_csv", "youth_cohort"])
def test_an_empty_cohorts_report_shows_dashes_not_errors(client, jurisdiction, name):
    import datetime as dt

    from django.urls import reverse

    from civic311.community.models import Cohort

    from .helpers import engagement_staff

    cohort = Cohort.objects.create(
        jurisdiction=jurisdiction,
        name="Empty",
        slug="empty",
        site_name="Nowhere School",
        site_kind=Cohort.SiteKind.SCHOOL,
        starts_on=dt.date(2026, 3, 3),
        ends_on=dt.date(2026, 3, 31),
    )
    client.force_login(engagement_staff())
    response = client.get(reverse(f"community:{name}", args=[cohort.slug]))
    assert response.status_code == 200
    if name == "youth_impact":
        assert "None" not in response.content.decode().split('id="main"', 1)[-1]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["pilot_report", "pilot_report_pdf", "pilot_report_csv", "pilot"])
def test_a_pilot_nobody_answered_shows_its_report(client, jurisdiction, name):
    from django.urls import reverse

    from .helpers import community_staff, pilot_with_people

    staff = community_staff()
    pilot, _people = pilot_with_people(jurisdiction, staff, 0)
    client.force_login(staff)
    response = client.get(reverse(f"community:{name}", args=[pilot.slug]))
    assert response.status_code == 200
    if name == "pilot_report":
        assert "None" not in response.content.decode().split('id="main"', 1)[-1]


@pytest.mark.django_db
def test_a_pilot_with_the_before_phase_only(client, jurisdiction):
    from django.urls import reverse

    from civic311.community.models import Phase, PilotInvitation
    from civic311.community.selectors import pilots as selected
    from civic311.community.services import pilots

    from .helpers import community_staff, pilot_with_people, rate_all

    staff = community_staff()
    pilot, _people = pilot_with_people(jurisdiction, staff, 3)
    pilots.send_phase(pilot, Phase.BEFORE, staff)
    first, second, _third = PilotInvitation.objects.order_by("pk")
    pilots.answer(first.token, {**rate_all(2), "ease_comment": "Slow."})
    pilots.answer(second.token, rate_all(5))
    pilot.refresh_from_db()
    found = selected.report(pilot)
    ease = next(row for row in found.dimensions if row.code == "ease")
    assert ease.figures.mean_before == 3.5 and ease.figures.mean_after is None
    assert ease.figures.paired.pairs == 0 and ease.comments_before == ["Slow."]
    assert found.pooled is not None and found.pooled.before_answers == 12 and found.pooled.paired.spread is None
    assert [rate.answered for rate in found.rates] == [2, 0]
    client.force_login(staff)
    for name in ("pilot_report", "pilot_report_pdf", "pilot_report_csv"):
        response = client.get(reverse(f"community:{name}", args=[pilot.slug]))
        assert response.status_code == 200, name
    page = client.get(reverse("community:pilot_report", args=[pilot.slug])).content.decode()
    assert "None" not in page.split('id="main"', 1)[-1] and "Slow." in page
