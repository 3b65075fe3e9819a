"""The digest's "overdue" is of the requests it calls "open now": one that fell due after the
week ended but before the e-mail was made is overdue in it."""

from __future__ import annotations

import datetime as dt

from civic311.community.services import digests
from tests.community.test_digest import SEND_AT, WEEK_END, WEEK_START, _digests, _request, liaison, places  # noqa: F401


def test_overdue_is_as_of_the_moment_the_digest_is_made(liaison, places, service):  # noqa: F811
    fishtown = places[0]
    # Open; due on the Monday at 03:00 city time: after the week ended, before the digest went out.
    _request(
        service,
        fishtown,
        requested_at=WEEK_START - dt.timedelta(days=3),
        expected_at=WEEK_END + dt.timedelta(hours=3),
    )
    # Open, due the next day: not overdue yet.
    _request(service, fishtown, requested_at=WEEK_START, expected_at=SEND_AT + dt.timedelta(days=1))
    assert digests.send_due_digests(now=SEND_AT) == 1
    body = _digests().get().body
    assert "- 2 open now" in body and "- 1 overdue" in body
