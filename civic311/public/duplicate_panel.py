"""The report form's "Already reported?" panel: open requests like the one a resident is writing, from
`text_intelligence.duplicates`, told the way the public may see them (the service, how far, how long ago,
the status, the tracking number and its public page; never what anyone wrote, never a private request).

The resident may follow one instead (the notifications app's public follow: an e-mail to confirm) or report
anyway. Nothing is filed, merged or blocked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from civic311 import rate_limits
from civic311.catalogue.models import Service
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction
from civic311.text_intelligence import duplicates

# The submit button's value that asks for the panel without JavaScript (the form comes back, nothing filed).
CHECK_DUPLICATES = "check_duplicates"
# Each check reads the open requests around one point; a resident writing a report makes a few dozen.
CHECKS_PER_HOUR = 600
SHOWN = 3
# The words compared: a report's start says what it is about.
TEXT_MAX_CHARS = 1000
ADDRESS_MAX_CHARS = 300


@dataclass(frozen=True)
class PublicDuplicate:
    """What a resident is shown of an open request: nothing anyone wrote, no address, no person."""

    tracking_number: str
    service_name: str
    status: str
    sentence: str  # "Someone reported this 40 m away, 2 days ago."
    track_url: str
    follow_url: str


def _rate() -> rate_limits.Rate:
    return rate_limits.Rate("duplicate_check", CHECKS_PER_HOUR, 3600)


def panel(
    request: HttpRequest, jurisdiction: Jurisdiction, service: Service, values: Mapping[str, Any]
) -> dict[str, Any]:
    """The panel's context from the form's values (`lat`, `long`, `address`, `description`): checked, the
    duplicates shown, and whether the place was missing or the client checked too often."""
    lat = places.parse_coordinate(values.get("lat"), -90, 90)
    long = places.parse_coordinate(values.get("long"), -180, 180)
    if lat is None or long is None or not jurisdiction.contains(lat, long):
        lat = long = None
    address = " ".join(str(values.get("address") or "").split())[:ADDRESS_MAX_CHARS]
    context: dict[str, Any] = {"duplicates_checked": True, "duplicates": [], "duplicates_place_missing": False}
    if lat is None and not address:
        context["duplicates_place_missing"] = True
        return context
    if not rate_limits.hit(_rate(), rate_limits.client_address(request)).allowed:
        context["duplicates_refused"] = True
        return context
    found = duplicates.possible_duplicates(
        jurisdiction,
        service=service,
        text=str(values.get("description") or "")[:TEXT_MAX_CHARS],
        lat=lat,
        long=long,
        address=address,
        user=None,  # the public's view: never a private request
        limit=SHOWN,
    )
    context["duplicates"] = [_public(duplicate) for duplicate in found]
    return context


def _public(duplicate: duplicates.PossibleDuplicate) -> PublicDuplicate:
    service_request = duplicate.service_request
    number = service_request.tracking_number
    return PublicDuplicate(
        tracking_number=number,
        service_name=service_request.service.localized("name"),
        status=service_request.get_status_display(),
        sentence=duplicates.public_sentence(duplicate),
        track_url=reverse("public:track_request", args=[number]),
        follow_url=reverse("notifications:subscribe", args=[number]),
    )
