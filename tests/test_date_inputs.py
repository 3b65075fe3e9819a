"""Date pickers keep an ISO value in every language: a Spanish "19/06/2026" leaves the browser's date box
empty, and saving the form then loses the date (the liaison program's meeting and training forms did)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from civic311 import date_inputs
from civic311.community.engagement_views import MeetingForm
from civic311.community.recruitment_forms import SessionForm


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_widgets_render_iso_values(language):
    with translation.override(language):
        date_html = date_inputs.DateInput().render("day", dt.date(2026, 6, 19))
        minute_html = date_inputs.DateTimeInput().render("at", dt.datetime(2026, 6, 19, 15, 30, tzinfo=dt.UTC))
    assert 'type="date"' in date_html and 'value="2026-06-19"' in date_html
    assert 'type="datetime-local"' in minute_html and 'value="2026-06-19T15:30"' in minute_html


def test_the_liaison_programs_forms_keep_their_dates_in_spanish(jurisdiction):
    with translation.override("es"), timezone.override(dt.UTC):
        meeting = str(MeetingForm(initial={"held_on": dt.date(2026, 6, 19)}, jurisdiction=jurisdiction)["held_on"])
        session = str(SessionForm(initial={"starts_at": dt.datetime(2026, 6, 19, 18, 0, tzinfo=dt.UTC)})["starts_at"])
    assert 'value="2026-06-19"' in meeting
    assert 'value="2026-06-19T18:00"' in session
