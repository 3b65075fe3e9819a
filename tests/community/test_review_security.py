"""Issue 17's security review: the public pages a secret link opens (a field walk's, a youth survey's, a
pilot invitation's) stay out of search engines, a client refused for guessing links is refused a real link
too (the limit must stop the guessing, not only slow the wrong answers), and the community staff of another
city are refused every staff page of the youth program, the survey editor and the pilots, changing nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from civic311.community.models import Cohort, CohortSession, Participant, Phase, PilotAssessment
from civic311.community.services import field_walks, pilots, youth_surveys
from civic311.people.models import StaffRole
from tests.factories import DepartmentFactory, JurisdictionFactory, StaffFactory, with_role

from .helpers import community_staff, pilot_with_people, survey_cohort, walk_cohort

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("America/New_York")
BEFORE_WALK = dt.datetime(2026, 7, 8, 14, 0, tzinfo=CITY)
DURING_WALK = dt.datetime(2026, 7, 8, 15, 45, tzinfo=CITY)


def _noindex(response) -> bool:
    return "noindex" in response.get("X-Robots-Tag", "")


# --- the secret links' pages are kept out of search engines --------------------------------------------------


def test_the_walk_pages_are_not_indexed(client, jurisdiction, department, center_city):
    _cohort, sessions, _people = walk_cohort(jurisdiction)
    opened = field_walks.open_walk(sessions[2], community_staff(), now=BEFORE_WALK)
    with time_machine.travel(DURING_WALK, tick=False):
        choose = client.get(reverse("community:youth_walk", args=[opened.walk_token]))
        done = client.get(reverse("community:youth_walk_done", args=[opened.walk_token]))
        unknown = client.get(reverse("community:youth_walk", args=["no-such-walk"]))
    assert (choose.status_code, done.status_code, unknown.status_code) == (200, 200, 410)
    assert _noindex(choose) and _noindex(done) and _noindex(unknown)


def test_the_pilot_answer_page_is_not_indexed(client, jurisdiction):
    casey = community_staff()
    assessment, _people = pilot_with_people(jurisdiction, casey, 1)
    pilots.send_phase(assessment, Phase.BEFORE, casey)
    invitation = assessment.participants.get().invitations.get()
    page = client.get(reverse("community:pilot_answer", args=[invitation.token]))
    unknown = client.get(reverse("community:pilot_answer", args=["no-such-link"]))
    assert (page.status_code, unknown.status_code) == (200, 404)
    assert _noindex(page) and _noindex(unknown)


def test_the_youth_survey_pages_are_not_indexed(client, jurisdiction):
    cohort, people = survey_cohort(jurisdiction)
    token = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=community_staff()).before_survey_token
    names = client.get(reverse("community:youth_survey_take", args=[token]))
    step = client.get(reverse("community:youth_survey_take_participant", args=[token, people[0].pk]))
    assert (names.status_code, step.status_code) == (200, 200)
    assert _noindex(names) and _noindex(step)


# --- the youth survey's bad-link limit stops the guessing ------------------------------------------------------


def test_a_client_over_the_bad_link_limit_is_refused_a_real_survey_link_too(client, jurisdiction):
    cohort, people = survey_cohort(jurisdiction)
    token = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=community_staff()).before_survey_token
    with override_settings(CIVIC311_YOUTH_SURVEY_BAD_LINKS_PER_HOUR=2):
        guesses = [client.get(reverse("community:youth_survey_take", args=[f"bad-{n}"])).status_code for n in range(2)]
        hit = client.get(reverse("community:youth_survey_take", args=[token]))
        step = client.get(reverse("community:youth_survey_take_participant", args=[token, people[0].pk]))
    assert guesses == [404, 404]
    # A right guess must look like any other once the limit is reached: no names, no form.
    assert (hit.status_code, step.status_code) == (429, 429)
    assert b"Maria" not in hit.content and b"Maria" not in step.content


def test_a_real_survey_link_works_under_the_limit(client, jurisdiction):
    cohort, _people = survey_cohort(jurisdiction)
    token = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=community_staff()).before_survey_token
    with override_settings(CIVIC311_YOUTH_SURVEY_BAD_LINKS_PER_HOUR=2):
        client.get(reverse("community:youth_survey_take", args=["guess-1"]))
        page = client.get(reverse("community:youth_survey_take", args=[token]))
    assert page.status_code == 200 and b"Maria R." in page.content


# --- another city's community staff: refused everywhere, nothing changes ---------------------------------------


def _other_citys_community_staff():
    elsewhere = JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False)
    far = StaffFactory(username="far-casey", department=DepartmentFactory(jurisdiction=elsewhere))
    return with_role(far, StaffRole.COMMUNITY_STAFF)


def _staff_urls(cohort, participant, instrument_pk, assessment):
    slug, pilot = cohort.slug, assessment.slug
    return [
        ("get", reverse("community:youth_walk_open", args=[slug, 3])),
        ("post", reverse("community:youth_walk_open", args=[slug, 3])),
        ("post", reverse("community:youth_walk_close", args=[slug, 3])),
        ("get", reverse("community:youth_cohort_requests", args=[slug])),
        ("get", reverse("community:youth_cohort_requests_map", args=[slug])),
        ("get", reverse("community:survey_forms")),
        ("post", reverse("community:survey_forms")),
        ("get", reverse("community:survey_form", args=[instrument_pk])),
        ("post", reverse("community:survey_form_draft", args=[instrument_pk])),
        ("post", reverse("community:survey_form_publish", args=[instrument_pk])),
        ("get", reverse("community:youth_survey", args=[slug])),
        ("post", reverse("community:youth_survey_attach", args=[slug])),
        ("post", reverse("community:youth_survey_open", args=[slug, "after"])),
        ("post", reverse("community:youth_survey_close", args=[slug, "before"])),
        ("get", reverse("community:youth_survey_enter", args=[slug, "after", participant.pk])),
        ("post", reverse("community:youth_survey_enter", args=[slug, "after", participant.pk])),
        ("get", reverse("community:youth_impact", args=[slug])),
        ("get", reverse("community:youth_impact_pdf", args=[slug])),
        ("get", reverse("community:youth_impact_csv", args=[slug])),
        ("get", reverse("community:youth_certificates", args=[slug])),
        ("post", reverse("community:youth_certificates", args=[slug])),
        ("get", reverse("community:youth_certificates_pdf", args=[slug])),
        ("get", reverse("community:pilots")),
        ("post", reverse("community:pilot_new")),
        ("get", reverse("community:pilot", args=[pilot])),
        ("post", reverse("community:pilot_edit", args=[pilot])),
        ("get", reverse("community:pilot_participants", args=[pilot])),
        ("post", reverse("community:pilot_participants", args=[pilot])),
        ("post", reverse("community:pilot_send", args=[pilot, "before"])),
        ("post", reverse("community:pilot_focus_group_new", args=[pilot])),
        ("get", reverse("community:pilot_report", args=[pilot])),
        ("get", reverse("community:pilot_report_pdf", args=[pilot])),
        ("get", reverse("community:pilot_report_csv", args=[pilot])),
    ]


def _state():
    return (
        list(Cohort.objects.order_by("pk").values_list("before_survey_token", "after_survey_token", "survey_id")),
        list(CohortSession.objects.order_by("pk").values_list("walk_token", "walk_closes_at")),
        list(Participant.objects.order_by("pk").values_list("first_name", "certificate_code", "completed_at")),
        list(PilotAssessment.objects.order_by("pk").values_list("name", "before_version_id", "form_id")),
    )


def test_another_citys_community_staff_are_refused_every_staff_page(client, jurisdiction, department, center_city):
    casey = community_staff()
    cohort, sessions, people = walk_cohort(jurisdiction)
    field_walks.open_walk(sessions[2], casey, now=BEFORE_WALK)
    opened = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)
    assessment, _people = pilot_with_people(jurisdiction, casey, 1)
    assert opened.survey_id is not None
    before = _state()
    client.force_login(_other_citys_community_staff())
    data = {"name": "Taken over", "slug": "taken", "technology": "x", "survey": "", "users": [casey.pk]}
    for method, url in _staff_urls(cohort, people[0], opened.survey_id, assessment):
        response = client.get(url) if method == "get" else client.post(url, data)
        assert response.status_code in (403, 404), (method, url, response.status_code)
    assert _state() == before
