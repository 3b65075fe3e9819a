"""Review of issue 17: the cohort page, the walk requests page, the impact report and the pilot report do not
query once per participant (the same number of queries, or barely more, for 30 participants as for 3)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civic311.community.models import (
    Attendance,
    Cohort,
    CohortSession,
    Participant,
    Phase,
    PilotInvitation,
    WalkReport,
    YouthSurveyResponse,
)
from civic311.community.services import pilots
from civic311.service_requests import services as requests_services
from civic311.surveys import services as surveys
from civic311.surveys.models import Instrument, InstrumentVersion

from .helpers import community_staff, pilot_with_people, rate_all

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("America/New_York")


def _cohort(jurisdiction, service, size: int) -> Cohort:
    """A cohort of `size` participants, three sessions held with a register, everyone answering the survey
    before and after, and one walk request each."""
    slug = f"size-{size}"
    instrument = Instrument.objects.create(jurisdiction=jurisdiction, slug=f"yep-{slug}", name="YEP")
    version = InstrumentVersion.objects.create(instrument=instrument, number=1)
    surveys.add_question(version, code="knows", kind="yes_no", text="Do you know 311?", order=1)
    surveys.add_question(version, code="comfort", kind="scale_1_5", text="Comfortable?", order=2)
    surveys.add_question(version, code="why", kind="free_text", text="Why?", order=3, required=False)
    surveys.publish_version(version, now=dt.datetime(2026, 3, 1, tzinfo=CITY))
    cohort = Cohort.objects.create(
        jurisdiction=jurisdiction,
        name=f"Cohort of {size}",
        slug=slug,
        site_name="Penn Treaty School",
        site_kind=Cohort.SiteKind.SCHOOL,
        starts_on=dt.date(2026, 3, 3),
        ends_on=dt.date(2026, 3, 31),
        survey=instrument,
        before_version=version,
        after_version=version,
    )
    sessions = [
        CohortSession.objects.create(
            cohort=cohort,
            number=number,
            starts_at=dt.datetime(2026, 3, 3 + 7 * number, 15, tzinfo=CITY),
            ends_at=dt.datetime(2026, 3, 3 + 7 * number, 17, tzinfo=CITY),
            topic=f"Topic {number}",
            has_field_walk=number == 2,
        )
        for number in range(1, 4)
    ]
    for index in range(size):
        person = Participant.objects.create(
            cohort=cohort,
            first_name=f"Kid{index}",
            last_initial="R",
            age_band="11-13",
            guardian_name="A guardian",
            consent_method="paper",
            consented_on=dt.date(2026, 3, 1),
        )
        for session in sessions:
            Attendance.objects.create(session=session, participant=person, present=True)
        for phase, answers in (
            (Phase.BEFORE, {"knows": False, "comfort": 2}),
            (Phase.AFTER, {"knows": True, "comfort": 4, "why": f"c{index}"}),
        ):
            response = surveys.record_response(version, answers, jurisdiction=jurisdiction, channel="paper")
            YouthSurveyResponse.objects.create(participant=person, phase=phase, response=response)
        filed = requests_services.submit(
            jurisdiction,
            requests_services.Report(service_code=service.code, lat="39.9526", long="-75.1635", description="Tags."),
        ).service_request
        WalkReport.objects.create(service_request=filed, session=sessions[1], participant=person)
    return cohort


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(
    "name",
    [
        "youth_cohort",
        "youth_cohort_requests",
        "youth_cohort_requests_map",
        "youth_impact",
        "youth_impact_csv",
        "youth_survey",
        "youth_certificates",
    ],
)
def test_the_cohort_pages_do_not_query_per_participant(client, jurisdiction, service, center_city, name):
    small, large = _cohort(jurisdiction, service, 3), _cohort(jurisdiction, service, 30)
    client.force_login(community_staff())
    few = _queries(client, reverse(f"community:{name}", args=[small.slug]))
    many = _queries(client, reverse(f"community:{name}", args=[large.slug]))
    assert many <= few + 2, (few, many)


def _answered_pilot(jurisdiction, staff, size: int):
    pilot, _people = pilot_with_people(jurisdiction, staff, size, slug=f"pilot-{size}", first=f"u{size}x")
    for phase, rating in ((Phase.BEFORE, 2), (Phase.AFTER, 4)):
        pilots.send_phase(pilot, phase, staff)
        for invitation in PilotInvitation.objects.filter(participant__assessment=pilot, phase=phase):
            pilots.answer(invitation.token, {**rate_all(rating), "productivity_comment": "Faster."})
    pilot.refresh_from_db()
    return pilot


@pytest.mark.parametrize("name", ["pilot_report", "pilot_report_csv", "pilot_participants", "pilot"])
def test_the_pilot_report_does_not_query_per_participant(client, jurisdiction, name):
    staff = community_staff()
    small, large = _answered_pilot(jurisdiction, staff, 3), _answered_pilot(jurisdiction, staff, 30)
    client.force_login(staff)
    few = _queries(client, reverse(f"community:{name}", args=[small.slug]))
    many = _queries(client, reverse(f"community:{name}", args=[large.slug]))
    assert many <= few + 2, (few, many)
