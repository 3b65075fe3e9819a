"""The public transparency dashboard: the city's volume, what gets fixed and how fast, by month, service
and neighborhood. Public, no personal data, no JavaScript needed; the figures come from the rollups
(`civic311.insights.transparency`), kept in the shared cache, and a browser may keep the page for five minutes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET

from civic311.community.selectors import neighborhoods as places
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.languages import language_key

from . import transparency as selectors

# Seconds a browser may keep the page. Private: the page carries the language switcher's CSRF token, which a
# shared cache must never hand to another visitor; the figures themselves are kept in the server's cache.
BROWSER_MAX_AGE = 300


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    language = language_key()
    service_id = selectors.service_filter(jurisdiction, request.GET.get("service", ""))
    slug = request.GET.get("neighborhood", "").strip()
    neighborhood = places.neighborhood(jurisdiction, slug) if slug else None
    figures = selectors.dashboard(
        jurisdiction, timezone.now(), language, service_id=service_id, neighborhood=neighborhood
    )
    response = render(request, "insights/transparency.html", {"figures": figures})
    patch_cache_control(response, private=True, max_age=BROWSER_MAX_AGE)
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response
