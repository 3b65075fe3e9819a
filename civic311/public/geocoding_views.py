"""The report form's address helpers (`jurisdictions.geocoding`), as JSON for its script
(public/address_lookup.js): the city's addresses that begin with what the resident is typing, and the
address nearest a dropped pin. Only the city's addresses and points are answered, never anything about a
request or a person; without JavaScript the form's plain address field works as before.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civic311 import rate_limits
from civic311.jurisdictions import lookup_answers
from civic311.jurisdictions.middleware import site_jurisdiction

# A resident typing an address asks once a keystroke pause: a few dozen per report.
LOOKUPS = rate_limits.Rate("address_lookup", 600, 3600)


def _asking(request: HttpRequest) -> dict:
    return {
        "rate": LOOKUPS,
        "who": rate_limits.client_address(request),
        "too_many": _("Too many address lookups from your connection; try again later."),
    }


@require_POST
def address_suggestions(request: HttpRequest) -> HttpResponse:
    """The city's addresses that begin with `q`. A POST, as the duplicate check's: what a resident types
    (perhaps their own address) never sits in a URL, so never in an access log or the browser's history."""
    return lookup_answers.suggestions(request, site_jurisdiction(request), **_asking(request))


@require_POST
def address_at(request: HttpRequest) -> HttpResponse:
    """The address nearest `lat`/`long`. A POST too: a pin may be a home."""
    return lookup_answers.address_at(request, site_jurisdiction(request), **_asking(request))
