"""The satisfaction reports: monthly and quarterly results for leadership, and one agent's results for
coaching (reads only; the pages, the PDF and the CSV all come from one `Report`).

What is counted: completed phone surveys of the customer satisfaction instrument finished in the period
(the city's local calendar month or quarter). Every yes/no question is scored as the share of "yes" among
those who answered it; questions are matched by code across versions, so a new version keeps its trend.
The free-text answers are the comments; the contact-details answers are never shown. Counting happens in
the database: two grouped queries per period (by channel, team and agent; see `Tally`), whatever the
number of responses, and every breakdown is summed from those few hundred rows.

Who sees what (`civic311.people.roles`): the report by question, channel and team is for leadership,
supervisors and admins; results by agent are for coaching and go only to the agent and their team's
supervisor, so the same report shows each viewer only the agents they may see.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from civic311.people import roles
from civic311.people.models import Team
from civic311.service_requests.models import Channel

from . import fixed
from .models import Answer, FollowUpTask, Question, Response
from .selectors import SATISFACTION_SLUG, SATISFIED_CODE, completed_surveys, on_answers

if TYPE_CHECKING:
    from civic311.jurisdictions.models import Jurisdiction
    from civic311.people.models import User
    from civic311.people.roles import Someone

MONTH, QUARTER = "month", "quarter"
PERIOD_KINDS = (MONTH, QUARTER)
TREND_LENGTH = {MONTH: 6, QUARTER: 4}  # half a year of months, a year of quarters
_SLUG_PATTERNS = {MONTH: re.compile(r"^(\d{4})-(\d{2})$"), QUARTER: re.compile(r"^(\d{4})-Q([1-4])$")}


# --- periods ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar month or quarter of the city's local calendar: [start, end)."""

    kind: str
    start: dt.date
    end: dt.date

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period:
        if kind not in PERIOD_KINDS:
            raise ValueError(kind)
        first_month = day.month if kind == MONTH else 3 * ((day.month - 1) // 3) + 1
        start = dt.date(day.year, first_month, 1)
        months = 1 if kind == MONTH else 3
        year, month = divmod(start.month - 1 + months, 12)
        return cls(kind, start, dt.date(start.year + year, month + 1, 1))

    @classmethod
    def parse(cls, kind: str, slug: str) -> Period:
        """ "2026-11" (a month) or "2026-Q4" (a quarter); ValueError for anything else."""
        pattern = _SLUG_PATTERNS.get(kind)
        match = pattern.match(slug) if pattern else None
        if match is None:
            raise ValueError(slug)
        year, number = int(match.group(1)), int(match.group(2))
        month = number if kind == MONTH else 3 * (number - 1) + 1
        if not (1 <= month <= 12 and 2000 <= year <= 2999):
            raise ValueError(slug)
        return cls.containing(kind, dt.date(year, month, 1))

    @property
    def slug(self) -> str:
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return formats.date_format(self.start, "YEAR_MONTH_FORMAT")
        return _("Q%(quarter)s %(year)s") % {"quarter": (self.start.month - 1) // 3 + 1, "year": self.start.year}

    def previous(self) -> Period:
        return Period.containing(self.kind, self.start - dt.timedelta(days=1))

    def following(self) -> Period:
        return Period.containing(self.kind, self.end)

    def ending_here(self, count: int) -> list[Period]:
        """The `count` periods of this kind that end with this one, oldest first."""
        periods = [self]
        while len(periods) < count:
            periods.insert(0, periods[0].previous())
        return periods

    def bounds(self, jurisdiction: Jurisdiction) -> tuple[dt.datetime, dt.datetime]:
        return jurisdiction.midnight(self.start), jurisdiction.midnight(self.end)


def period_in_address(jurisdiction: Jurisdiction, kind: str, slug: str) -> Period:
    """The period a report's address names, or 404: unknown, malformed or not begun yet (the satisfaction
    and the leadership reports)."""
    try:
        period = Period.parse(kind, slug)
    except ValueError:
        raise Http404(_("There is no such report period.")) from None
    if period.start > timezone.localdate(timezone=jurisdiction.zone):
        raise Http404(_("This period has not begun."))
    return period


def recent_periods(kind: str, today: dt.date, count: int) -> list[Period]:
    """The last `count` finished periods of `kind` before the one `today` is in, newest first."""
    return Period.containing(kind, today).previous().ending_here(count)[::-1]


# --- the figures -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """One yes/no question's answers in one group."""

    answered: int = 0
    yes: int = 0

    @property
    def percent(self) -> float | None:
        return self.yes / self.answered * 100 if self.answered else None


@dataclass(frozen=True)
class Row:
    """One group (a channel, a team, an agent, a period): its completed surveys and each question's score."""

    key: str
    label: str
    responses: int
    scores: dict[str, Score]
    cells: tuple[Score, ...] = ()  # the scores in the report's question order, for tables

    def score(self, code: str) -> Score:
        return self.scores.get(code, Score())

    @property
    def satisfied(self) -> Score:
        return self.score(SATISFIED_CODE)


@dataclass(frozen=True)
class Comment:
    day: dt.date
    channel: str
    team: str
    text: str


@dataclass(frozen=True)
class FollowUps:
    """Customers handed to a supervisor in the period, and how those tasks ended."""

    opened: int
    resolved: int
    resolved_in_time: int

    @property
    def still_open(self) -> int:
        return self.opened - self.resolved


@dataclass
class Report:
    jurisdiction: Jurisdiction
    period: Period
    questions: list[tuple[str, str]]  # (code, text) of the yes/no questions, in the survey's order
    overall: Row
    outcomes: list[tuple[str, str, int]]  # (outcome, label, calls)
    by_channel: list[Row]
    by_team: list[Row]
    trend: list[Row]  # oldest first, ending with this period
    comments: list[Comment]
    follow_ups: FollowUps
    fixed: Score  # the "was it fixed?" e-mail survey's answers
    agents: list[Row] = field(default_factory=list)
    hidden_agents: int = 0  # agents with results in the period the viewer may not see

    @property
    def calls(self) -> int:
        return sum(count for _outcome, _label, count in self.outcomes)

    @property
    def completion(self) -> float | None:
        return self.overall.responses / self.calls * 100 if self.calls else None

    @property
    def by_question(self) -> list[tuple[tuple[str, str], Score, Score]]:
        """(question, this period's score, the previous period's score) for each yes/no question."""
        earlier = self.trend[-2].cells if len(self.trend) > 1 else ()
        return [
            (question, self.overall.cells[index], earlier[index] if earlier else Score())
            for index, question in enumerate(self.questions)
        ]


@dataclass
class AgentResults:
    """One agent's results for coaching: their surveys' scores, by channel, the trend and the comments."""

    agent: User
    period: Period
    questions: list[tuple[str, str]]
    overall: Row
    by_channel: list[Row]
    trend: list[Row]
    comments: list[Comment]
    centre: Row  # the whole contact centre in the same period, for comparison

    @property
    def comparison(self) -> list[Row]:
        return [self.overall, self.centre]


@dataclass(frozen=True)
class ColumnGroup:
    """Some of the report's questions as the columns of one table: an A4 page takes only so many, so the
    PDF splits a breakdown into tables of a few questions each (the page shows them all in one)."""

    questions: tuple[tuple[int, str, str], ...]  # (number in the survey, code, text)
    start: int  # the first question's index in the report's questions (and in each Row's cells)

    @property
    def cells(self) -> str:
        """The slice of a Row's cells for these questions, as the template's `slice` filter takes it."""
        return f"{self.start}:{self.start + len(self.questions)}"

    @property
    def numbers(self) -> tuple[int, int]:
        return self.questions[0][0], self.questions[-1][0]


def column_groups(questions: list[tuple[str, str]], per_table: int | None = None) -> list[ColumnGroup]:
    """The report's questions in tables of at most `per_table` columns (all in one without a limit)."""
    numbered = [(number, code, text) for number, (code, text) in enumerate(questions, start=1)]
    size = per_table if per_table and per_table > 0 else max(len(numbered), 1)
    return [
        ColumnGroup(questions=tuple(numbered[start : start + size]), start=start)
        for start in range(0, max(len(numbered), 1), size)
    ]


# --- counting --------------------------------------------------------------------------------------------


def _scope(jurisdiction: Jurisdiction, period: Period, **extra: Any) -> dict[str, Any]:
    """Filters on Response for the period's completed satisfaction surveys (`extra`: agent=…)."""
    return {**completed_surveys(jurisdiction, *period.bounds(jurisdiction)), **extra}


Counted = tuple[int, dict[str, Score]]  # (completed surveys, {question code: score}) of one group
_GROUPS = ("contact_channel", "team", "agent")


@dataclass(frozen=True)
class Tally:
    """A period's completed surveys and yes/no answers counted once, by (channel, team, agent): two grouped
    queries, whatever the number of responses; every breakdown is summed from them."""

    responses: list[dict[str, Any]]
    answers: list[dict[str, Any]]

    @classmethod
    def of(cls, scope: dict[str, Any]) -> Tally:
        responses = list(Response.objects.filter(**scope).values(*_GROUPS).annotate(total=Count("pk")).order_by())
        answers = list(
            Answer.objects.filter(**on_answers(scope), question__kind=Question.Kind.YES_NO)
            .values(*[f"response__{name}" for name in _GROUPS], "question__code")
            .annotate(answered=Count("pk"), yes=Count("pk", filter=Q(value=True)))
            .order_by()
        )
        return cls(responses, answers)

    def by(self, group: str | None) -> dict[Any, Counted]:
        """{the group's value (None for everything): its counts}."""
        totals: dict[Any, int] = defaultdict(int)
        for row in self.responses:
            totals[row[group] if group else None] += row["total"]
        scores: dict[Any, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for row in self.answers:
            counted = scores[row[f"response__{group}"] if group else None][row["question__code"]]
            counted[0] += row["answered"]
            counted[1] += row["yes"]
        return {
            key: (
                totals.get(key, 0),
                {code: Score(answered, yes) for code, (answered, yes) in scores.get(key, {}).items()},
            )
            for key in set(totals) | set(scores)
        }


def _row(key: str, label: str, counted: Counted | None, codes: list[str]) -> Row:
    responses, scores = counted or (0, {})
    return Row(
        key=key,
        label=label,
        responses=responses,
        scores=scores,
        cells=tuple(scores.get(code, Score()) for code in codes),
    )


def _overall(tally: Tally, label: str, codes: list[str]) -> Row:
    return _row("all", label, tally.by(None).get(None), codes)


def _by_channel(tally: Tally, codes: list[str]) -> list[Row]:
    labels = dict(Channel.choices)
    rows = [
        _row(channel or "", str(labels.get(channel, channel or _("Unknown"))), counts, codes)
        for channel, counts in tally.by("contact_channel").items()
    ]
    return sorted(rows, key=lambda row: row.label.lower())


def _by_team(tally: Tally, codes: list[str]) -> list[Row]:
    counted = tally.by("team")
    names = dict(Team.objects.filter(pk__in=[pk for pk in counted if pk is not None]).values_list("pk", "name"))
    rows = [
        _row(str(pk), names.get(pk, _("Team %(id)s") % {"id": pk}), counts, codes)
        for pk, counts in counted.items()
        if pk is not None
    ]
    rows.sort(key=lambda row: row.label.lower())
    if None in counted:
        rows.append(_row("", _("No team"), counted[None], codes))
    return rows


def _trend(jurisdiction: Jurisdiction, period: Period, codes: list[str], this: Tally, **extra: Any) -> list[Row]:
    """The last few periods ending with `period` (whose counts `this` already holds)."""
    return [
        _row(
            each.slug,
            each.label,
            (this if each == period else Tally.of(_scope(jurisdiction, each, **extra))).by(None).get(None),
            codes,
        )
        for each in period.ending_here(TREND_LENGTH[period.kind])
    ]


def _questions(jurisdiction: Jurisdiction) -> list[tuple[str, str]]:
    """The satisfaction survey's yes/no questions: each code once, worded as in its newest version."""
    questions = Question.objects.filter(
        version__instrument__jurisdiction=jurisdiction,
        version__instrument__slug=SATISFACTION_SLUG,
        kind=Question.Kind.YES_NO,
    ).order_by("-version__number", "order", "pk")
    newest: dict[str, Question] = {}
    for question in questions:
        newest.setdefault(question.code, question)
    return [(code, question.localized()) for code, question in sorted(newest.items(), key=lambda item: item[1].order)]


def _comments(scope: dict[str, Any], jurisdiction: Jurisdiction) -> list[Comment]:
    labels = dict(Channel.choices)
    answers = (
        Answer.objects.filter(**on_answers(scope), question__kind=Question.Kind.FREE_TEXT)
        .values_list("value", "response__finished_at", "response__contact_channel", "response__team__name")
        .order_by("response__finished_at", "pk")
    )
    zone = jurisdiction.zone
    return [
        Comment(
            day=finished.astimezone(zone).date(),
            channel=str(labels.get(channel, channel or "")),
            team=team or "",
            text=value.strip(),
        )
        for value, finished, channel, team in answers
        if isinstance(value, str) and value.strip() and finished is not None
    ]


def _outcomes(jurisdiction: Jurisdiction, period: Period) -> list[tuple[str, str, int]]:
    start, end = period.bounds(jurisdiction)
    counted = dict(
        Response.objects.filter(
            jurisdiction=jurisdiction,
            channel="phone",
            finished_at__gte=start,
            finished_at__lt=end,
            version__instrument__slug=SATISFACTION_SLUG,
        )
        .values_list("outcome")
        .annotate(total=Count("pk"))
        .order_by()
    )
    return [(outcome, str(label), counted.get(outcome, 0)) for outcome, label in Response.Outcome.choices]


def _follow_ups(jurisdiction: Jurisdiction, period: Period) -> FollowUps:
    start, end = period.bounds(jurisdiction)
    counted = FollowUpTask.objects.filter(
        jurisdiction=jurisdiction, created_at__gte=start, created_at__lt=end
    ).aggregate(
        opened=Count("pk"),
        resolved=Count("pk", filter=Q(state=FollowUpTask.State.RESOLVED)),
        in_time=Count("pk", filter=Q(state=FollowUpTask.State.RESOLVED, resolved_at__lte=F("deadline"))),
    )
    return FollowUps(opened=counted["opened"], resolved=counted["resolved"], resolved_in_time=counted["in_time"])


def _fixed(jurisdiction: Jurisdiction, period: Period) -> Score:
    start, end = period.bounds(jurisdiction)
    counted = Answer.objects.filter(
        response__jurisdiction=jurisdiction,
        response__finished_at__gte=start,
        response__finished_at__lt=end,
        response__version__instrument__slug=fixed.SLUG,
        question__code=fixed.FIXED,
    ).aggregate(answered=Count("pk"), yes=Count("pk", filter=Q(value=True)))
    return Score(counted["answered"], counted["yes"])


# --- the reports -------------------------------------------------------------------------------------------


def leadership_report(jurisdiction: Jurisdiction, period: Period, viewer: Someone) -> Report:
    """The month's or quarter's results; the by-agent rows only for agents `viewer` may coach or is."""
    scope = _scope(jurisdiction, period)
    tally = Tally.of(scope)
    questions = _questions(jurisdiction)
    codes = [code for code, _text in questions]
    report = Report(
        jurisdiction=jurisdiction,
        period=period,
        questions=questions,
        overall=_overall(tally, _("All surveys"), codes),
        outcomes=_outcomes(jurisdiction, period),
        by_channel=_by_channel(tally, codes),
        by_team=_by_team(tally, codes),
        trend=_trend(jurisdiction, period, codes, tally),
        comments=_comments(scope, jurisdiction),
        follow_ups=_follow_ups(jurisdiction, period),
        fixed=_fixed(jurisdiction, period),
    )
    counted = tally.by("agent")
    agents = get_user_model().objects.filter(pk__in=[pk for pk in counted if pk is not None]).select_related("team")
    visible = [agent for agent in agents if roles.may_see_agent_results(viewer, agent)]
    report.agents = sorted(
        (_row(str(agent.pk), str(agent), counted[agent.pk], codes) for agent in visible),
        key=lambda row: row.label.lower(),
    )
    report.hidden_agents = len([pk for pk in counted if pk is not None]) - len(visible)
    return report


def agent_results(jurisdiction: Jurisdiction, agent: User, period: Period) -> AgentResults:
    """One agent's results (the caller checks `roles.may_see_agent_results` first)."""
    scope = _scope(jurisdiction, period, agent=agent)
    tally = Tally.of(scope)
    questions = _questions(jurisdiction)
    codes = [code for code, _text in questions]
    return AgentResults(
        agent=agent,
        period=period,
        questions=questions,
        overall=_overall(tally, str(agent), codes),
        by_channel=_by_channel(tally, codes),
        trend=_trend(jurisdiction, period, codes, tally, agent=agent),
        comments=_comments(scope, jurisdiction),
        centre=_overall(Tally.of(_scope(jurisdiction, period)), _("Whole contact centre"), codes),
    )


def coached_agents(jurisdiction: Jurisdiction, viewer: Someone) -> list[User]:
    """The agents whose results `viewer` may open: their own team's members (for a supervisor)."""
    if viewer is None or not viewer.is_authenticated:
        return []
    members = (
        get_user_model()
        .objects.filter(team__supervisor=viewer, team__jurisdiction=jurisdiction, is_active=True)
        .select_related("team")
        .order_by("username")
    )
    return [member for member in members if roles.may_see_agent_results(viewer, member)]


# --- the CSV ----------------------------------------------------------------------------------------------


def csv_rows(report: Report) -> Iterator[list[object]]:
    """The report as one table: a header, then one line per figure (section, group, counts, percents)."""
    codes = [code for code, _text in report.questions]
    yield [
        "section",
        "period",
        "group",
        "responses",
        *[column for code in codes for column in (f"{code}_yes", f"{code}_answered", f"{code}_percent")],
        "comment",
    ]

    blank = [""] * (3 * len(codes))

    def scored(section: str, row: Row, period: str) -> list[object]:
        cells: list[object] = [section, period, row.label, row.responses]
        for code in codes:
            score = row.score(code)
            cells += [score.yes, score.answered, _percent_cell(score.percent)]
        return [*cells, ""]

    def counted(section: str, label: str, count: int) -> list[object]:
        return [section, report.period.slug, label, count, *blank, ""]

    yield scored("overall", report.overall, report.period.slug)
    for section, rows in (("channel", report.by_channel), ("team", report.by_team), ("agent", report.agents)):
        for row in rows:
            yield scored(section, row, report.period.slug)
    for row in report.trend:
        yield scored("trend", row, row.key)
    for _outcome, label, calls in report.outcomes:
        yield counted("calls", label, calls)
    follow = report.follow_ups
    for label, count in (
        (_("Transferred to a supervisor"), follow.opened),
        (_("Resolved"), follow.resolved),
        (_("Resolved by the deadline"), follow.resolved_in_time),
        (_("Still open"), follow.still_open),
    ):
        yield counted("follow_ups", label, count)
    yield counted("was_it_fixed", _("Answered"), report.fixed.answered)
    yield counted("was_it_fixed", _("Fixed"), report.fixed.yes)
    for comment in report.comments:
        group = " / ".join(part for part in (comment.channel, comment.team) if part)
        yield ["comment", comment.day.isoformat(), group, "", *blank, comment.text]


def _percent_cell(percent: float | None) -> str:
    return "" if percent is None else f"{percent:.1f}"
