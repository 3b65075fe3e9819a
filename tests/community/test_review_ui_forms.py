"""UI review of issue 17: the youth program's date pickers keep an ISO value in every language (a browser's
`type=date` / `type=datetime-local` input shows nothing for a localized "19/06/2026"), and the walk page's
"Something else" list starts with a words-not-dashes prompt."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from civic311.community.models import Phase
from civic311.community.services import youth_surveys
from civic311.community.walk_forms import OtherServiceForm
from civic311.community.youth_forms import ParticipantForm, SessionForm, WeeklySessionsForm
from tests.community.helpers import YOUTH_ANSWERS, community_staff, survey_cohort


def test_the_consent_date_keeps_an_iso_value_in_spanish() -> None:
    with translation.override("es"):
        html = str(ParticipantForm(initial={"consented_on": dt.date(2026, 6, 19)})["consented_on"])
    assert 'value="2026-06-19"' in html
    assert "19/06/2026" not in html


def test_session_times_keep_a_datetime_local_value_in_spanish() -> None:
    city = ZoneInfo("America/New_York")
    starts = dt.datetime(2026, 6, 19, 15, 30, tzinfo=city)
    with translation.override("es"), timezone.override(city):
        form = SessionForm(initial={"starts_at": starts}, departments=[], partners=[])
        html = str(form["starts_at"])
        weekly = str(WeeklySessionsForm(initial={"first_starts_at": starts})["first_starts_at"])
    assert 'value="2026-06-19T15:30"' in html
    assert 'value="2026-06-19T15:30"' in weekly


def test_a_spanish_iso_date_is_still_read() -> None:
    with translation.override("es"):
        form = SessionForm(
            data={"starts_at": "2026-06-19T15:30", "ends_at": "2026-06-19T17:00"}, departments=[], partners=[]
        )
        assert form.is_valid(), form.errors
    assert form.cleaned_data["starts_at"].hour == 15


def test_something_else_starts_with_a_prompt_not_dashes() -> None:
    with translation.override("en"):
        html = str(OtherServiceForm(services=[])["service"])
    assert "---------" not in html
    assert "Pick one" in html


@pytest.mark.django_db
def test_a_phase_everyone_answered_offers_no_open_button(client, jurisdiction):
    """Once every participant has answered a phase (and it is closed), the survey page no longer offers to open
    it again: nobody is left to answer, and a newcomer would wonder what it is for."""
    cohort, people = survey_cohort(jurisdiction, names=(("Maria", "R"),))
    casey = community_staff()
    client.force_login(casey)
    open_before = reverse("community:youth_survey_open", args=[cohort.slug, "before"])
    page = client.get(reverse("community:youth_survey", args=[cohort.slug])).content.decode()
    assert open_before in page
    token = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey).before_survey_token
    step = reverse("community:youth_survey_take_participant", args=[token, people[0].pk])
    assert client.post(step, dict(YOUTH_ANSWERS)).status_code == 302
    youth_surveys.close_phase(cohort, Phase.BEFORE, actor=casey)
    page = client.get(reverse("community:youth_survey", args=[cohort.slug])).content.decode()
    assert "Everyone has answered." in page
    assert open_before not in page
    assert reverse("community:youth_survey_open", args=[cohort.slug, "after"]) in page
