"""FixMyStreet's servicerequestupdates: GET lists public updates, POST takes a client's update.

The rules (which entries are public updates, how FixMyStreet's statuses map onto the lifecycle) live in
`civic311.open311.services`; docs/open311.md documents both methods for clients.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import reads, selectors
from . import services as open311
from .endpoints import Call, Open311Error, endpoint
from .submissions import authenticated


@endpoint(methods=("GET", "POST"))
def service_request_updates(call: Call) -> HttpResponse:
    if call.request.method == "GET":
        return list_updates(call)
    return post_update(call)


def list_updates(call: Call) -> HttpResponse:
    """Public updates whose time lies in [start_date, end_date), with the same window rules as GET requests."""
    start = call.datetime_param("start_date")
    end = call.datetime_param("end_date", end=True)
    size = call.int_param("page_size", default=reads.MAX_PAGE_SIZE, low=1, high=reads.MAX_PAGE_SIZE)
    number = call.int_param("page", default=1, low=1, high=reads.MAX_PAGE)
    if start is not None and end is not None:
        if end <= start:
            raise Open311Error(400, _("end_date must be after start_date."))
        zone = call.jurisdiction.zone
        width = end.astimezone(zone).replace(tzinfo=None) - start.astimezone(zone).replace(tzinfo=None)
        if width > reads.MAX_WINDOW:
            raise Open311Error(
                400,
                _("start_date and end_date may be at most 90 days apart; ask for a longer period in several calls."),
            )
    try:
        if start is None and end is None:
            start = timezone.now() - reads.MAX_WINDOW
        elif start is not None and end is None:
            end = start + reads.MAX_WINDOW
        elif start is None and end is not None:
            start = end - reads.MAX_WINDOW
    except OverflowError:
        raise Open311Error(400, _("start_date and end_date must lie between the years 1 and 9999.")) from None

    entries = open311.public_updates(call.jurisdiction).filter(created_at__gte=start)
    if end is not None:
        entries = entries.filter(created_at__lt=end)
    total = entries.count()
    first = (number - 1) * size
    rows = list(entries[first : first + size]) if first < total else []
    zone = call.jurisdiction.zone
    response = call.render("service_request_updates", [open311.update_item(entry, zone) for entry in rows])
    reads._pagination_headers(call, response, selectors.Page([], total, number, size))
    return response


def post_update(call: Call) -> HttpResponse:
    api_key = authenticated(call)
    if isinstance(api_key, HttpResponse):
        return api_key
    updated = call.datetime_param("updated_datetime")
    # Checked for the client's sake, and otherwise kept only by the client: the update is recorded at the
    # time it arrives, so that harvesters filtering on updated_datetime never miss a back-dated one.
    call.param("email")
    call.param("first_name")
    call.param("last_name")
    update = open311.IncomingUpdate(
        service_request_id=call.param("service_request_id"),
        update_id=call.param("update_id"),
        status=call.param("status"),
        description=call.param("description"),
        media_url=call.param("media_url"),
        updated_datetime=updated,
    )
    entry = open311.post_update(call.jurisdiction, api_key, update)
    return call.render("service_request_updates", [open311.update_item(entry, call.jurisdiction.zone)])
