"""Reads of what a neighborhood liaison filed: their history, and a neighbor's contact details on the
requests they filed themselves (least privilege: nobody else's)."""

from __future__ import annotations

from django.db.models import QuerySet

from civic311.people import roles
from civic311.people.models import Requester, User

from ..models import CommunityMeeting, LiaisonFiling


def filings_of(user: User) -> QuerySet[LiaisonFiling]:
    """What this liaison filed, newest first, with what a history page shows in one query."""
    return (
        LiaisonFiling.objects.filter(liaison__user_id=user.pk)
        .select_related(
            "liaison",
            "meeting",
            "service_request__service",
            "service_request__requester",
            "service_request__neighborhood",
        )
        .order_by("-filed_at", "-pk")
    )


def neighbour_contact(user: User, filing: LiaisonFiling) -> Requester | None:
    """The neighbor's contact details of a filing, for the liaison who filed it only (None otherwise, and
    when none were given)."""
    if not roles.may_see_liaison_filing_contact(user, filing.liaison.user_id):
        return None
    requester = filing.service_request.requester
    return None if requester is None or requester.is_empty else requester


def meeting_filed_by(user: User, meeting_id: int) -> tuple[CommunityMeeting, list[LiaisonFiling]] | None:
    """A meeting whose notes this liaison filed, with its filings in the order filed; None otherwise."""
    filings = list(filings_of(user).filter(meeting_id=meeting_id).order_by("service_request_id"))
    if not filings or filings[0].meeting is None:
        return None
    return filings[0].meeting, filings


def filing_by_tracking_number(user: User, tracking_number: str) -> LiaisonFiling | None:
    """This liaison's filing of the request with this tracking number (None for anyone else's)."""
    return filings_of(user).filter(service_request__tracking_number=tracking_number[:32]).first()
