"""A neighborhood's public account: the index of the city's neighborhoods, a neighborhood's page (figures
compared with the city, its requests as a list and on a map, its liaisons), the same as JSON for other
sites (`Access-Control-Allow-Origin: *`), its map points, and an Atom feed of its new and closed requests.

The figures come from the rollups (`selectors.neighborhoods.figures`), never from counting the requests.
Every page works without JavaScript; the map is an addition that reads `map.json`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civic311.community.selectors import neighborhoods as selectors
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.languages import translated
from civic311.service_requests.lifecycle import FINAL_STATES
from civic311.service_requests.models import ServiceRequest

PUBLIC_MAX_AGE = 60  # seconds a browser or a proxy may keep the JSON, the map points and the feed


def _place(request: HttpRequest, slug: str) -> tuple[Jurisdiction, Neighborhood]:
    jurisdiction = site_jurisdiction(request)
    place = selectors.neighborhood(jurisdiction, slug)
    if place is None:
        raise Http404(_("There is no neighborhood with that name."))
    return jurisdiction, place


def _localized_name(translations: Any, name: str) -> str:
    return translated(translations, "name") or name


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    query = request.GET.get("q", "")
    found = list(selectors.neighborhoods(jurisdiction, query))
    return render(
        request,
        "community/neighborhoods/index.html",
        {"neighborhoods": found, "query": " ".join(query.split())[: selectors.SEARCH_MAX_CHARS]},
    )


@require_GET
def neighborhood(request: HttpRequest, slug: str) -> HttpResponse:
    jurisdiction, place = _place(request, slug)
    figures = selectors.figures(jurisdiction, place, timezone.now())
    page = selectors.request_page(place, request.GET.get("page", "1"), request.GET.get("state", ""))
    return render(
        request,
        "community/neighborhoods/detail.html",
        {
            "place": place,
            "figures": figures,
            "page": page,
            "liaisons": selectors.liaisons(place),
            "map_points_max": selectors.MAP_POINTS,
        },
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _backlog_json(backlog: selectors.Backlog, figures: selectors.Figures) -> dict[str, Any]:
    return {
        "open": backlog.open_requests,
        "overdue": backlog.overdue,
        "by_age": [
            {"from_days": low, "to_days": high, "count": count}
            for (low, high), count in zip(figures.age_labels, backlog.by_age, strict=True)
        ],
        "oldest_requested_at": _iso(backlog.oldest_requested_at),
    }


def _request_json(request: HttpRequest, service_request: ServiceRequest) -> dict[str, Any]:
    return {
        "tracking_number": service_request.tracking_number,
        "service_code": service_request.service.code,
        "service_name": service_request.service.localized("name"),
        "status": service_request.status,
        "open": service_request.is_open,
        "requested_at": _iso(service_request.requested_at),
        "closed_at": _iso(service_request.closed_at) if not service_request.is_open else None,
        "address": service_request.address,
        "lat": service_request.lat,
        "long": service_request.long,
        "url": request.build_absolute_uri(reverse("public:track_request", args=[service_request.tracking_number])),
    }


def _public_json(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


@require_GET
def figures_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The figures and the latest requests as JSON (documented in docs/neighborhood-accounts.md)."""
    jurisdiction, place = _place(request, slug)
    figures = selectors.figures(jurisdiction, place, timezone.now())

    def compared(mine: Any, city: Any) -> dict[str, Any]:
        return {"neighborhood": mine, "city": city}

    return _public_json(
        {
            "neighborhood": {"slug": place.slug, "name": place.name},
            "city": {"slug": jurisdiction.slug, "name": jurisdiction.name, "time_zone": jurisdiction.time_zone},
            "figures_as_of": _iso(figures.as_of),
            "month": figures.month.strftime("%Y-%m"),
            "year": figures.month.year,
            "figures": {
                "requests_this_month": compared(figures.this_month, figures.city_this_month),
                "requests_this_year": compared(figures.this_year, figures.city_this_year),
                "open_backlog": compared(
                    _backlog_json(figures.backlog, figures), _backlog_json(figures.city_backlog, figures)
                ),
                "on_time_rate": compared(figures.on_time_rate, figures.city_on_time_rate),
                "median_days_to_close": compared(figures.median_days_to_close, figures.city_median_days_to_close),
                "top_services_this_year": [
                    {
                        "service_code": item.service.code,
                        "service_name": item.service.localized("name"),
                        "neighborhood": item.filed,
                        "city": item.city_filed,
                    }
                    for item in figures.services
                ],
            },
            "recent_requests": [_request_json(request, found) for found in selectors.recent_requests(place)],
            "links": {
                "page": request.build_absolute_uri(reverse("neighborhoods:detail", args=[place.slug])),
                "feed": request.build_absolute_uri(reverse("neighborhoods:feed", args=[place.slug])),
            },
        }
    )


@require_GET
def map_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The neighborhood's outline and its latest public requests with a point, as GeoJSON, for the map."""
    _, place = _place(request, slug)
    boundary = selectors.boundary(place)
    features: list[dict[str, Any]] = []
    if boundary:
        features.append(
            {"type": "Feature", "properties": {"kind": "boundary", "name": place.name}, "geometry": boundary}
        )
    for point in selectors.map_points(place):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": "request",
                    "number": point["tracking_number"],
                    "service": _localized_name(point["service__translations"], point["service__name"]),
                    "open": point["status"] not in FINAL_STATES,
                    "url": reverse("public:track_request", args=[point["tracking_number"]]),
                },
                "geometry": {"type": "Point", "coordinates": [point["long"], point["lat"]]},
            }
        )
    return _public_json({"type": "FeatureCollection", "features": features})


class NeighborhoodFeed(Feed[ServiceRequest, Neighborhood]):
    """The neighborhood's new and closed public requests, latest first (Atom)."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str) -> Neighborhood:
        return _place(request, slug)[1]

    def title(self, obj: Neighborhood) -> str:
        return _("%(neighborhood)s: new and closed requests") % {"neighborhood": obj.name}

    def link(self, obj: Neighborhood) -> str:
        return reverse("neighborhoods:detail", args=[obj.slug])

    def subtitle(self, obj: Neighborhood) -> str:
        return _("The requests filed and closed in %(neighborhood)s, newest first.") % {"neighborhood": obj.name}

    def items(self, obj: Neighborhood) -> list[ServiceRequest]:
        return selectors.feed_requests(obj)

    def _closed(self, item: ServiceRequest) -> bool:
        return not item.is_open and item.closed_at is not None

    def item_title(self, item: ServiceRequest) -> str:
        values = {"service": item.service.localized("name"), "number": item.tracking_number}
        if self._closed(item):
            return _("Closed: %(service)s, request %(number)s") % values
        return _("New: %(service)s, request %(number)s") % values

    def item_description(self, item: ServiceRequest) -> str:
        if self._closed(item):
            return _("Closed. Status: %(status)s.") % {"status": item.get_status_display()}
        return _("Filed. Status: %(status)s.") % {"status": item.get_status_display()}

    def item_link(self, item: ServiceRequest) -> str:
        return reverse("public:track_request", args=[item.tracking_number])

    def item_pubdate(self, item: ServiceRequest) -> dt.datetime:
        return item.requested_at

    def item_updateddate(self, item: ServiceRequest) -> dt.datetime:
        return item.closed_at if self._closed(item) and item.closed_at else item.requested_at

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response


feed = require_GET(NeighborhoodFeed())
