"""The Youth Engagement Program in Chromium, end to end: community staff create a cohort at a school, schedule
its five weekly sessions, add participants with their guardians' consent and take the first session's register;
the before survey opens and a participant answers it on the public link (a shared tablet); the field walk's link
opens and a participant reports a problem from a phone (390 px); the after survey; the impact report shows the
figures; certificates are issued and one's public verification page confirms it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from civic311.community.models import Cohort, Participant, WalkReport, YouthSurveyResponse
from civic311.community.models import Partner as PartnerModel

from ..community.helpers import community_staff
from ..factories import NeighborhoodFactory
from .conftest import PHONE, recording_page, sign_in

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 1000}


def _local(moment: dt.datetime, zone) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _answer_survey(page, *, yes: bool, comfort: str) -> None:
    """One participant's answers on the survey's public page (the default youth survey's questions)."""
    answer = "Yes" if yes else "No"
    for question in ("Do you know what", "Do you know about the Junior Block Captains", "Are you interested"):
        page.get_by_role("group", name=re.compile(question)).get_by_text(answer, exact=True).click()
    page.get_by_role("group", name=re.compile("How comfortable")).get_by_text(comfort, exact=True).click()
    page.get_by_role("button", name="Send my answers").click()
    page.locator("#survey-thanks").wait_for()


def _open_phase(page, live_server, slug: str, phase: str) -> str:
    """Open a survey phase on the cohort's survey page; return the participants' link."""
    page.goto(f"{live_server.url}/community/youth/{slug}/survey/")
    page.get_by_role("button", name=re.compile(f"Open the survey {phase}")).click()
    link = page.locator(f"#link-{phase}").input_value()
    assert "/community/youth/survey/" in link
    return link


def test_a_cohort_from_creation_to_certificates(live_server, transactional_db, jurisdiction, service, chromium):
    NeighborhoodFactory(jurisdiction=jurisdiction, slug="frankford", name="Frankford")
    PartnerModel.objects.create(jurisdiction=jurisdiction, name="Education Works", contact_email="ew@example.org")
    staff = community_staff()
    zone = jurisdiction.zone
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(zone).date()
    # The first session began half an hour ago: the cohort starts that day (yesterday, just after midnight).
    first = now - dt.timedelta(minutes=30)
    first_day = first.astimezone(zone).date()

    with recording_page(chromium, viewport=WIDE) as page:
        sign_in(page, live_server, "/community/", staff)
        page.get_by_role("link", name="Youth Engagement Program").first.click()
        page.get_by_role("link", name="New cohort").click()
        page.get_by_label("Name", exact=True).fill("Summer at Harding Middle School")
        page.get_by_label("Short name (for the page's address)").fill("harding-summer")
        page.get_by_label("Site (school or center)").fill("Harding Middle School")
        page.get_by_label("Kind of site").select_option("school")
        page.get_by_label("Address", exact=True).fill("2000 Wakeling St")
        page.get_by_label("First day").fill(first_day.isoformat())
        page.get_by_label("Last day").fill((first_day + dt.timedelta(days=28)).isoformat())
        page.get_by_label("Education Works").check()
        page.get_by_label("Sessions to attend to complete").fill("1")
        page.get_by_label("Certificates signed by").fill("Alicia Grant")
        page.get_by_label("Signatory's title", exact=True).fill("Chief Customer Officer")
        page.get_by_role("button", name="Create the cohort").click()
        page.wait_for_url(re.compile(r"/community/youth/harding-summer/$"))
        cohort = Cohort.objects.get(slug="harding-summer")

        # Five weekly sessions, the first begun half an hour ago (with its field walk).
        page.get_by_label("The first session starts").fill(_local(first, zone))
        with page.expect_navigation():
            page.get_by_role("button", name="Schedule five weekly sessions").click()
        assert cohort.sessions.count() == 5 and cohort.sessions.get(number=1).has_field_walk

        for first_name, initial in (("Maria", "R"), ("Jayden", "T")):
            page.goto(f"{live_server.url}/community/youth/harding-summer/participants/new/")
            page.get_by_label("First name").fill(first_name)
            page.get_by_label("Last initial").fill(initial)
            page.get_by_label("Age").select_option("11-13")
            page.get_by_label("Parent or guardian who consented").fill(f"Guardian of {first_name}")
            page.get_by_label("Consent given").select_option("paper")
            page.get_by_label("Consent date").fill(today.isoformat())
            page.get_by_role("button", name="Add the participant").click()
            page.wait_for_url(re.compile(r"/community/youth/harding-summer/"))
        assert Participant.objects.filter(cohort=cohort).count() == 2
        maria = Participant.objects.get(cohort=cohort, first_name="Maria")

        # The first session's register: both present.
        page.goto(f"{live_server.url}/community/youth/harding-summer/sessions/1/")
        page.get_by_label("Maria R.").check()
        page.get_by_label("Jayden T.").check()
        page.get_by_role("button", name="Save the register").click()
        page.locator("#present-count").filter(has_text="2 of 2 present").wait_for()

        before_link = _open_phase(page, live_server, "harding-summer", "before")
        assert page.csp_violations == []

    # A shared tablet: Maria taps her name and answers the before survey.
    with recording_page(chromium, viewport={"width": 800, "height": 1100}, has_touch=True) as tablet:
        tablet.goto(before_link)
        tablet.get_by_role("link", name="Maria R.").click()
        _answer_survey(tablet, yes=False, comfort="2")
        assert tablet.get_by_role("link", name="Maria R.").count() == 0  # answered: off the list
        assert tablet.csp_violations == []
    assert YouthSurveyResponse.objects.filter(participant=maria, phase="before").exists()

    # The field walk: staff open its link; Maria reports dumping from her phone.
    with recording_page(chromium, viewport=WIDE) as page:
        sign_in(page, live_server, "/community/youth/harding-summer/sessions/1/", staff)
        if page.locator("#walk-link, #walk-closes-at").count() == 0:
            # The session's page without its field walk block: the walk's own page opens it.
            page.goto(f"{live_server.url}/community/youth/harding-summer/sessions/1/walk/open/")
        page.get_by_role("button", name="Open the walk's link").click()
        page.wait_for_load_state()
        session = cohort.sessions.get(number=1)
        assert session.walk_token
        walk_link = f"{live_server.url}/community/youth/walk/{session.walk_token}/"
        if page.locator("#walk-link").count():
            assert page.locator("#walk-link").get_attribute("href").endswith(f"/youth/walk/{session.walk_token}/")
    with recording_page(chromium, viewport=PHONE, is_mobile=True, has_touch=True) as phone:
        phone.goto(walk_link)
        phone.get_by_role("link", name="Illegal Dumping").click()
        phone.get_by_label("Street address or nearest corner").fill("2000 Wakeling St")
        phone.get_by_label("Describe it in a few words (optional)").fill("Tires dumped behind the school.")
        phone.get_by_label("Your name").select_option(str(maria.pk))
        phone.get_by_role("button", name="Send report").click()
        phone.wait_for_url(re.compile(r"/community/youth/walk/[^/]+/done/"))
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert phone.csp_violations == []
    [report] = WalkReport.objects.filter(session__cohort=cohort)
    assert report.participant == maria and report.service_request.service == service

    # The after survey, then the impact report, the certificates and one's public verification page.
    with recording_page(chromium, viewport=WIDE) as page:
        sign_in(page, live_server, "/community/youth/harding-summer/survey/", staff)
        page.get_by_role("button", name="Close the survey").first.click()
        after_link = _open_phase(page, live_server, "harding-summer", "after")
        tablet = page.context.new_page()
        tablet.goto(after_link)
        tablet.get_by_role("link", name="Maria R.").click()
        _answer_survey(tablet, yes=True, comfort="5")
        tablet.close()

        page.goto(f"{live_server.url}/community/youth/harding-summer/impact/")
        main = page.locator("main").inner_text()
        assert "Do you know what" in main and "Requests filed on the field walks" in main
        assert re.search(r"0 %\s*0 of 1", main) and re.search(r"100 %\s*1 of 1", main)
        assert re.search(r"Filed\s+1\b", main)  # the walk's request

        page.goto(f"{live_server.url}/community/youth/harding-summer/certificates/")
        page.locator("#issue-all").click()
        maria.refresh_from_db()
        assert maria.completed_at is not None and maria.certificate_code
        page.goto(f"{live_server.url}/community/youth/certificates/")
        page.get_by_label(re.compile("code", re.IGNORECASE)).fill(maria.certificate_code.lower())
        page.get_by_role("button", name="Check the certificate").click()
        page.locator("#certificate-found").wait_for()
        assert page.locator("#certificate-name").inner_text() == "Maria R."
        assert page.locator("#certificate-cohort").inner_text() == "Summer at Harding Middle School"
        assert "Guardian" not in page.content()
        assert page.csp_violations == []
