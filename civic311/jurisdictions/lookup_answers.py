"""The address lookups' HTTP answers, for the report form's endpoints (public) and the agent console's: the
same JSON, refusals and cache rules for both; each caller says who is asking and how often they may."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control

from civic311 import rate_limits

from . import geocoding
from .lookup_texts import NOT_A_POINT, NOTHING_NEAR
from .models import Jurisdiction


def _private(response: HttpResponse) -> HttpResponse:
    # What was typed is an address, perhaps someone's home: no cache keeps the answer.
    patch_cache_control(response, private=True, max_age=0, no_store=True)
    return response


def _refused(rate: rate_limits.Rate, who: str, too_many: str) -> JsonResponse | None:
    verdict = rate_limits.hit(rate, who)
    if verdict.allowed:
        return None
    response = JsonResponse({"error": too_many}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def suggestions(
    request: HttpRequest, jurisdiction: Jurisdiction, *, rate: rate_limits.Rate, who: str, too_many: str
) -> HttpResponse:
    """POST `q=1400 n br` → `[{"address": "1400 N Broad St", "lat": …, "long": …}, …]`, best first."""
    refused = _refused(rate, who, too_many)
    if refused is not None:
        return _private(refused)
    found = geocoding.suggestion_rows(jurisdiction, request.POST.get("q"), limit=geocoding.LOOKUP_SUGGESTIONS)
    return _private(JsonResponse(found, safe=False))


def address_at(
    request: HttpRequest, jurisdiction: Jurisdiction, *, rate: rate_limits.Rate, who: str, too_many: str
) -> HttpResponse:
    """POST `lat=39.9526&long=-75.1635` → `{"address": "1400 John F Kennedy Blvd"}`; 404 when no address of the
    city is near, 400 when the point is not a latitude and longitude."""
    point = geocoding.lookup_point(request.POST.get("lat"), request.POST.get("long"))
    if point is None:
        return _private(JsonResponse({"error": str(NOT_A_POINT)}, status=400))
    refused = _refused(rate, who, too_many)
    if refused is not None:
        return _private(refused)
    found = geocoding.address_row(jurisdiction, *point)
    if found is None:
        return _private(JsonResponse({"error": str(NOTHING_NEAR)}, status=404))
    return _private(JsonResponse(found))
