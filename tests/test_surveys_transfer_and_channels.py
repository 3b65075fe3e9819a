"""Two defects of the survey call (issue 14): a transfer to a supervisor mid-call keeps the answers typed so
far (with the follow-up, for the supervisor, and on the call page), and the questions about the agent are
not asked about a contact that had no agent (web, mobile app, Open311) — nor counted as a "no"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from civic311.people.models import StaffRole
from civic311.service_requests.models import Channel
from civic311.surveys import reports, selectors, services
from civic311.surveys.models import Answer, FollowUpTask, Question, Response, WorkListEntry
from civic311.surveys.reports import MONTH, Period

from .factories import staff_in_role
from .survey_helpers import SIX_ANSWERS, contact, supervisor, surveyor

pytestmark = pytest.mark.django_db


def listed(jurisdiction, channel=Channel.PHONE, phone="215-555-0142") -> WorkListEntry:
    made = contact(jurisdiction, channel=channel, phone=phone)
    services.build_work_list(jurisdiction, timezone.now())
    return WorkListEntry.objects.get(contact=made)


def transfer_post(boss, **answers) -> dict:
    deadline = timezone.localtime(timezone.now() + dt.timedelta(days=1))
    return {
        "transfer-owner": boss.pk,
        "transfer-deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
        "transfer-words": "Three weeks and the light is still out.",
        **answers,
    }


# --- a transfer keeps the answers typed so far -----------------------------------------------------------


def test_a_transfer_mid_call_keeps_the_answers_typed_so_far(client, jurisdiction):
    entry = listed(jurisdiction)
    boss, caller = supervisor(username="boss"), surveyor()
    client.force_login(caller)
    client.post(reverse("surveys:claim", args=[entry.pk]))

    response = client.post(
        reverse("surveys:transfer", args=[entry.pk]),
        transfer_post(
            boss, explained="yes", informed="no", feedback="The crew never came.", contact_phone="215-555-0199"
        ),
    )

    assert response.status_code == 302
    task = FollowUpTask.objects.get()
    assert task.answers == {
        "explained": True,
        "informed": False,
        "feedback": "The crew never came.",
        "contact": {"phone": "+12155550199"},  # E.164
    }
    assert task.answers_version == services.current_version(jurisdiction)
    # The call page shows them again: the surveyor carries on where they were.
    page = client.get(reverse("surveys:call", args=[entry.pk])).content.decode()
    assert re.search(r'<input[^>]*name="explained" value="yes"[^>]*checked', page)
    assert re.search(r'<input[^>]*name="informed" value="no"[^>]*checked', page)
    assert not re.search(r'<input[^>]*name="satisfied"[^>]*checked', page)  # not answered yet
    assert "The crew never came." in page and 'value="(215) 555-0199"' in page
    # The supervisor sees them with the customer's words.
    client.force_login(boss)
    follow_ups = client.get(reverse("surveys:follow_ups")).content.decode()
    assert "Answers given before the transfer" in follow_ups
    assert "Did the agent explain the process" in follow_ups and "The crew never came." in follow_ups
    # And the call is then recorded as usual, with the rest of the answers.
    client.force_login(caller)
    recorded = client.post(
        reverse("surveys:record", args=[entry.pk]),
        {"explained": "yes", "informed": "no", "timely": "no", "satisfied": "no", "feedback": "The crew never came."},
    )
    assert recorded.status_code == 302
    assert Response.objects.get(contact=entry.contact).outcome == Response.Outcome.COMPLETED


def test_a_refused_transfer_keeps_both_the_answers_and_the_transfer_on_the_page(client, jurisdiction):
    entry = listed(jurisdiction)
    boss, caller = supervisor(username="boss"), surveyor()
    client.force_login(caller)
    client.post(reverse("surveys:claim", args=[entry.pk]))
    data = transfer_post(boss, explained="yes", feedback="x" * 2001)
    data["transfer-words"] = ""
    response = client.post(reverse("surveys:transfer", args=[entry.pk]), data)
    assert response.status_code == 400
    assert not FollowUpTask.objects.exists()
    page = response.content.decode()
    assert "Write down what the customer said." in page or "This field is required." in page
    assert "x" * 2000 in page  # what was typed is still there


def test_an_answer_of_the_wrong_kind_refuses_the_transfer_and_writes_nothing(jurisdiction):
    entry = listed(jurisdiction)
    boss, caller = supervisor(), surveyor()
    services.claim_entry(entry, caller)
    with pytest.raises(ValidationError) as refused:
        services.transfer_to_supervisor(
            entry,
            words="Upset",
            owner=boss,
            actor=caller,
            deadline=timezone.now() + dt.timedelta(days=1),
            answers={"satisfied": "maybe"},
        )
    assert set(refused.value.message_dict) == {"satisfied"}
    assert not FollowUpTask.objects.exists()


def test_a_transfer_with_nothing_typed_keeps_nothing(jurisdiction):
    entry = listed(jurisdiction)
    boss, caller = supervisor(), surveyor()
    services.claim_entry(entry, caller)
    task = services.transfer_to_supervisor(
        entry,
        words="Upset",
        owner=boss,
        actor=caller,
        deadline=timezone.now() + dt.timedelta(days=1),
        answers={"explained": None, "feedback": ""},
    )
    assert task.answers == {} and task.answers_version is None
    assert selectors.answers_so_far(entry) == {}


# --- the questions about the agent -----------------------------------------------------------------------


def test_the_baseline_marks_its_two_questions_about_the_agent(jurisdiction):
    version = services.current_version(jurisdiction)
    assert set(version.questions.filter(about_agent=True).values_list("code", flat=True)) == {"explained", "informed"}


@pytest.mark.parametrize(
    ("channel", "asked"),
    [
        (Channel.PHONE, True),
        (Channel.WALK_IN, True),
        (Channel.EMAIL, True),
        (Channel.SOCIAL, True),
        (Channel.LIAISON, True),
        (Channel.WEB, False),
        (Channel.MOBILE, False),
        (Channel.OPEN311, False),
        (Channel.IMPORT, False),
        ("", False),
    ],
)
def test_which_contacts_had_an_agent_to_ask_about(jurisdiction, channel, asked):
    assert selectors.asks_about_agent(channel) is asked
    codes = [question.code for question in selectors.questions_for(services.current_version(jurisdiction), channel)]
    assert ("explained" in codes and "informed" in codes) is asked
    assert codes[-4:] == ["timely", "satisfied", "feedback", "contact"]


def test_a_web_contact_is_not_asked_about_the_agent(client, jurisdiction):
    entry = listed(jurisdiction, channel=Channel.WEB)
    caller = surveyor()
    client.force_login(caller)
    client.post(reverse("surveys:claim", args=[entry.pk]))
    page = client.get(reverse("surveys:call", args=[entry.pk])).content.decode()
    assert 'name="explained"' not in page and 'name="informed"' not in page
    assert 'id="survey-no-agent"' in page and 'name="satisfied"' in page
    # The two required questions about the agent are not required of it: the survey records without them.
    recorded = client.post(reverse("surveys:record", args=[entry.pk]), {"timely": "yes", "satisfied": "no"})
    assert recorded.status_code == 302
    response = Response.objects.get(contact=entry.contact)
    assert dict(Answer.objects.filter(response=response).values_list("question__code", "value")) == {
        "timely": True,
        "satisfied": False,
    }


def test_an_answer_about_a_missing_agent_is_refused(jurisdiction):
    entry = listed(jurisdiction, channel=Channel.MOBILE)
    caller = surveyor()
    services.claim_entry(entry, caller)
    with pytest.raises(ValidationError) as refused:
        services.record_phone_survey(entry, surveyor=caller, answers=SIX_ANSWERS)
    assert set(refused.value.message_dict) == {"explained", "informed"}
    assert not Response.objects.exists()


def test_a_phone_contact_still_must_answer_them(jurisdiction):
    entry = listed(jurisdiction)
    caller = surveyor()
    services.claim_entry(entry, caller)
    with pytest.raises(ValidationError) as refused:
        services.record_phone_survey(entry, surveyor=caller, answers={"timely": "yes", "satisfied": "yes"})
    assert set(refused.value.message_dict) == {"explained", "informed"}


def test_the_agent_page_of_a_phone_call_asks_all_six(client, jurisdiction):
    entry = listed(jurisdiction)
    client.force_login(surveyor())
    client.post(reverse("surveys:claim", args=[entry.pk]))
    page = client.get(reverse("surveys:call", args=[entry.pk])).content.decode()
    assert 'name="explained"' in page and 'id="survey-no-agent"' not in page


def test_a_skipped_question_is_not_counted_as_a_no(jurisdiction):
    caller = surveyor()
    phone = listed(jurisdiction, Channel.PHONE, "215-555-0101")
    web = listed(jurisdiction, Channel.WEB, "215-555-0102")
    for entry, answers in (
        (phone, {"explained": "yes", "informed": "yes", "timely": "yes", "satisfied": "yes"}),
        (web, {"timely": "no", "satisfied": "no"}),
    ):
        services.claim_entry(entry, caller)
        services.record_phone_survey(entry, surveyor=caller, answers=answers)
    period = Period.containing(MONTH, timezone.localdate(timezone=jurisdiction.zone))
    report = reports.leadership_report(jurisdiction, period, staff_in_role(StaffRole.LEADERSHIP))

    scores = {code: (score.answered, score.yes) for (code, _text), score, _before in report.by_question}
    assert scores["explained"] == (1, 1) and scores["informed"] == (1, 1)  # 100 %, not 50 %
    assert scores["satisfied"] == (2, 1) and scores["timely"] == (2, 1)
    web_row = next(row for row in report.by_channel if row.key == Channel.WEB)
    assert web_row.responses == 1 and web_row.score("explained").percent is None
    assert report.overall.responses == 2
    csv = list(reports.csv_rows(report))
    header, web_line = csv[0], next(line for line in csv if line[:1] == ["channel"] and line[2] == "Web")
    assert web_line[header.index("explained_answered")] == 0 and web_line[header.index("explained_percent")] == ""


def test_an_instrument_may_mark_its_own_questions_about_the_agent(jurisdiction):
    from civic311.surveys.models import Instrument, InstrumentVersion

    instrument = Instrument.objects.create(jurisdiction=jurisdiction, slug="community", name="Community")
    draft = InstrumentVersion.objects.create(instrument=instrument, number=1)
    question = services.add_question(
        draft, code="kind", kind=Question.Kind.YES_NO, text="Was the agent kind?", about_agent=True
    )
    assert question.about_agent
    assert selectors.questions_for(draft, Channel.WEB) == []
