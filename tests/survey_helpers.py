"""Data for the survey tests: consenting contacts, trained surveyors, supervisors, a hand-worked month."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from civic311.people.models import Customer, CustomerAddress, CustomerEmail, StaffRole, Team
from civic311.people.services import move_to_team, save_team
from civic311.service_requests.models import Channel, Contact
from civic311.surveys import fixed, services
from civic311.surveys.models import Answer, FollowUpTask, Response, SurveyorTraining

from .factories import JurisdictionFactory, ServiceFactory, StaffFactory, with_role

UTC = dt.UTC
Y, N = True, False  # yes and no, as the hand-worked month below writes them

SIX_ANSWERS = {
    "explained": "yes",
    "informed": "yes",
    "timely": "no",
    "satisfied": "yes",
    "feedback": "Quick and kind.",
    "contact": {"name": "", "phone": "", "email": ""},
}


def contact(
    jurisdiction,
    *,
    ended_ago: dt.timedelta = dt.timedelta(hours=1),
    consent: bool | None = True,
    phone: str = "215-555-0101",
    customer=None,
    agent=None,
    service=None,
    channel=Channel.PHONE,
    now: dt.datetime | None = None,
) -> Contact:
    """A finished contact (information given) that ended `ended_ago` before now."""
    ended = (now or timezone.now()) - ended_ago
    return Contact.objects.create(
        jurisdiction=jurisdiction,
        channel=channel,
        outcome=Contact.Outcome.INFORMATION,
        service=service or ServiceFactory(jurisdiction=jurisdiction),
        agent=agent or StaffFactory(),
        customer=customer,
        callback_phone=phone,
        survey_consent=consent,
        started_at=ended - dt.timedelta(minutes=4),
        ended_at=ended,
    )


def customer(
    jurisdiction, first="Philomena", last="Quackenbush", email="philomena.q@example.org", address="4321 Zebrawood Lane"
) -> Customer:
    person = Customer.objects.create(jurisdiction=jurisdiction, first_name=first, last_name=last, consent_survey=True)
    CustomerEmail.objects.create(customer=person, email=email, is_primary=True)
    CustomerAddress.objects.create(customer=person, address=address, is_primary=True)
    return person


def surveyor(*, trained: bool = True, **fields):
    user = with_role(StaffFactory(**fields), StaffRole.SURVEYOR)
    if trained:
        SurveyorTraining.objects.create(
            user=user, course="Survey calls 101", completed_on=timezone.localdate() - dt.timedelta(days=30)
        )
    return user


def supervisor(**fields):
    return with_role(StaffFactory(**fields), StaffRole.SUPERVISOR)


# The hand-worked month (Philadelphia time). Answers: explained, informed, timely, satisfied, feedback.
#   1 ann  phone    Y Y Y Y  "Great help"
#   2 ann  phone    Y Y N Y
#   3 bob  e-mail   Y N N N  "=HYPERLINK(…)"   (a formula a spreadsheet must not run)
#   4 cat  walk-in  Y Y Y Y
#   5 cat  phone    N N Y N  "Too slow"
#   6 dan  phone    Y Y Y Y  at 23:30 on 30 November local (04:30 UTC on 1 December): still November
# and in October, at 23:30 on 31 October local (03:30 UTC on 1 November): ann, phone, Y Y Y N.
# Teams: Blue (ann, bob; supervisor sue), Gold (cat; supervisor gus); dan has none.
# Also in November: two calls without a survey (no answer, declined); another city's survey; two "was it
# fixed?" answers (one yes); two follow-ups (one resolved in time).
#
#   explained 5/6 = 83.3 %  informed 4/6 = 66.7 %  timely 4/6 = 66.7 %  satisfied 4/6 = 66.7 %
#   phone: 4 surveys, satisfied 3/4 = 75.0 %; e-mail 0/1 = 0.0 %; walk-in 1/1 = 100.0 %
#   Blue: 3, satisfied 2/3 = 66.7 %, timely 1/3 = 33.3 %; Gold: 2, satisfied 1/2 = 50.0 %; no team 1/1
#   calls 8, completion 6/8 = 75.0 %; October satisfied 0/1; Q4 so far: satisfied 4/7 = 57.1 %


class Month:
    """A month of surveys in `jurisdiction` worked out by hand (above); the satisfaction reports' tests
    check their figures against it."""

    def __init__(self, jurisdiction):
        self.jurisdiction = jurisdiction
        self.version = services.ensure_baseline(jurisdiction, now=dt.datetime(2026, 1, 1, tzinfo=UTC))
        self.questions = {question.code: question for question in self.version.questions.all()}
        self.sue = supervisor(username="sue", first_name="Sue", last_name="Blue")
        self.gus = supervisor(username="gus", first_name="Gus", last_name="Gold")
        self.blue = save_team(Team(jurisdiction=jurisdiction, name="Blue", supervisor=self.sue), actor=None)
        self.gold = save_team(Team(jurisdiction=jurisdiction, name="Gold", supervisor=self.gus), actor=None)
        self.ann = self.agent("ann", self.blue)
        self.bob = self.agent("bob", self.blue)
        self.cat = self.agent("cat", self.gold)
        self.dan = self.agent("dan", None)
        at = dt.datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
        self.survey(self.ann, Channel.PHONE, (Y, Y, Y, Y), "Great help", at)
        self.survey(self.ann, Channel.PHONE, (Y, Y, N, Y), "", at + dt.timedelta(hours=1))
        self.survey(self.bob, Channel.EMAIL, (Y, N, N, N), '=HYPERLINK("http://x")', at + dt.timedelta(days=1))
        self.survey(self.cat, Channel.WALK_IN, (Y, Y, Y, Y), "", at + dt.timedelta(days=2))
        self.survey(self.cat, Channel.PHONE, (N, N, Y, N), "Too slow", at + dt.timedelta(days=3))
        self.survey(
            self.dan,
            Channel.PHONE,
            (Y, Y, Y, Y),
            "  ",
            dt.datetime(2026, 12, 1, 4, 30, tzinfo=UTC),
            contact_details={"name": "Zebediah Quux", "phone": "215-555-0199", "email": ""},
        )
        self.survey(self.ann, Channel.PHONE, (Y, Y, Y, N), "October words", dt.datetime(2026, 11, 1, 3, 30, tzinfo=UTC))
        for outcome in (Response.Outcome.NO_ANSWER, Response.Outcome.DECLINED):
            Response.objects.create(
                jurisdiction=jurisdiction,
                version=self.version,
                contact_channel=Channel.PHONE,
                agent=self.ann,
                team=self.blue,
                outcome=outcome,
                finished_at=at,
            )
        elsewhere = JurisdictionFactory(slug="elsewhere", name="Elsewhere", jurisdiction_id="elsewhere.gov")
        other_version = services.ensure_baseline(elsewhere)
        other = Response.objects.create(
            jurisdiction=elsewhere,
            version=other_version,
            agent=self.ann,
            outcome=Response.Outcome.COMPLETED,
            finished_at=at,
        )
        Answer.objects.create(response=other, question=other_version.questions.get(code="satisfied"), value=False)
        fixed_version = fixed.ensure_fixed_survey(jurisdiction)
        for answer in (True, False):
            response = Response.objects.create(
                jurisdiction=jurisdiction,
                version=fixed_version,
                channel="email",
                outcome=Response.Outcome.COMPLETED,
                finished_at=at,
            )
            Answer.objects.create(
                response=response, question=fixed_version.questions.get(code=fixed.FIXED), value=answer
            )
        deadline = at + dt.timedelta(days=2)
        FollowUpTask.objects.create(
            jurisdiction=jurisdiction,
            owner=self.sue,
            deadline=deadline,
            words="Cold",
            created_at=at,
            state=FollowUpTask.State.RESOLVED,
            resolution="Called back",
            resolved_at=at + dt.timedelta(days=1),
        )
        FollowUpTask.objects.create(
            jurisdiction=jurisdiction, owner=self.sue, deadline=deadline, words="Angry", created_at=at
        )

    def agent(self, name, team):
        user = with_role(StaffFactory(username=name, first_name=name.title(), last_name="Agent"), StaffRole.AGENT)
        if team is not None:
            move_to_team(user, team, actor=None)
        return user

    def survey(self, agent, channel, yes_no, feedback, finished_at, contact_details=None):
        response = Response.objects.create(
            jurisdiction=self.jurisdiction,
            version=self.version,
            contact_channel=channel,
            agent=agent,
            team=agent.team,
            outcome=Response.Outcome.COMPLETED,
            started_at=finished_at,
            finished_at=finished_at,
        )
        values = dict(zip(("explained", "informed", "timely", "satisfied"), yes_no, strict=True))
        values["feedback"] = feedback
        if contact_details:
            values["contact"] = contact_details
        Answer.objects.bulk_create(
            [Answer(response=response, question=self.questions[code], value=value) for code, value in values.items()]
        )
        return response
