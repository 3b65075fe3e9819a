"""The demo's satisfaction surveys: a few weeks of phone survey calls made through the survey services
(so the reader board and, later, the reports have figures), plus today's work list.

Call `create_survey_history(jurisdiction)` after the contact history and the staff are made. A day that
already has survey calls is left alone, so running it again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import StaffRole, User
from civic311.requests.models import Contact
from civic311.surveys import services
from civic311.surveys.models import Response, SurveyorTraining, WorkListEntry

FEEDBACK = (
    "The agent was patient and knew the answer straight away.",
    "I waited a long time on hold.",
    "Quick and friendly, thank you.",
    "I had to explain my problem twice.",
    "",
    "",
)


def _surveyor(jurisdiction: Jurisdiction, today: dt.date) -> User | None:
    """A demo surveyor with a current training record, or else a supervisor (who needs none)."""
    people = User.objects.filter(is_active=True, is_staff=True).distinct().order_by("username")
    surveyor = people.filter(role_assignments__role=StaffRole.SURVEYOR).first()
    if surveyor is not None:
        if not SurveyorTraining.objects.filter(user=surveyor).exists():
            SurveyorTraining.objects.create(user=surveyor, course="Customer satisfaction calls",
                                            completed_on=today - dt.timedelta(days=90))
        return surveyor
    return people.filter(role_assignments__role__in=(StaffRole.SUPERVISOR, StaffRole.ADMIN)).first()


def create_survey_history(jurisdiction: Jurisdiction, *, weeks: int = 4, per_day: int = 6, seed: int = 311,
                          now: dt.datetime | None = None) -> int:
    """Survey calls for each of the last `weeks` weeks' days; returns how many responses were made."""
    now = now or timezone.now()
    rng = random.Random(seed)
    zone = jurisdiction.zone
    today = timezone.localdate(now, zone)
    services.ensure_baseline(jurisdiction, now=now - dt.timedelta(days=7 * weeks + 1))
    surveyor = _surveyor(jurisdiction, today)
    if surveyor is None:
        return 0
    made = 0
    for days_ago in range(7 * weeks, 0, -1):
        day = today - dt.timedelta(days=days_ago)
        start = dt.datetime.combine(day, dt.time(8), tzinfo=zone)
        evening = dt.datetime.combine(day, dt.time(19), tzinfo=zone)
        if Response.objects.filter(jurisdiction=jurisdiction, finished_at__gte=start, finished_at__lt=evening
                                   + dt.timedelta(hours=3)).exists():
            continue
        # The demo history records no consent; say some of the day's callers agreed and left a number.
        chosen = list(Contact.objects.filter(jurisdiction=jurisdiction, ended_at__gte=start, ended_at__lt=evening,
                                             survey_entry__isnull=True)
                      .exclude(outcome=Contact.Outcome.PENDING).order_by("pk")[:per_day * 3])
        for contact in rng.sample(chosen, min(len(chosen), per_day * 2)):
            if not (contact.survey_consent and contact.callback_phone):
                contact.survey_consent = True
                contact.callback_phone = f"215-555-{rng.randint(0, 9999):04d}"
                contact.save(update_fields=["survey_consent", "callback_phone"])
        services.build_work_list(jurisdiction, evening)
        entries = list(WorkListEntry.objects.filter(jurisdiction=jurisdiction, state=WorkListEntry.State.OPEN,
                                                    contacted_at__gte=start, contacted_at__lt=evening)[:per_day])
        at = evening
        for entry in entries:
            at += dt.timedelta(minutes=rng.randint(3, 12))
            services.claim_entry(entry, surveyor, now=at)
            if rng.random() < 0.25:
                outcome = rng.choice((Response.Outcome.NO_ANSWER, Response.Outcome.DECLINED,
                                      Response.Outcome.WRONG_NUMBER))
                services.record_no_survey(entry, surveyor=surveyor, outcome=outcome, now=at)
            else:
                happy = rng.random() < 0.8
                answers: dict[str, object] = {
                    "explained": happy or rng.random() < 0.5, "informed": happy or rng.random() < 0.5,
                    "timely": rng.random() < (0.85 if happy else 0.4), "satisfied": happy,
                    "feedback": rng.choice(FEEDBACK),
                }
                services.record_phone_survey(entry, surveyor=surveyor, answers=answers, now=at)
            made += 1
    services.build_work_list(jurisdiction, now)  # today's list for the surveyors
    return made
