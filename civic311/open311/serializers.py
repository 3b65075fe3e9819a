"""Models as the plain values `formats.render` turns into XML or JSON, field by field in the contract's order.

Every field is always present: text is "" when empty, other absent values None (null in JSON, an empty
element in XML). Names and descriptions are in the active language (Accept-Language). Nothing about the
requester, no internal note, no private photo and no private request ever passes through here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.utils.translation import gettext as _

from civic311.catalogue.models import Department, Service, ServiceAttribute
from civic311.service_requests.lifecycle import FINAL_STATES, Status, open311_status
from civic311.service_requests.models import HistoryEntry, Photo, ServiceRequest

from . import formats
from .selectors import PlainRequests

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

# Makes a site-relative URL (a stored photo's) absolute: `request.build_absolute_uri`.
AbsoluteUrl = Callable[[str], str]
# Where the photos are stored: `photo.image.url` is this storage's url() of the stored name.
PHOTO_STORAGE = Photo._meta.get_field("image").storage


def discovery(
    *, changeset: dt.datetime | None, contact: str, key_service: str, base_url: str, test_url: str, zone: Any
) -> dict:
    stamp = formats.timestamp(changeset, zone)
    mime_types = list(formats.MIME_TYPES.values())
    return {
        "changeset": stamp,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {"specification": SPECIFICATION, "url": url, "changeset": stamp, "type": kind, "formats": mime_types}
            for kind, url in (("production", base_url), ("test", test_url))
        ],
    }


def service(item: Service) -> dict:
    return {
        "service_code": item.code,
        "service_name": item.localized("name"),
        "description": item.localized("description"),
        "metadata": bool(getattr(item, "has_attributes", False)),
        "type": item.open311_type,
        "keywords": ",".join(item.keyword_list()),
        "group": item.group.localized("name"),
    }


def service_definition(item: Service) -> dict:
    return {
        "service_code": item.code,
        "attributes": [attribute(question, position) for position, question in enumerate(item.attributes.all(), 1)],
    }


def attribute(question: ServiceAttribute, position: int) -> dict:
    """`order` is the question's position, from 1: unique, as clients sort by it."""
    listed = question.datatype in ServiceAttribute.LIST_DATATYPES
    return {
        "variable": question.variable,
        "code": question.code,
        "datatype": question.datatype,
        "required": question.required,
        "datatype_description": question.localized("datatype_description"),
        "order": position,
        "description": question.localized("description"),
        "values": [{"key": choice.key, "name": choice.localized("name")} for choice in question.values.all()]
        if listed
        else [],
    }


def photo_urls(item: ServiceRequest, absolute: AbsoluteUrl) -> list[str]:
    """The public photos' URLs: the client's own `media_url` link first, then the stored photos."""
    if item.is_private:
        return []
    stored = getattr(item, "public_photos", None)
    if stored is None:
        stored = list(item.photos.filter(is_public=True).order_by("created_at", "pk"))
    return public_photo_urls(item.media_url, [photo.image.name for photo in stored], absolute)


def public_photo_urls(media_url: str, stored: Iterable[str], absolute: AbsoluteUrl) -> list[str]:
    """`media_url` (the client's own link) first, then the stored public photos (their names in the storage,
    oldest first) as absolute URLs: what `photo.image.url` gives, without a model object."""
    urls = [absolute(PHOTO_STORAGE.url(name)) for name in stored if name]
    return [media_url, *urls] if media_url else urls


def about_service(service: Service, department: Department) -> tuple[str, str, str, str]:
    """service_name, service_code, agency_responsible and service_notice: the same for every request of a
    service and department, so a page works them out once per pair."""
    return (
        service.localized("name"),
        service.code,
        department.localized("name"),
        service.localized("service_notice"),
    )


class PlainFields(Protocol):
    """What the plain output reads of a request: a model object or a page's tuple (`selectors.PlainRow`)."""

    @property
    def tracking_number(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def status_notes(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def requested_at(self) -> dt.datetime: ...

    @property
    def updated_at(self) -> dt.datetime: ...

    @property
    def expected_at(self) -> dt.datetime | None: ...

    @property
    def address(self) -> str: ...

    @property
    def zipcode(self) -> str: ...

    @property
    def lat(self) -> float | None: ...

    @property
    def long(self) -> float | None: ...


def plain_request(
    item: PlainFields, *, about: tuple[str, str, str, str], photos: list[str], zone: Any
) -> dict[str, Any]:
    """The contract's fields of one request, in its order: the one definition of the plain output, shared
    by `service_request` (model objects) and `plain_requests` (a page's tuples).

    Open311 shows the request's own status as open or closed; `about` is `about_service`'s, `photos`
    `public_photo_urls`'."""
    service_name, service_code, agency_responsible, service_notice = about
    return {
        "service_request_id": item.tracking_number,
        "status": open311_status(item.status),
        "status_notes": item.status_notes,
        "service_name": service_name,
        "service_code": service_code,
        "description": item.description,
        "agency_responsible": agency_responsible,
        "service_notice": service_notice,
        "requested_datetime": formats.timestamp(item.requested_at, zone),
        "updated_datetime": formats.timestamp(item.updated_at, zone),
        "expected_datetime": formats.timestamp(item.expected_at, zone),
        "address": item.address,
        "address_id": "",
        "zipcode": item.zipcode,
        "lat": item.lat,
        "long": item.long,
        # A URI or null (the published JSON Schema's type), like lat and long; an empty element in XML.
        "media_url": photos[0] if photos else None,
    }


def plain_requests(page: PlainRequests, *, absolute: AbsoluteUrl, zone: Any) -> list[dict[str, Any]]:
    """A page read as tuples (`selectors.fetch_plain`) in the plain output: the same dicts
    `service_request(..., extensions=False)` makes from model objects, byte for byte once rendered."""
    abouts: dict[tuple[int, int], tuple[str, str, str, str]] = {}
    no_photos: list[str] = []
    items = []
    for row in page.rows:
        if row.is_private:  # belt and braces: the selectors never return one
            raise ValueError("a private request cannot be published")
        pair = (row.service_id, row.department_id)
        about = abouts.get(pair)
        if about is None:
            about = abouts[pair] = about_service(page.services[row.service_id], page.departments[row.department_id])
        photos = public_photo_urls(row.media_url, page.photos.get(row.pk, no_photos), absolute)
        items.append(plain_request(row, about=about, photos=photos, zone=zone))
    return items


def service_request(item: ServiceRequest, *, absolute: AbsoluteUrl, extensions: bool = False) -> dict:
    """One request for the public, as fetched by `selectors.fetch_for_output` (photos, history, children)."""
    if item.is_private:  # belt and braces: the selectors never return one
        raise ValueError("a private request cannot be published")
    zone = item.jurisdiction.zone
    photos = photo_urls(item, absolute)
    data = plain_request(item, about=about_service(item.service, item.department), photos=photos, zone=zone)
    if extensions:
        data["extended_attributes"] = {
            "channel": item.channel,
            "detailed_status": item.status,
            "parent_service_request_id": _public_number(item.parent),
            "duplicate_of": _public_number(item.duplicate_of),
            "neighborhood": item.neighborhood.name if item.neighborhood else "",
            "photos": photos,
        }
        data["attributes"] = answers(item)
        data["notes"] = notes(item, zone)
    return data


def _public_number(other: ServiceRequest | None) -> str:
    # A private request's number would tell the world it exists; it is left out.
    return other.tracking_number if other is not None and not other.is_private else ""


def answers(item: ServiceRequest) -> list[dict]:
    """The resident's answers, in the questions' order: `value` is what was posted (a choice's key);
    a multi-value answer gives one entry per chosen value."""
    given = item.attributes if isinstance(item.attributes, dict) else {}
    questions = getattr(item.service, "ordered_attributes", None)
    if questions is None:
        questions = list(item.service.attributes.order_by("order", "pk"))
    rows = []
    for question in questions:
        if question.code not in given:
            continue
        raw = given[question.code]
        for value in raw if isinstance(raw, list) else [raw]:
            rows.append({"code": question.code, "name": question.localized("description"), "value": str(value)})
    return rows


def _status_label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status


def note_of(entry: HistoryEntry) -> tuple[str, str]:
    """(Open311 note type, summary) for a public history entry."""
    kind = entry.kind
    if kind == HistoryEntry.Kind.OPENED:
        return "opened", _("Request opened")
    if kind == HistoryEntry.Kind.STATUS:
        label = _status_label(entry.to_status)
        if entry.to_status in FINAL_STATES:
            return "closed", label
        if entry.to_status == Status.REOPENED:
            return "reopened", _("Reopened")
        return "activity", _("Status changed to %(status)s") % {"status": label}
    if kind == HistoryEntry.Kind.TRANSFERRED:
        return "transferred", _("Transferred")
    if kind == HistoryEntry.Kind.PHOTO:
        return "activity", _("Photo added")
    return "activity", _("Note")


def notes(item: ServiceRequest, zone: Any) -> list[dict]:
    """The public history as Open311 notes, with a `follow_on_created` note for each public child request."""
    history: Iterable[HistoryEntry] = getattr(item, "public_history", None) or []
    if not hasattr(item, "public_history"):
        history = item.history.filter(is_public=True).order_by("created_at", "pk")
    rows: list[tuple[dt.datetime, int, dict]] = []
    for entry in history:
        kind, summary = note_of(entry)
        rows.append(
            (
                entry.created_at,
                0,
                {
                    "datetime": formats.timestamp(entry.created_at, zone),
                    "type": kind,
                    "summary": summary,
                    "description": entry.text,
                },
            )
        )
    children = getattr(item, "follow_ons", None)
    if children is None:
        children = list(item.children.filter(is_private=False).select_related("service"))
    for child in children:
        rows.append(
            (
                child.requested_at,
                1,
                {
                    "datetime": formats.timestamp(child.requested_at, zone),
                    "type": "follow_on_created",
                    "summary": _("Follow-on request %(number)s created") % {"number": child.tracking_number},
                    "description": child.service.localized("name"),
                },
            )
        )
    rows.sort(key=lambda row: (row[0], row[1]))
    return [row[2] for row in rows]
