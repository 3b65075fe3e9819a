"""GET endpoints: discovery, services, a service definition, requests and one request.

The parameters and their rules are documented for client developers in docs/open311.md.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.db_routing import reads_from_replica
from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.selectors import default_jurisdiction, parse_coordinate

from . import selectors, serializers
from .endpoints import MAX_ID_LIST_CHARS, Call, Open311Error, endpoint, resolve_jurisdiction

# The widest requested_datetime window one call may ask for, and the default window.
MAX_WINDOW = dt.timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000_000
MAX_RADIUS_M = 100_000
OPEN311_STATUSES = ("open", "closed")
PAGINATION_HEADERS = ("X-Total-Count", "X-Page", "X-Page-Size", "X-Total-Pages", "Link")
MAX_LINK_HEADER_CHARS = 16_000


def base_url(call: Call) -> str:
    """The absolute base of the API on the host the client called, e.g. https://311.phila.gov/open311/v2.

    Without a trailing slash, as in the specification's own example: clients append `/services.xml`
    (and a doubled slash from the older form still resolves, see `endpoints.not_found`).
    """
    path = reverse("open311:discovery", kwargs={"fmt": "xml"}).removesuffix("/discovery.xml")
    return call.request.build_absolute_uri(path)


@endpoint(needs_jurisdiction=False)
def discovery(call: Call) -> HttpResponse:
    """Discovery describes the server, so it answers without jurisdiction_id even when there are several."""
    try:
        jurisdiction: Jurisdiction | None = resolve_jurisdiction(call.request)
    except Open311Error as error:
        if error.status == 404 and call.param("jurisdiction_id"):
            raise
        jurisdiction = default_jurisdiction()
    url = base_url(call)
    contacts = (
        [value for value in (jurisdiction.contact_email, jurisdiction.contact_phone) if value] if jurisdiction else []
    )
    name = jurisdiction.name if jurisdiction else "civic311"
    contact = (
        _("%(name)s 311: %(contacts)s") % {"name": name, "contacts": ", ".join(contacts)}
        if contacts
        else _("%(name)s 311") % {"name": name}
    )
    key_service = _("Ask %(name)s 311 for an API key: %(contact)s") % {
        "name": name,
        "contact": jurisdiction.contact_email if jurisdiction and jurisdiction.contact_email else url,
    }
    zone = jurisdiction.zone if jurisdiction else timezone.get_default_timezone()
    now = timezone.now()
    # The contract wants a time in the past; a clock set back must not make it a future one.
    changeset = min(selectors.catalogue_changeset() or now, now)
    return call.render(
        "discovery",
        serializers.discovery(
            changeset=changeset,
            contact=contact,
            key_service=key_service,
            base_url=url,
            test_url=settings.CIVIC311_OPEN311_TEST_URL.rstrip("/") or url,
            zone=zone,
        ),
    )


@endpoint()
@reads_from_replica
def services(call: Call) -> HttpResponse:
    lat, long = _point(call)
    if lat is not None and long is not None and not call.jurisdiction.contains(lat, long):
        raise Open311Error(
            400,
            _("The point %(lat)s, %(long)s is outside %(city)s; no services are offered there.")
            % {"lat": f"{lat:g}", "long": f"{long:g}", "city": call.jurisdiction.name},
        )
    offered = selectors.services_at(call.jurisdiction, lat, long)
    return call.render("services", [serializers.service(item) for item in offered])


@endpoint()
@reads_from_replica
def service_definition(call: Call, code: str) -> HttpResponse:
    found = selectors.service_definition(call.jurisdiction, code)
    if found is None:
        raise Open311Error(404, _("There is no service with the code “%(code)s”.") % {"code": code[:60]})
    return call.render("service_definition", serializers.service_definition(found))


@reads_from_replica
def list_requests(call: Call) -> HttpResponse:
    """GET requests.{fmt}; called by `submissions.requests_collection`, which also takes the POST."""
    wanted = request_filter(call)
    size = call.int_param("page_size", default=MAX_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
    number = call.int_param("page", default=1, low=1, high=MAX_PAGE)
    extensions = call.bool_param("extensions")
    cursor = call.param("cursor")
    try:
        page = selectors.page_of_requests(
            call.jurisdiction, wanted, page=number, size=size, extensions=extensions, cursor=cursor
        )
    except (ValueError, OverflowError):
        raise Open311Error(
            400,
            _(
                "cursor is not one this server gave; follow the Link header's next URL, "
                "or page with page and page_size."
            ),
        ) from None
    absolute = call.request.build_absolute_uri
    if page.plain is not None:  # no extensions: the page was read as tuples
        items = serializers.plain_requests(page.plain, absolute=absolute, zone=call.jurisdiction.zone)
    else:
        items = [serializers.service_request(item, absolute=absolute, extensions=True) for item in page.requests]
    response = call.render("service_requests", items)
    _pagination_headers(call, response, page)
    return response


@endpoint()
@reads_from_replica
def request_detail(call: Call, request_id: str) -> HttpResponse:
    extensions = call.bool_param("extensions")
    found = selectors.request_by_tracking_number(call.jurisdiction, request_id, extensions=extensions)
    if found is None:
        raise Open311Error(404, _("There is no service request “%(id)s”.") % {"id": request_id[:40]})
    return call.render(
        "service_requests",
        [serializers.service_request(found, absolute=call.request.build_absolute_uri, extensions=extensions)],
    )


# --- parameters ---------------------------------------------------------------------------------


def request_filter(call: Call) -> selectors.RequestFilter:
    """The filters of GET requests, checked; a 400 naming the parameter for anything malformed."""
    numbers = call.param_list("service_request_id", max_chars=MAX_ID_LIST_CHARS)
    if numbers:
        # The ids override every other filter (the specification says so); they are still checked for length.
        if len(numbers) > selectors.MAX_REQUEST_IDS:
            raise Open311Error(
                400,
                _("Ask for at most %(max)d service_request_id values at once.") % {"max": selectors.MAX_REQUEST_IDS},
            )
        return selectors.RequestFilter(tracking_numbers=numbers)

    wanted = selectors.RequestFilter(service_codes=call.param_list("service_code"))
    statuses = {status.lower() for status in call.param_list("status")}
    unknown = sorted(statuses - set(OPEN311_STATUSES))
    if unknown:
        raise Open311Error(
            400,
            _("status must be open or closed (or both, comma separated), not “%(status)s”.")
            % {"status": unknown[0][:40]},
        )
    wanted.statuses = statuses

    start = call.datetime_param("start_date")
    end = call.datetime_param("end_date", end=True)
    wanted.updated_from = call.datetime_param("updated_after")
    wanted.updated_before = call.datetime_param("updated_before", end=True)
    harvesting = wanted.updated_from is not None or wanted.updated_before is not None
    if start is not None and end is not None:
        if end <= start:
            raise Open311Error(400, _("end_date must be after start_date."))
        # Measured on the wall clock, so a 90-day window across a daylight-saving change is still 90 days.
        zone = call.jurisdiction.zone
        width = end.astimezone(zone).replace(tzinfo=None) - start.astimezone(zone).replace(tzinfo=None)
        if width > MAX_WINDOW:
            raise Open311Error(
                400,
                _("start_date and end_date may be at most 90 days apart; ask for a longer period in several calls."),
            )
    try:
        if start is None and end is None:
            if not harvesting:
                start = timezone.now() - MAX_WINDOW
        elif start is not None and end is None:
            end = start + MAX_WINDOW
        elif start is None and end is not None:
            start = end - MAX_WINDOW
    except OverflowError:
        raise Open311Error(400, _("start_date and end_date must lie between the years 1 and 9999.")) from None
    if (
        wanted.updated_from is not None
        and wanted.updated_before is not None
        and wanted.updated_before <= wanted.updated_from
    ):
        raise Open311Error(400, _("updated_before must be after updated_after."))
    wanted.requested_from, wanted.requested_before = start, end
    wanted.box = _box(call)
    wanted.circle = _circle(call)
    return wanted


def _point(call: Call) -> tuple[float | None, float | None]:
    raw_lat, raw_long = call.param("lat"), call.param("long")
    if not raw_lat and not raw_long:
        return None, None
    if not raw_lat or not raw_long:
        raise Open311Error(400, _("Send lat and long together."))
    lat = parse_coordinate(raw_lat, -90, 90)
    long = parse_coordinate(raw_long, -180, 180)
    if lat is None:
        raise Open311Error(400, _("lat must be a number from -90 to 90."))
    if long is None:
        raise Open311Error(400, _("long must be a number from -180 to 180."))
    return lat, long


def _circle(call: Call) -> selectors.Circle | None:
    lat, long = _point(call)
    radius = call.float_param("radius", low=0, high=MAX_RADIUS_M)
    if lat is None or long is None:
        if radius is not None:
            raise Open311Error(400, _("Send lat and long with radius."))
        return None
    if radius is None:
        raise Open311Error(400, _("Send radius (in metres) with lat and long."))
    return selectors.Circle(lat, long, radius)


def _box(call: Call) -> selectors.Box | None:
    raw = call.param("bbox")
    if not raw:
        return None
    parts = [part.strip() for part in raw.split(",")]
    numbers = [parse_coordinate(part, -180, 180) for part in parts] if len(parts) == 4 else []
    if len(numbers) != 4 or any(number is None for number in numbers):
        raise Open311Error(400, _("bbox must be four numbers: minLong,minLat,maxLong,maxLat."))
    min_long, min_lat, max_long, max_lat = (float(number) for number in numbers)  # type: ignore[arg-type]
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise Open311Error(400, _("bbox latitudes must lie between -90 and 90."))
    if min_long > max_long or min_lat > max_lat:
        raise Open311Error(400, _("bbox must be minLong,minLat,maxLong,maxLat, each minimum at most its maximum."))
    return selectors.Box(min_long, min_lat, max_long, max_lat)


def _pagination_headers(call: Call, response: HttpResponse, page: selectors.Page) -> None:
    response["X-Total-Count"] = str(page.total)
    response["X-Page"] = str(page.number)
    response["X-Page-Size"] = str(page.size)
    response["X-Total-Pages"] = str(page.pages)
    links = []

    def link(number: int, rel: str, cursor: str = "") -> None:
        query = call.request.GET.copy()
        query["page"] = str(number)
        query["page_size"] = str(page.size)
        query.pop("cursor", None)
        if cursor:
            query["cursor"] = cursor  # the next page from the index, however deep (page stays for the headers)
        links.append(f'<{call.request.build_absolute_uri(call.request.path)}?{query.urlencode()}>; rel="{rel}"')

    if page.number < page.pages:
        link(page.number + 1, "next", page.next_cursor)
    if page.number > 1:
        link(min(page.number - 1, max(page.pages, 1)), "prev")
    link(1, "first")
    link(max(page.pages, 1), "last")
    header = ", ".join(links)
    # Each link repeats the query: 1,000 ids would make a header line HTTP clients refuse (Python's
    # http.client stops at 64 KiB). A long query keeps only its next link (the one a cursor needs) if that
    # fits, else none: such a call is paged with page and page_size and the X- headers.
    if len(header) > MAX_LINK_HEADER_CHARS:
        header = next((one for one in links if one.endswith('rel="next"')), "")
    if header and len(header) <= MAX_LINK_HEADER_CHARS:
        response["Link"] = header
    # Browser clients may read these across origins.
    response["Access-Control-Expose-Headers"] = ", ".join(PAGINATION_HEADERS)
