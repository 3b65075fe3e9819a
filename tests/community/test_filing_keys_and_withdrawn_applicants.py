"""Edge cases of filing and applying: a double submit that races, a filing key of another liaison, the address of a
liaison who withdrew."""

from __future__ import annotations

import pytest

from civic311.community.models import CommunityMeeting, LiaisonFiling
from civic311.community.services import liaison_filing
from civic311.service_requests.models import ServiceRequest
from tests.community.helpers import make_liaison
from tests.community.test_liaison_filing import (  # noqa: F401
    _in_march,
    a_meeting,
    an_item,
    catalogue,
    counts,
    kensington,
    liaison,
)

pytestmark = pytest.mark.django_db


# --- a meeting filing sent twice at once --------------------------------------------------------------------


def test_a_double_submit_that_races_leaves_no_second_meeting(liaison, catalogue, monkeypatch):  # noqa: F811
    first = liaison_filing.file_meeting(liaison.user, a_meeting(), [an_item(), an_item()], filing_key="k1")
    before = counts()
    # The second send looked for the first before the first had committed (two workers at once).
    monkeypatch.setattr(liaison_filing, "_already_filed", _first_call_finds_nothing(liaison_filing._already_filed))
    again = liaison_filing.file_meeting(liaison.user, a_meeting(), [an_item(), an_item()], filing_key="k1")

    assert again.created is False
    assert again.meeting == first.meeting
    assert [r.pk for r in again.service_requests] == [r.pk for r in first.service_requests]
    assert counts() == before  # no second, empty meeting; nothing else written either
    assert CommunityMeeting.objects.count() == 1


def _first_call_finds_nothing(found):
    calls = []

    def once(*args, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else found(*args, **kwargs)

    return once


def test_another_liaisons_filing_key_neither_finds_nor_blocks_a_filing(liaison, catalogue, center_city):  # noqa: F811
    other = make_liaison([center_city], email="kim@example.org", username="kim")
    mine = liaison_filing.file_meeting(liaison.user, a_meeting(), [an_item()], filing_key="same")
    theirs = liaison_filing.file_meeting(
        other.user, a_meeting(neighborhood="center-city"), [an_item(), an_item()], filing_key="same"
    )
    assert theirs.created is True
    assert theirs.meeting != mine.meeting
    assert LiaisonFiling.objects.filter(liaison=other, meeting=theirs.meeting).count() == 2
    assert ServiceRequest.objects.count() == 3


# --- a withdrawn liaison applying again ----------------------------------------------------------------------


def test_a_withdrawn_liaisons_address_is_refused_at_once_not_left_pending(jurisdiction, center_city):
    from django.core.exceptions import ValidationError

    from civic311.community.models import LiaisonApplication
    from civic311.community.services import applications, training
    from tests.community.helpers import application_data, community_staff

    staff = community_staff()
    leaving = applications.accept(applications.apply(jurisdiction, application_data([center_city])), staff)
    training.withdraw(leaving, staff)
    # Accepting a second application of this address could never work (the account keeps its one Liaison
    # record): the form says so instead of leaving an application nobody can accept.
    with pytest.raises(ValidationError) as refused:
        applications.apply(jurisdiction, application_data([center_city]))
    assert "left the program" in refused.value.message_dict["email"][0]
    assert LiaisonApplication.objects.filter(status=LiaisonApplication.Status.PENDING).count() == 0
    # Another address works, and is accepted as a new liaison.
    again = applications.apply(jurisdiction, application_data([center_city], email="ana.new@example.org"))
    assert applications.accept(again, staff).status == "accepted"
