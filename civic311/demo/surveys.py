"""The demo's satisfaction surveys: a quarter's phone survey calls made through the survey services (so
the reader board and the monthly and quarterly reports have figures), plus today's work list.

Call `create_survey_history(jurisdiction)` after the contact history and the staff are made. A day that
already has survey calls is left alone, so running it again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import StaffRole, User
from civic311.service_requests.models import Contact
from civic311.surveys import selectors, services
from civic311.surveys.models import Response, SurveyorTraining, WorkListEntry

FEEDBACK = (
    "The agent was patient and knew the answer straight away.",
    "I waited a long time on hold.",
    "Quick and friendly, thank you.",
    "I had to explain my problem twice.",
    "She told me exactly when the crew would come, and they did.",
    "Nobody could tell me who picks up bulk items on my block.",
    "Much easier than the website.",
    "The call dropped once and I had to start over.",
    "",
    "",
    "",
    "",
    "",
    "",
)
UNHAPPY_WORDS = (
    "Third time calling about the same dumping; wants a supervisor to call back.",
    "Upset that the pothole was marked fixed but is still there.",
    "Was told two different things by two agents.",
)


def _surveyor(jurisdiction: Jurisdiction, trained_by: dt.date) -> User | None:
    """A demo surveyor trained by `trained_by`, or else a supervisor (who needs no training record)."""
    people = User.objects.filter(is_active=True, is_staff=True).distinct().order_by("username")
    surveyor = people.filter(role_assignments__role=StaffRole.SURVEYOR).first()
    if surveyor is not None:
        if not SurveyorTraining.objects.filter(user=surveyor, completed_on__lte=trained_by).exists():
            SurveyorTraining.objects.create(
                user=surveyor, course="Customer satisfaction calls", completed_on=trained_by
            )
        return surveyor
    return people.filter(role_assignments__role__in=(StaffRole.SUPERVISOR, StaffRole.ADMIN)).first()


def create_survey_history(
    jurisdiction: Jurisdiction, *, weeks: int = 13, per_day: int = 6, seed: int = 311, now: dt.datetime | None = None
) -> int:
    """Survey calls for each of the last `weeks` weeks' days; returns how many responses were made."""
    now = now or timezone.now()
    rng = random.Random(seed)
    zone = jurisdiction.zone
    today = timezone.localdate(now, zone)
    services.ensure_baseline(jurisdiction, now=now - dt.timedelta(days=7 * weeks + 1))
    surveyor = _surveyor(jurisdiction, today - dt.timedelta(days=7 * weeks + 30))
    if surveyor is None:
        return 0
    supervisor = (
        User.objects.filter(is_active=True, is_staff=True, role_assignments__role=StaffRole.SUPERVISOR)
        .order_by("username")
        .first()
    )
    made = 0
    for days_ago in range(7 * weeks, 0, -1):
        day = today - dt.timedelta(days=days_ago)
        start = dt.datetime.combine(day, dt.time(8), tzinfo=zone)
        evening = dt.datetime.combine(day, dt.time(19), tzinfo=zone)
        if Response.objects.filter(
            jurisdiction=jurisdiction, finished_at__gte=start, finished_at__lt=evening + dt.timedelta(hours=3)
        ).exists():
            continue
        # The demo history records no consent; say some of the day's callers agreed and left a number.
        # Bounded by the start too, so the (jurisdiction, started_at) index finds the day among millions.
        chosen = list(
            Contact.objects.filter(
                jurisdiction=jurisdiction,
                ended_at__gte=start,
                ended_at__lt=evening,
                started_at__gte=start - dt.timedelta(days=1),
                started_at__lt=evening,
                survey_entry__isnull=True,
            )
            .exclude(outcome=Contact.Outcome.PENDING)
            .order_by("pk")[: per_day * 3]
        )
        for contact in rng.sample(chosen, min(len(chosen), per_day * 2)):
            if not (contact.survey_consent and contact.callback_phone):
                contact.survey_consent = True
                contact.callback_phone = f"+1215555{rng.randint(0, 9999):04d}"  # stored as E.164
                contact.save(update_fields=["survey_consent", "callback_phone"])
        services.build_work_list(jurisdiction, evening)
        entries = list(
            WorkListEntry.objects.filter(
                jurisdiction=jurisdiction,
                state=WorkListEntry.State.OPEN,
                contacted_at__gte=start,
                contacted_at__lt=evening,
            )[:per_day]
        )
        at = evening
        for entry in entries:
            at += dt.timedelta(minutes=rng.randint(3, 12))
            services.claim_entry(entry, surveyor, now=at)
            if rng.random() < 0.25:
                outcome = rng.choice(
                    (Response.Outcome.NO_ANSWER, Response.Outcome.DECLINED, Response.Outcome.WRONG_NUMBER)
                )
                services.record_no_survey(entry, surveyor=surveyor, outcome=outcome, now=at)
            else:
                happy = rng.random() < 0.8
                answers: dict[str, object] = {
                    "explained": happy or rng.random() < 0.5,
                    "informed": happy or rng.random() < 0.5,
                    "timely": rng.random() < (0.85 if happy else 0.4),
                    "satisfied": happy,
                    "feedback": rng.choice(FEEDBACK),
                }
                if not selectors.asks_about_agent(entry.channel):  # a web or app report: nobody to ask about
                    for code in services.AGENT_QUESTIONS:
                        answers.pop(code, None)
                response = services.record_phone_survey(entry, surveyor=surveyor, answers=answers, now=at)
                if not happy and rng.random() < 0.4 and supervisor is not None:
                    _hand_to_supervisor(response, rng, surveyor=surveyor, supervisor=supervisor, at=at, now=now)
            made += 1
    services.build_work_list(jurisdiction, now)  # today's list for the surveyors
    return made


def _hand_to_supervisor(
    response: Response, rng: random.Random, *, surveyor: User, supervisor: User, at: dt.datetime, now: dt.datetime
) -> None:
    """A dissatisfied customer transferred to a supervisor; most such tasks are resolved within two days."""
    task = services.transfer_to_supervisor(
        response,
        words=rng.choice(UNHAPPY_WORDS),
        owner=supervisor,
        deadline=at + dt.timedelta(days=2),
        actor=surveyor,
        now=at,
    )
    resolved_at = at + dt.timedelta(hours=rng.randint(2, 60))
    if rng.random() < 0.8 and resolved_at < now:
        services.resolve_follow_up(
            task, text="Called the customer back and explained the next steps.", actor=supervisor, now=resolved_at
        )
