"""Program figures: a lapse counts from the end of the refresher's due day whether or not the
sweep has marked it yet, so a month's figures do not change when the sweep runs after the month ended."""

from __future__ import annotations

import datetime as dt

from civic311.community.models import Liaison
from civic311.community.selectors import figures
from tests.community.test_programme_figures import NOW, _month, hand_made, local  # noqa: F401


def test_a_lapse_marked_after_the_month_ended_still_counts_in_that_month(jurisdiction, hand_made):  # noqa: F811
    l5 = hand_made["l5"]
    assert Liaison.objects.get(pk=l5.pk).refresher_due_on == dt.date(2026, 4, 30)
    before = _month(figures.programme_figures(jurisdiction, now=NOW), 2026, 4)
    # The sweep marks l5 lapsed in the small hours of 1 May (the refresher was due on 30 April).
    Liaison.objects.filter(pk=l5.pk).update(status=Liaison.Status.LAPSED, lapsed_at=local(2026, 5, 1, 0, 25))
    after = _month(figures.programme_figures(jurisdiction, now=NOW), 2026, 4)
    assert (after.active, after.lapsed) == (before.active, before.lapsed) == (2, 2)
