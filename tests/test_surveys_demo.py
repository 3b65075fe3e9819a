"""The demo's survey history: made through the services, once per day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from civic311.demo.surveys import create_survey_history
from civic311.surveys import selectors
from civic311.surveys.models import Response

from .survey_helpers import contact, supervisor

pytestmark = pytest.mark.django_db


def test_a_few_weeks_of_surveys_once(jurisdiction):
    supervisor()
    now = timezone.now()
    for days_ago in range(1, 8):
        for hour in (1, 2, 3):
            noon = dt.datetime.combine(
                timezone.localdate(now, jurisdiction.zone) - dt.timedelta(days=days_ago),
                dt.time(12),
                tzinfo=jurisdiction.zone,
            )
            contact(jurisdiction, consent=None, phone="", now=noon, ended_ago=dt.timedelta(hours=hour))
    made = create_survey_history(jurisdiction, weeks=1, per_day=2, now=now)
    assert made == 14 and Response.objects.count() == 14
    assert create_survey_history(jurisdiction, weeks=1, per_day=2, now=now) == 0
    yesterday = timezone.localdate(now, jurisdiction.zone) - dt.timedelta(days=1)
    completed = [
        response
        for response in Response.objects.filter(outcome="completed")
        if timezone.localdate(response.finished_at, jurisdiction.zone) == yesterday
    ]
    satisfied = sum(1 for response in completed if response.answers.get(question__code="satisfied").value is True)
    assert selectors.satisfaction(jurisdiction, yesterday) == selectors.Satisfaction(
        len(completed), satisfied, satisfied / len(completed) * 100 if completed else None
    )
