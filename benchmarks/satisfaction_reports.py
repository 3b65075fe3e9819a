"""Time the satisfaction reports over many survey responses on the configured database.

    .venv/bin/python manage.py migrate
    .venv/bin/python benchmarks/satisfaction_reports.py --responses 500000 --runs 20

    # on PostgreSQL (a throw-away database):
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE civic311_bench_surveys"
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/civic311_bench_surveys
    .venv/bin/python manage.py migrate && .venv/bin/python benchmarks/satisfaction_reports.py

Uses DATABASE_URL like the app (SQLite in ./var by default); use a throw-away database. It makes its own
city ("bench-surveys") with the baseline survey, 4 teams of 10 agents, and `--responses` phone survey
responses spread evenly over `--months` months up to last month (four in five completed, with the four
yes/no answers and a comment on one in four), bulk-inserted. Then it times, `--runs` times each after a
warm-up: last month's report (what a supervisor sees), last quarter's, one agent's month, and the month's
CSV rows; and the month's PDF a few times. Prints p50/p95, the row counts and the machine. A city that
already has the responses is reused (pass --reset to refill it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic311.settings")

from seed_demo import bench_city, cpu_model, database_description, percentiles, timed

SLUG = "bench-surveys"
TEAMS, AGENTS_PER_TEAM = 4, 10
BATCH = 5_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=500_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pdf-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=311)
    parser.add_argument("--reset", action="store_true", help="Delete the benchmark city's responses first.")
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from civic311.surveys import reports
    from civic311.surveys.models import Answer, Response

    city, agents, supervisor = _city()
    if options.reset:
        Answer.objects.filter(response__jurisdiction=city).delete()
        Response.objects.filter(jurisdiction=city).delete()
    today = timezone.localdate(timezone=city.zone)
    if not Response.objects.filter(jurisdiction=city).exists():
        started = time.perf_counter()
        _fill(city, agents, options.responses, options.months, today, random.Random(options.seed))
        print(f"filled {options.responses:,} responses in {time.perf_counter() - started:.1f} s")
    month = reports.Period.containing(reports.MONTH, today).previous()
    quarter = reports.Period.containing(reports.QUARTER, today).previous()
    agent = agents[0]

    timings = {
        f"month report ({month.slug})": lambda: reports.leadership_report(city, month, supervisor),
        f"quarter report ({quarter.slug})": lambda: reports.leadership_report(city, quarter, supervisor),
        "one agent's month": lambda: reports.agent_results(city, agent, month),
        "month CSV rows": lambda: list(reports.csv_rows(reports.leadership_report(city, month, supervisor))),
    }
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}")
    print(f"database: {database_description(connection)}")
    responses = Response.objects.filter(jurisdiction=city).count()
    answers = Answer.objects.filter(response__jurisdiction=city).count()
    monthly = reports.leadership_report(city, month, supervisor)
    print(
        f"data: {responses:,} responses, {answers:,} answers over {options.months} months; "
        f"last month {monthly.calls:,} calls, {monthly.overall.responses:,} completed, "
        f"{len(monthly.comments):,} comments"
    )
    for name, run in timings.items():
        print(f"{name:<32} {percentiles(timed(run, options.runs))}   ({options.runs} runs)")
    pdf_samples = [_pdf_ms(monthly) for _ in range(options.pdf_runs)]
    print(
        f"{'month PDF (WeasyPrint)':<32} p50 {statistics.median(pdf_samples):8.1f} ms   "
        f"({options.pdf_runs} runs, {len(monthly.comments):,} comments in it)"
    )
    return 0


def _pdf_ms(report) -> float:
    from django.template.loader import render_to_string
    from django.utils import timezone

    from civic311.pdf import render_pdf

    started = time.perf_counter()
    html = render_to_string(
        "surveys/reports/report_pdf.html",
        {"report": report, "generated": timezone.now(), "previous": report.period.previous()},
    )
    render_pdf(html)
    return (time.perf_counter() - started) * 1000


def _city():
    from civic311.people.models import StaffRole, Team, User
    from civic311.people.services import grant_role, move_to_team, save_team
    from civic311.surveys import services

    city = bench_city(SLUG, "Bench Surveys")
    services.ensure_baseline(city, now=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    agents = []
    supervisor = None
    for team_number in range(TEAMS):
        lead, made = User.objects.get_or_create(username=f"bench-sup-{team_number}", defaults={"is_staff": True})
        if made:
            grant_role(lead, StaffRole.SUPERVISOR, actor=None)
        supervisor = supervisor or lead
        team = Team.objects.filter(jurisdiction=city, name=f"Team {team_number}").first() or save_team(
            Team(jurisdiction=city, name=f"Team {team_number}", supervisor=lead), actor=None
        )
        for number in range(AGENTS_PER_TEAM):
            agent, made = User.objects.get_or_create(
                username=f"bench-agent-{team_number}-{number}", defaults={"is_staff": True}
            )
            if made:
                grant_role(agent, StaffRole.AGENT, actor=None)
                move_to_team(agent, team, actor=None)
            agents.append(User.objects.get(pk=agent.pk))
    return city, agents, supervisor


def _fill(city, agents, count: int, months: int, today: dt.date, rng: random.Random) -> None:
    from django.db import transaction

    from civic311.surveys.models import Answer, Question, Response
    from civic311.surveys.selectors import current_version

    version = current_version(city)
    questions = {question.code: question for question in Question.objects.filter(version=version)}
    end = dt.datetime.combine(today.replace(day=1), dt.time.min, tzinfo=city.zone)
    start = end - dt.timedelta(days=30.44 * months)
    span = (end - start).total_seconds()
    channels = ("phone",) * 6 + ("email", "walk_in", "web", "social")
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        with transaction.atomic():
            batch = []
            for _ in range(size):
                agent = rng.choice(agents)
                finished = start + dt.timedelta(seconds=rng.random() * span)
                outcome = "completed" if rng.random() < 0.8 else rng.choice(("no_answer", "declined", "wrong_number"))
                batch.append(
                    Response(
                        jurisdiction=city,
                        version=version,
                        channel="phone",
                        outcome=outcome,
                        contact_channel=rng.choice(channels),
                        agent=agent,
                        team_id=agent.team_id,
                        started_at=finished,
                        finished_at=finished,
                    )
                )
            Response.objects.bulk_create(batch, batch_size=1_000)
            answers = []
            for response in batch:
                if response.outcome != "completed":
                    continue
                happy = rng.random() < 0.8
                for code in ("explained", "informed", "timely", "satisfied"):
                    answers.append(
                        Answer(response=response, question=questions[code], value=happy or rng.random() < 0.4)
                    )
                if rng.random() < 0.25:
                    answers.append(
                        Answer(
                            response=response,
                            question=questions["feedback"],
                            value=rng.choice(
                                ("Quick and kind.", "Long wait on hold.", "Knew the answer straight away.")
                            ),
                        )
                    )
            Answer.objects.bulk_create(answers, batch_size=2_000)
        made += size
        print(f"  {made:,}/{count:,} responses", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
