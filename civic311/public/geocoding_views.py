"""The report form's address helpers (`jurisdictions.geocoding`), as JSON for its script
(public/address_lookup.js): the city's addresses that begin with what the resident is typing, and the
address nearest a dropped pin. Only the city's addresses and points are answered, never anything about a
request or a person; without JavaScript the form's plain address field works as before.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civic311 import rate_limits
from civic311.jurisdictions import geocoding
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.middleware import site_jurisdiction

# A resident typing an address asks once a keystroke pause: a few dozen per report.
LOOKUPS_PER_HOUR = 600
SUGGESTIONS = 8
QUERY_MAX_CHARS = 120


def _refused(request: HttpRequest) -> JsonResponse | None:
    verdict = rate_limits.hit(
        rate_limits.Rate("address_lookup", LOOKUPS_PER_HOUR, 3600), rate_limits.client_address(request)
    )
    if verdict.allowed:
        return None
    response = JsonResponse({"error": _("Too many address lookups from your connection; try again later.")}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    # What was typed is in the address; no shared cache keeps the answer.
    patch_cache_control(response, private=True, max_age=0, no_store=True)
    return response


@require_POST
def address_suggestions(request: HttpRequest) -> HttpResponse:
    """POST `q=1400 n br` → `[{"address": "1400 N Broad St", "lat": …, "long": …}, …]`, best first. A POST, as
    the duplicate check's: what a resident types (perhaps their own address) never sits in a URL, so never in
    an access log or the browser's history."""
    query = " ".join(request.POST.get("q", "").split())[:QUERY_MAX_CHARS]
    if "\x00" in query:
        query = ""
    refused = _refused(request)
    if refused is not None:
        return _private(refused)
    suggested = geocoding.suggest(site_jurisdiction(request), query, limit=SUGGESTIONS) if query else []
    found = [
        {"address": place.address, "lat": round(place.lat, 6), "long": round(place.long, 6)} for place in suggested
    ]
    return _private(JsonResponse(found, safe=False))


@require_POST
def address_at(request: HttpRequest) -> HttpResponse:
    """POST `lat=39.9526&long=-75.1635` → `{"address": "1400 John F Kennedy Blvd"}`, or 404 when no address of
    the city is near; 400 when the point is not a latitude and longitude. A POST too: a pin may be a home."""
    lat = places.parse_coordinate(request.POST.get("lat"), -90, 90)
    long = places.parse_coordinate(request.POST.get("long"), -180, 180)
    if lat is None or long is None:
        return _private(JsonResponse({"error": _("Give a latitude and a longitude.")}, status=400))
    refused = _refused(request)
    if refused is not None:
        return _private(refused)
    place = geocoding.reverse(site_jurisdiction(request), lat, long)
    if place is None:
        return _private(JsonResponse({"error": _("No address of the city is near this point.")}, status=404))
    return _private(JsonResponse({"address": place.address}))
