"""A surveyor's shift in Chromium, under the site's content security policy: signs in, claims the first
call, records the six answers, claims the next and records "no answer", transfers a third customer to a
supervisor half-way through the questions (the answers typed so far stay, and the supervisor sees them);
the database is checked after each step."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from civic311.surveys import services
from civic311.surveys.models import Answer, FollowUpTask, Response, WorkListEntry

from ..factories import JurisdictionFactory
from ..survey_helpers import contact, customer, supervisor, surveyor
from .conftest import recording_page, sign_in

pytestmark = pytest.mark.browser


def test_a_surveyors_shift(live_server, transactional_db, chromium):
    jurisdiction = JurisdictionFactory()
    person = customer(jurisdiction)
    first = contact(jurisdiction, ended_ago=dt.timedelta(hours=5), phone="215-555-0001", customer=person)
    second = contact(jurisdiction, ended_ago=dt.timedelta(hours=4), phone="215-555-0002")
    third = contact(jurisdiction, ended_ago=dt.timedelta(hours=3), phone="215-555-0003")
    assert services.build_work_list(jurisdiction, timezone.now()) == 3
    boss = supervisor(username="boss")
    caller = surveyor(username="caller")

    with recording_page(chromium, viewport={"width": 1280, "height": 1000}) as page:
        sign_in(page, live_server, "/surveys/", caller)
        assert page.get_by_role("heading", name="Survey calls").is_visible()
        assert page.locator("#survey-work-list tbody tr").count() == 3
        assert "Philomena" not in page.content() and "Zebrawood" not in page.content()

        # First call: the six answers.
        page.get_by_role("button", name="Claim (215) 555-0001").click()
        page.wait_for_url(re.compile(r"/surveys/call/\d+/$"))
        form = page.locator("#survey-answers")
        for code, answer in (("explained", "Yes"), ("informed", "Yes"), ("timely", "No"), ("satisfied", "Yes")):
            form.locator(f"input[name={code}][value={answer.lower()}]").check()
        form.get_by_label(re.compile(r"additional feedback")).fill("Friendly agent.")
        form.get_by_label("E-mail address").fill("happy@example.org")
        page.get_by_role("button", name="Record the answers").click()
        page.get_by_text("Survey recorded. Thank you.").wait_for()
        response = Response.objects.get(contact=first)
        assert response.outcome == Response.Outcome.COMPLETED and response.surveyor == caller
        assert dict(Answer.objects.filter(response=response).values_list("question__code", "value")) == {
            "explained": True,
            "informed": True,
            "timely": False,
            "satisfied": True,
            "feedback": "Friendly agent.",
            "contact": {"email": "happy@example.org"},
        }
        assert page.locator("#survey-work-list tbody tr").count() == 2

        # Second call: no answer.
        page.get_by_role("button", name="Claim (215) 555-0002").click()
        page.wait_for_url(re.compile(r"/surveys/call/\d+/$"))
        page.get_by_label("No answer").check()
        page.get_by_role("button", name="Record the outcome").click()
        page.get_by_text("Call recorded: No answer.").wait_for()
        assert WorkListEntry.objects.get(contact=second).outcome == Response.Outcome.NO_ANSWER

        # Third call: a dissatisfied customer goes to a supervisor half-way through the questions; what the
        # surveyor typed so far goes with the transfer and stays on the page.
        page.get_by_role("button", name="Claim (215) 555-0003").click()
        page.wait_for_url(re.compile(r"/surveys/call/\d+/$"))
        form = page.locator("#survey-answers")
        form.locator("input[name=explained][value=no]").check()
        form.locator("input[name=informed][value=yes]").check()
        form.get_by_label(re.compile(r"additional feedback")).fill("Nobody came about the streetlight.")
        page.get_by_label("Supervisor", exact=True).select_option(label="boss")
        page.get_by_label("The customer's words").fill("Three weeks and the light is still out.")
        page.get_by_role("button", name="Transfer to the supervisor").click()
        page.get_by_text("Transferred to boss.").wait_for()
        if os.environ.get("CIVIC311_SCREENSHOTS"):
            page.screenshot(
                path=str(Path(os.environ["CIVIC311_SCREENSHOTS"]) / "survey-call-transferred.png"), full_page=True
            )
        task = FollowUpTask.objects.get()
        entry = WorkListEntry.objects.get(contact=third)
        assert (task.owner, task.entry, task.created_by, task.state) == (boss, entry, caller, "open")
        assert task.words == "Three weeks and the light is still out."
        assert task.answers == {"explained": False, "informed": True, "feedback": "Nobody came about the streetlight."}
        assert task.deadline > timezone.now()
        assert entry.state == WorkListEntry.State.CLAIMED and entry.claimed_by == caller
        expect(form.locator("input[name=explained][value=no]")).to_be_checked()
        expect(form.locator("input[name=informed][value=yes]")).to_be_checked()
        feedback = form.get_by_label(re.compile(r"additional feedback"))
        expect(feedback).to_have_value("Nobody came about the streetlight.")
        # The surveyor finishes the call with the rest of the answers.
        form.locator("input[name=timely][value=no]").check()
        form.locator("input[name=satisfied][value=no]").check()
        page.get_by_role("button", name="Record the answers").click()
        page.get_by_text("Survey recorded. Thank you.").wait_for()
        assert dict(Answer.objects.filter(response__contact=third).values_list("question__code", "value")) == {
            "explained": False,
            "informed": True,
            "timely": False,
            "satisfied": False,
            "feedback": "Nobody came about the streetlight.",
        }

        # The supervisor sees the customer's words and the answers given before the transfer.
        page.get_by_role("button", name="Sign out").click()
        sign_in(page, live_server, "/surveys/follow-ups/", boss)
        task_card = page.locator(f"#my-follow-ups [data-task='{task.pk}']")
        expect(task_card).to_contain_text("Three weeks and the light is still out.")
        expect(task_card.locator(".follow-up-answers")).to_contain_text("Nobody came about the streetlight.")
        if os.environ.get("CIVIC311_SCREENSHOTS"):
            page.screenshot(
                path=str(Path(os.environ["CIVIC311_SCREENSHOTS"]) / "survey-follow-ups.png"), full_page=True
            )

        assert page.csp_violations == []
