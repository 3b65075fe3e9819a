"""The satisfaction reports: every figure checked against values worked out by hand from a small month of
surveys (below), the periods' edges in the city's zone, who sees which agent, and the PDF and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from civic311.people.models import StaffRole, Team
from civic311.people.services import move_to_team, save_team
from civic311.service_requests.models import Channel
from civic311.surveys import reports, services
from civic311.surveys.models import WorkListEntry
from civic311.surveys.reports import MONTH, QUARTER, Period

from .factories import staff_in_role
from .roles_helpers import STAFF_ROLES
from .survey_helpers import Month, Y, contact, surveyor

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
NOVEMBER = Period.parse(MONTH, "2026-11")

# The hand-worked month, its surveys and the figures they work out to: see survey_helpers.Month.


@pytest.fixture
def month(jurisdiction):
    return Month(jurisdiction)


def percent(row, code):
    score = row.score(code)
    return None if score.percent is None else round(score.percent, 1)


def by_label(rows):
    return {row.label: row for row in rows}


# --- the figures -----------------------------------------------------------------------------------------


def test_the_month_by_question(month):
    report = reports.leadership_report(month.jurisdiction, NOVEMBER, month.sue)
    assert [code for code, _text in report.questions] == ["explained", "informed", "timely", "satisfied"]
    assert report.overall.responses == 6
    assert {code: percent(report.overall, code) for code, _text in report.questions} == {
        "explained": 83.3,
        "informed": 66.7,
        "timely": 66.7,
        "satisfied": 66.7,
    }
    assert (report.overall.score("explained").yes, report.overall.score("explained").answered) == (5, 6)
    assert report.calls == 8
    assert report.completion is not None
    assert round(report.completion, 1) == 75.0
    assert {outcome: calls for outcome, _label, calls in report.outcomes} == {
        "completed": 6,
        "no_answer": 1,
        "declined": 1,
        "wrong_number": 0,
    }


def test_the_month_by_channel_and_team(month):
    report = reports.leadership_report(month.jurisdiction, NOVEMBER, month.sue)
    channels = by_label(report.by_channel)
    assert {label: row.responses for label, row in channels.items()} == {"Phone": 4, "E-mail": 1, "Walk-in": 1}
    assert percent(channels["Phone"], "satisfied") == 75.0
    assert percent(channels["E-mail"], "satisfied") == 0.0
    assert percent(channels["Walk-in"], "satisfied") == 100.0
    teams = report.by_team
    assert [row.label for row in teams] == ["Blue", "Gold", "No team"]  # no team last
    assert [row.responses for row in teams] == [3, 2, 1]
    assert [percent(row, "satisfied") for row in teams] == [66.7, 50.0, 100.0]
    assert percent(teams[0], "timely") == 33.3


def test_trend_previous_period_and_the_period_edges_in_the_citys_zone(month):
    report = reports.leadership_report(month.jurisdiction, NOVEMBER, month.sue)
    assert [row.key for row in report.trend] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    october = report.trend[-2]
    assert october.responses == 1  # 23:30 on 31 October local, although 1 November in UTC
    assert percent(october, "satisfied") == 0.0 and percent(october, "explained") == 100.0
    assert report.trend[0].responses == 0 and percent(report.trend[0], "satisfied") is None
    satisfied = next(item for item in report.by_question if item[0][0] == "satisfied")
    assert (satisfied[1].yes, satisfied[1].answered, satisfied[2].yes, satisfied[2].answered) == (4, 6, 0, 1)
    quarter = reports.leadership_report(month.jurisdiction, Period.parse(QUARTER, "2026-Q4"), month.sue)
    assert quarter.overall.responses == 7
    assert percent(quarter.overall, "satisfied") == 57.1
    assert [row.key for row in quarter.trend] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


def test_comments_follow_ups_and_the_email_survey(month):
    report = reports.leadership_report(month.jurisdiction, NOVEMBER, month.sue)
    assert [comment.text for comment in report.comments] == ["Great help", '=HYPERLINK("http://x")', "Too slow"]
    assert [(comment.channel, comment.team) for comment in report.comments] == [
        ("Phone", "Blue"),
        ("E-mail", "Blue"),
        ("Phone", "Gold"),
    ]
    assert report.comments[0].day == dt.date(2026, 11, 10)
    assert (
        report.follow_ups.opened,
        report.follow_ups.resolved,
        report.follow_ups.resolved_in_time,
        report.follow_ups.still_open,
    ) == (2, 1, 1, 1)
    assert (report.fixed.answered, report.fixed.yes, report.fixed.percent) == (2, 1, 50.0)


def test_an_empty_period_has_no_percentages(month):
    report = reports.leadership_report(month.jurisdiction, Period.parse(MONTH, "2025-01"), month.sue)
    assert report.overall.responses == 0 and report.calls == 0 and report.completion is None
    assert percent(report.overall, "satisfied") is None
    assert report.by_channel == [] and report.by_team == [] and report.comments == [] and report.agents == []


def test_a_team_is_the_one_at_the_time_of_the_call(month, jurisdiction):
    # Through the service: the response copies the agent's team; moving the agent later rewrites nothing.
    caller = contact(jurisdiction, agent=month.bob)
    assert caller.ended_at is not None
    services.build_work_list(jurisdiction, caller.ended_at + dt.timedelta(minutes=5))
    entry = WorkListEntry.objects.get(contact=caller)
    taker = surveyor()
    services.claim_entry(entry, taker)
    response = services.record_phone_survey(
        entry,
        surveyor=taker,
        answers={"explained": "yes", "informed": "yes", "timely": "yes", "satisfied": "no", "feedback": ""},
    )
    assert response.team == month.blue
    move_to_team(month.bob, month.gold, actor=None)
    response.refresh_from_db()
    assert response.team == month.blue
    report = reports.leadership_report(jurisdiction, NOVEMBER, month.sue)
    assert by_label(report.by_team)["Blue"].responses == 3  # November's figures unchanged by the move


# --- who sees which agent --------------------------------------------------------------------------------


def test_each_supervisor_sees_only_their_teams_agents(month):
    report = reports.leadership_report(month.jurisdiction, NOVEMBER, month.sue)
    assert [(row.label, row.responses) for row in report.agents] == [("Ann Agent", 2), ("Bob Agent", 1)]
    assert percent(report.agents[0], "timely") == 50.0
    assert report.hidden_agents == 2
    gus = reports.leadership_report(month.jurisdiction, NOVEMBER, month.gus)
    assert [row.label for row in gus.agents] == ["Cat Agent"] and gus.hidden_agents == 3


@pytest.mark.parametrize("who", ["admin", "leadership", "other supervisor", "nobody"])
def test_leadership_admins_and_other_supervisors_see_no_agent(month, who):
    viewer = {
        "admin": lambda: staff_in_role(StaffRole.ADMIN),
        "leadership": lambda: staff_in_role(StaffRole.LEADERSHIP),
        "other supervisor": lambda: staff_in_role(StaffRole.SUPERVISOR),
        "nobody": lambda: None,
    }[who]()
    report = reports.leadership_report(month.jurisdiction, NOVEMBER, viewer)
    assert report.agents == [] and report.hidden_agents == 4


def test_moving_an_agent_moves_their_coach(month):
    move_to_team(month.ann, month.gold, actor=None)
    report = reports.leadership_report(month.jurisdiction, NOVEMBER, month.gus)
    assert [row.label for row in report.agents] == ["Ann Agent", "Cat Agent"]


def test_an_agents_own_results(month):
    results = reports.agent_results(month.jurisdiction, month.ann, NOVEMBER)
    assert results.overall.responses == 2
    assert [percent(results.overall, code) for code in ("explained", "informed", "timely", "satisfied")] == [
        100.0,
        100.0,
        50.0,
        100.0,
    ]
    assert results.centre.responses == 6 and percent(results.centre, "satisfied") == 66.7
    assert [comment.text for comment in results.comments] == ["Great help"]
    assert results.trend[-2].responses == 1  # her October survey


# --- the pages -------------------------------------------------------------------------------------------

REPORT = reverse("surveys:report", args=["month", "2026-11"])
PDF = reverse("surveys:report_pdf", args=["month", "2026-11"])
CSV = reverse("surveys:report_csv", args=["month", "2026-11"])


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_who_opens_the_reports(client, month, department, at_now, role):
    client.force_login(staff_in_role(role, department))
    allowed = role in (StaffRole.LEADERSHIP, StaffRole.SUPERVISOR, StaffRole.ADMIN)
    for url in (reverse("surveys:reports"), REPORT, CSV):
        assert client.get(url).status_code == (200 if allowed else 403), url


def test_anonymous_visitors_are_sent_to_sign_in(client, month):
    for url in (reverse("surveys:reports"), REPORT, PDF, CSV, reverse("surveys:agent_results", args=[month.ann.pk])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_the_report_page_shows_the_hand_worked_figures(client, month, at_now):
    client.force_login(month.sue)
    page = client.get(REPORT)
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="figure-completed">6<' in text and 'id="figure-calls">8<' in text
    assert "75.0 %" in text and "66.7 %" in text and "57.1" not in text
    assert "Great help" in text and "Too slow" in text
    assert "Ann Agent" in text and "Bob Agent" in text and "Cat Agent" not in text
    assert "Zebediah" not in text and "215-555-0199" not in text  # contact details are never reported
    assert "October words" not in text


def test_bad_and_future_periods_are_not_found(client, month, at_now):
    client.force_login(month.sue)
    for kind, slug in (
        ("month", "2026-13"),
        ("month", "2026-1"),
        ("week", "2026-11"),
        ("quarter", "2026-Q5"),
        ("quarter", "2026-11"),
        ("month", "2027-01"),
        ("month", "1999-12"),
        ("month", "x" * 300),
    ):
        assert client.get(reverse("surveys:report", args=[kind, slug])).status_code == 404, (kind, slug)
    assert client.get(reverse("surveys:report", args=["month", "2026-12"])).status_code == 200  # so far


def test_the_csv(client, month, at_now):
    client.force_login(month.sue)
    response = client.get(CSV)
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="satisfaction-2026-11.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    overall = next(row for row in rows if row["section"] == "overall")
    assert (
        overall["responses"],
        overall["satisfied_yes"],
        overall["satisfied_answered"],
        overall["satisfied_percent"],
    ) == ("6", "4", "6", "66.7")
    assert {row["group"]: row["satisfied_percent"] for row in rows if row["section"] == "team"} == {
        "Blue": "66.7",
        "Gold": "50.0",
        "No team": "100.0",
    }
    assert [row["group"] for row in rows if row["section"] == "agent"] == ["Ann Agent", "Bob Agent"]
    assert [row["period"] for row in rows if row["section"] == "trend"][-2:] == ["2026-10", "2026-11"]
    comments = [row["comment"] for row in rows if row["section"] == "comment"]
    assert comments == ["Great help", '\'=HYPERLINK("http://x")', "Too slow"]  # the formula is made inert
    assert {row["group"]: row["responses"] for row in rows if row["section"] == "was_it_fixed"} == {
        "Answered": "2",
        "Fixed": "1",
    }
    assert "Zebediah" not in response.content.decode()


def test_the_pdf(client, month, at_now):
    client.force_login(month.sue)
    response = client.get(PDF)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert 'filename="satisfaction-2026-11.pdf"' in response["Content-Disposition"]
    assert len(response.content) > 5_000


def test_the_pdf_says_what_the_page_says(month, at_now, rf):
    # The PDF is the page's body in a print layout; check its HTML (WeasyPrint's text is not extractable here).
    from django.template.loader import render_to_string

    report = reports.leadership_report(month.jurisdiction, NOVEMBER, month.gus)
    html = render_to_string(
        "surveys/reports/report_pdf.html", {"report": report, "generated": NOW, "previous": NOVEMBER.previous()}
    )
    assert "Customer satisfaction, November 2026" in html
    assert 'id="figure-satisfied">66.7 %' in html and "Cat Agent" in html and "Ann Agent" not in html


def test_the_report_in_spanish(client, month, at_now):
    client.force_login(month.sue)
    page = client.get(REPORT, HTTP_ACCEPT_LANGUAGE="es")
    text = page.content.decode()
    assert "noviembre" in text.lower() and "Por canal" in text


# --- coaching pages ----------------------------------------------------------------------------------------


def agent_page(client, user, agent, month_slug="2026-11"):
    client.force_login(user)
    return client.get(reverse("surveys:agent_results", args=[agent.pk]), {"month": month_slug})


def test_an_agent_sees_their_own_results(client, month, at_now):
    page = agent_page(client, month.ann, month.ann)
    assert page.status_code == 200
    text = page.content.decode()
    assert "My survey results" in text and "Great help" in text and "Too slow" not in text
    assert client.get(reverse("surveys:my_results")).url == reverse("surveys:agent_results", args=[month.ann.pk])


def test_the_team_supervisor_sees_their_agent(client, month, at_now):
    page = agent_page(client, month.sue, month.ann)
    assert page.status_code == 200 and "Survey results of Ann Agent" in page.content.decode()


@pytest.mark.parametrize("who", ["other supervisor", "colleague", "admin", "leadership"])
def test_nobody_else_sees_an_agents_results(client, month, at_now, who):
    viewer = {
        "other supervisor": month.gus,
        "colleague": month.bob,
        "admin": staff_in_role(StaffRole.ADMIN),
        "leadership": staff_in_role(StaffRole.LEADERSHIP),
    }[who]
    page = agent_page(client, viewer, month.ann)
    assert page.status_code == 403
    assert "Great help" not in page.content.decode()


def test_agent_results_refuse_a_bad_month_and_an_unknown_agent(client, month, at_now):
    assert agent_page(client, month.ann, month.ann, "2026-99").status_code == 404
    client.force_login(month.ann)
    assert client.get(reverse("surveys:agent_results", args=[999_999])).status_code == 404


# --- periods ------------------------------------------------------------------------------------------------


def test_periods():
    assert Period.parse(MONTH, "2026-12").end == dt.date(2027, 1, 1)
    assert Period.parse(QUARTER, "2026-Q4") == Period(QUARTER, dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert Period.parse(QUARTER, "2026-Q1").previous().slug == "2025-Q4"
    assert Period.containing(QUARTER, dt.date(2026, 5, 31)).slug == "2026-Q2"
    assert [period.slug for period in reports.recent_periods(MONTH, dt.date(2026, 1, 15), 3)] == [
        "2025-12",
        "2025-11",
        "2025-10",
    ]
    for kind, slug in ((MONTH, "2026-00"), (MONTH, "26-11"), (QUARTER, "2026-Q0"), ("year", "2026")):
        with pytest.raises(ValueError, match=f"^{slug}$"):  # the message is the slug it refused
            Period.parse(kind, slug)


# --- teams -----------------------------------------------------------------------------------------------------


def test_a_teams_supervisor_must_be_a_supervisor(jurisdiction):
    from django.core.exceptions import PermissionDenied, ValidationError

    agent = staff_in_role(StaffRole.AGENT)
    with pytest.raises(ValidationError):
        save_team(Team(jurisdiction=jurisdiction, name="Red", supervisor=agent), actor=None)
    with pytest.raises(PermissionDenied):
        save_team(Team(jurisdiction=jurisdiction, name="Red"), actor=agent)
    with pytest.raises(PermissionDenied):
        move_to_team(agent, None, actor=agent)
    assert not Team.objects.filter(name="Red").exists()


def test_the_index_lists_the_periods_and_a_supervisors_agents(client, month, at_now):
    client.force_login(month.sue)
    text = client.get(reverse("surveys:reports")).content.decode()
    assert reverse("surveys:report_pdf", args=["month", "2026-11"]) in text
    assert reverse("surveys:report_csv", args=["quarter", "2026-Q3"]) in text
    assert reverse("surveys:report", args=["month", "2026-12"]) in text  # this month, so far
    assert reverse("surveys:report", args=["month", "2025-11"]) not in text  # twelve months back at most
    assert reverse("surveys:agent_results", args=[month.ann.pk]) in text
    assert reverse("surveys:agent_results", args=[month.cat.pk]) not in text


def test_the_report_makes_as_many_queries_whatever_the_number_of_agents(month):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            reports.leadership_report(month.jurisdiction, NOVEMBER, month.sue)
        return len(captured)

    before = queries()
    at = dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    for number in range(5):
        month.survey(month.agent(f"extra{number}", month.blue), Channel.PHONE, (Y, Y, Y, Y), "", at)
    assert queries() == before
