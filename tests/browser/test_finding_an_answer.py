"""A resident finds an answer on the help pages (despite a typo) and says it helped; an agent finds the
same answer in the console during a call and records it; under the site's content security policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from civic311.insights.models import ArticleFeedback, ArticleView, SearchLog
from civic311.people.models import StaffRole
from civic311.service_requests.models import Contact

from ..factories import StaffFactory, with_role
from ..knowledge_helpers import editor, write_article
from .conftest import arrive_at, fill_sign_in, recording_page

pytestmark = pytest.mark.browser


@pytest.fixture
def answer(transactional_db, jurisdiction, service):
    return write_article(
        jurisdiction,
        "illegal-dumping",
        actor=editor(),
        service_list=[service],
        title="How to report illegal dumping",
        summary="Tell us the address and what was dumped; crews clear it within a week.",
        body="Report it **online** or call 311.",
    )


def test_a_resident_finds_an_answer_despite_a_typo(live_server, answer, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Help").click()
    page.get_by_label("Search the help pages").fill("ilegal dumpng")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Did you mean:")).to_be_visible()
    page.get_by_role("link", name="How to report illegal dumping").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How to report illegal dumping")
    expect(page.get_by_role("link", name=re.compile("Report this"))).to_be_visible()
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_text("Thank you for telling us.")).to_be_visible()
    assert page.csp_violations == []
    search = SearchLog.objects.get(channel="web")
    assert search.query == "ilegal dumpng" and search.clicks.filter(article=answer).exists()
    assert ArticleFeedback.objects.filter(article=answer, helpful=True).count() == 1


def test_an_agent_uses_the_same_answer_in_a_call(live_server, answer, chromium):
    agent = with_role(StaffFactory(username="alex"), StaffRole.AGENT)
    with recording_page(chromium, viewport={"width": 1400, "height": 1000}) as page:
        page.goto(f"{live_server.url}/admin/login/?next=/console/")
        fill_sign_in(page, agent.username)
        arrive_at(page, live_server, "/console/")
        page.get_by_role("button", name=re.compile("^Phone")).click()
        page.wait_for_url(re.compile(r"/console/contact/\d+/"), wait_until="load")

        page.locator("#answer-search").fill("ilegal dumpng")
        page.locator("#answer-search").press("Enter")
        answers = page.locator("#answer-results")
        expect(answers.get_by_text("Tell us the address and what was dumped")).to_be_visible()
        answers.get_by_role("link", name="Give this answer: How to report illegal dumping").click()
        page.wait_for_url(re.compile(r"article=illegal-dumping"), wait_until="load")
        summary = page.locator("#information textarea[name=summary]")
        expect(summary).to_have_value(re.compile("crews clear it within a week"))
        page.get_by_role("button", name="Record the answer").click()
        expect(page.get_by_text("The answer was recorded.")).to_be_visible()
        assert page.csp_violations == []
    contact = Contact.objects.get(agent=agent)
    assert contact.outcome == Contact.Outcome.INFORMATION and "within a week" in contact.summary
    assert ArticleView.objects.filter(article=answer, channel="console").count() == 1
    # Each search the console ran is logged (as typed, then on Enter); the one the answer came from has the click.
    assert SearchLog.objects.filter(channel="console", clicks__article=answer).count() == 1
