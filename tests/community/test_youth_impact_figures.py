"""A youth cohort's impact report against figures worked out by hand (the cohort of
`helpers.youth_impact_cohort`: seven participants, five sessions, a survey asked before and after)."""

from __future__ import annotations

import pytest

from civic311.community.models import Participant, Phase, WalkReport
from civic311.community.selectors import youth_impact
from tests.factories import ServiceFactory, filed_request

from .helpers import at, close, youth_impact_cohort


@pytest.fixture
def cohort(jurisdiction):
    return youth_impact_cohort(jurisdiction)[0]


def _row(report, code):
    [row] = [row for row in report.questions if row.code == code]
    return row


def test_yes_or_no_shares_before_and_after_and_pairs(cohort):
    row = _row(youth_impact.impact_report(cohort), "knows_jbc")
    # Before: P1, P2 of seven said yes (28.6 %); after: P1, P3, P4, P5, P6 of six (83.3 %): +54.8 points.
    assert (row.yes_before.count, row.yes_before.total) == (2, 7)
    assert (row.yes_after.count, row.yes_after.total) == (5, 6)
    assert row.yes_before.percent == pytest.approx(200 / 7)
    assert row.yes_after.percent == pytest.approx(500 / 6)
    assert row.change_in_points == pytest.approx(500 / 6 - 200 / 7)
    # Six answered both: P3..P6 no → yes, P2 yes → no, P1 stayed yes.
    assert (row.paired.pairs, row.paired.improved, row.paired.worse, row.paired.unchanged) == (6, 4, 1, 1)


def test_scale_means_and_paired_change(cohort):
    row = _row(youth_impact.impact_report(cohort), "comfort")
    assert row.mean_before == pytest.approx(20 / 7)  # 1+2+2+3+3+4+5
    assert row.mean_after == pytest.approx(22 / 6)  # 3+4+2+4+5+4
    # Differences 2, 2, 0, 1, 2, 0: mean 7/6; squares of the deviations 174/36, over 5.
    assert row.paired.mean_difference == pytest.approx(7 / 6)
    assert row.paired.spread == pytest.approx((174 / 180) ** 0.5)
    assert (row.paired.improved, row.paired.unchanged, row.paired.worse) == (4, 2, 0)


def test_choices_and_comments(cohort):
    report = youth_impact.impact_report(cohort)
    row = _row(report, "interest")
    shares = {
        choice.key: (choice.before.count, choice.before.total, choice.after.count, choice.after.total)
        for choice in row.choices
    }
    assert shares == {"jbc": (1, 2, 2, 2), "explorers": (1, 2, 0, 2)}
    assert (row.paired.pairs, row.paired.unchanged) == (2, 1)
    [(text, before, after)] = report.comments
    assert text == "What do you hope to learn?"
    # Sorted, not in the participants' order.
    assert before == [('=HYPERLINK("http://evil.example")', 1), ("How to fix my block", 1)]
    assert after == [("About the 311 app", 1)]


def test_participation(cohort):
    taking = youth_impact.impact_report(cohort).participation
    assert (taking.participants, taking.sessions_planned, taking.sessions_held) == (7, 5, 5)
    assert taking.mean_attended == pytest.approx(24 / 7)  # 5+5+4+4+3+2+1
    assert taking.attendance_percent == pytest.approx(100 * 24 / 35)
    assert (taking.completed, taking.certificates) == (4, 0)
    assert taking.completed_percent == pytest.approx(400 / 7)
    assert (taking.answered_before, taking.answered_after, taking.answered_both) == (7, 6, 6)


def test_sessions_not_yet_held_are_not_counted(cohort):
    from civic311.community.models import Attendance

    # Seen on the morning of the third session, before its register: two held.
    Attendance.objects.filter(session__number__gte=3).delete()
    taking = youth_impact.participation(cohort, at(2026, 3, 17, 9))
    assert (taking.sessions_planned, taking.sessions_held) == (5, 2)


def test_anonymised_participants_still_count(cohort):
    from django.utils import timezone

    Participant.objects.filter(cohort=cohort).update(anonymised_at=timezone.now(), first_name="", guardian_name="")
    report = youth_impact.impact_report(cohort)
    assert report.participation.participants == 7 and report.participation.completed == 4
    assert _row(report, "knows_jbc").yes_after.count == 5


def test_the_walks_requests_come_from_the_field_walks_figures(cohort, jurisdiction):
    _cohort, people, sessions = cohort, list(cohort.participants.all()), list(cohort.sessions.order_by("number"))
    service = ServiceFactory(jurisdiction=jurisdiction, name="Litter")
    first = filed_request(service, now=at(2026, 3, 17, 16))
    second = filed_request(service, now=at(2026, 3, 17, 16, 30))
    for request in (first, second):
        WalkReport.objects.create(service_request=request, session=sessions[2], participant=people[0])
    close(first, at(2026, 3, 19, 16))
    outcomes = youth_impact.impact_report(cohort).outcomes
    assert (outcomes.filed, outcomes.closed, outcomes.open) == (2, 1, 1)
    assert outcomes.median_days_to_close == 2.0
    assert [tuple(row) for row in outcomes.by_service] == [("Litter", 2, 1)]


def test_a_cohort_without_survey_or_answers(jurisdiction):
    from civic311.community.models import Cohort

    cohort, _people, _sessions = youth_impact_cohort(jurisdiction, slug="other")
    bare = Cohort.objects.create(
        jurisdiction=jurisdiction,
        name="Empty",
        slug="empty",
        site_name="Library",
        site_kind="library",
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
    )
    report = youth_impact.impact_report(bare)
    assert report.questions == [] and report.participation.participants == 0
    assert report.participation.mean_attended is None and report.participation.attendance_percent is None
    assert report.outcomes.filed == 0


def _csv(report):
    return list(youth_impact.csv_rows(report))


def test_csv_one_row_per_question_and_measure(cohort):
    rows = _csv(youth_impact.impact_report(cohort))
    assert rows[0] == youth_impact.CSV_HEADER
    by_key = {(row[0], row[1], row[3]): row for row in rows[1:]}
    yes = by_key[("survey", "knows_jbc", "yes_percent")]
    assert yes[4:10] == ["28.6", "83.3", "54.8", 7, 6, 6]
    assert by_key[("survey", "knows_jbc", "yes_count")][4:7] == [2, 5, 3]
    assert by_key[("survey", "knows_jbc", "paired_improved")][-1] == 4
    assert by_key[("survey", "knows_jbc", "paired_worse")][-1] == 1
    assert by_key[("survey", "comfort", "mean")][4:7] == ["2.86", "3.67", "0.81"]
    assert by_key[("survey", "comfort", "paired_mean_difference")][-1] == "1.17"
    assert by_key[("survey", "comfort", "paired_spread")][-1] == "0.98"
    assert by_key[("survey", "interest", "choice_percent:jbc")][4:7] == ["50.0", "100.0", "50.0"]
    assert by_key[("survey", "interest", "paired_changed")][-1] == 1
    assert by_key[("participation", "", "participants")][-1] == 7
    assert by_key[("participation", "", "mean_sessions_attended")][-1] == "3.43"
    assert by_key[("participation", "", "attendance_percent")][-1] == "68.6"
    assert by_key[("participation", "", "completed")][-1] == 4
    assert by_key[("requests", "", "filed")][-1] == 0
    comments = [row for row in rows if row[0] == "comment"]
    assert [(row[3], row[-1]) for row in comments] == [
        (Phase.BEFORE, '=HYPERLINK("http://evil.example")'),
        (Phase.BEFORE, "How to fix my block"),
        (Phase.AFTER, "About the 311 app"),
    ]
    # Every row has the header's width.
    assert {len(row) for row in rows} == {len(youth_impact.CSV_HEADER)}
