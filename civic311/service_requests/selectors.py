"""Reads of service requests for the public and for staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from civic311.catalogue import selectors as catalogue
from civic311.catalogue.models import Department
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import Customer
from civic311.people.selectors import survivor_of

from .lifecycle import Status
from .models import Channel, Contact, HistoryEntry, Photo, ServiceRequest


def request_for_tracking(jurisdiction: Jurisdiction, tracking_number: str) -> ServiceRequest | None:
    """The request a tracking number names, as the public may see it (None if there is none)."""
    number = "".join((tracking_number or "").split()).lstrip("#")
    if not number or len(number) > 32 or "\x00" in number:
        return None
    # No ORDER BY (first() and the model's ordering would add one): a tracking number is unique in its city, and
    # building the ordering was a tenth of a first visit to the track page. The city is the caller's, not joined.
    found = list(
        ServiceRequest.objects.filter(jurisdiction=jurisdiction, tracking_number=number)
        .select_related("service", "service__group", "department", "neighborhood")
        .order_by()[:1]
    )
    if not found:
        return None
    found[0].jurisdiction = jurisdiction
    return found[0]


def public_history(service_request: ServiceRequest) -> QuerySet[HistoryEntry]:
    return service_request.history.filter(is_public=True).select_related("actor").order_by("created_at", "pk")


def public_photos(service_request: ServiceRequest) -> QuerySet[Photo]:
    if service_request.is_private:
        return Photo.objects.none()
    return service_request.photos.filter(is_public=True)


def public_answers(service_request: ServiceRequest) -> list[tuple[str, str]]:
    """The resident's answers as the public may see them: none for a private request."""
    if service_request.is_private:
        return []
    return answers_of(service_request)


def answers_of(service_request: ServiceRequest) -> list[tuple[str, str]]:
    """The answers to the service's questions as (question, answer) in the reader's language, in the
    questions' order, choices by their names (not their keys). For staff; the public see `public_answers`."""
    answers = service_request.attributes or {}
    if not answers:  # most requests: no question was answered, so the questions need not be read
        return []
    rows = []
    for attribute in catalogue.questions_of(service_request.jurisdiction, service_request.service):
        if attribute.code not in answers:
            continue
        names = {value.key: value.localized("name") for value in attribute.values.all()}
        raw = answers[attribute.code]
        values = raw if isinstance(raw, list) else [raw]
        rows.append((attribute.localized("description"), ", ".join(names.get(str(v), str(v)) for v in values)))
    return rows


def transfer_departments(service_request: ServiceRequest) -> QuerySet[Department]:
    """The departments a request may be transferred to: its city's others."""
    return (
        Department.objects.filter(jurisdiction_id=service_request.jurisdiction_id)
        .exclude(pk=service_request.department_id)
        .order_by("name")
    )


def final_original(target: ServiceRequest, *, of: ServiceRequest) -> ServiceRequest:
    """The request that `of`, marked a duplicate of `target`, really duplicates: `target`, or the original
    `target` was itself marked a duplicate of, and so on. A loop stops where it comes round (at `of`, when
    the chain leads back to it)."""
    seen = {of.pk}
    original = target
    while original.pk not in seen and (following := original.duplicate_of) is not None:
        seen.add(original.pk)
        original = following
    return original


# --- a customer's history with the city (the CRM reads it; people keeps the records) ------------------


@dataclass(frozen=True)
class HistoryItem:
    """One thing in a customer's history: a contact with the city, or a request with no contact recorded."""

    at: dt.datetime
    kind: str  # "contact" or "request"
    channel: str
    channel_label: str
    outcome: str
    outcome_label: str
    service: str
    tracking_number: str
    status: str
    status_label: str


def customer_history(customer: Customer, *, limit: int | None = None) -> list[HistoryItem]:
    """Every contact and request, on every channel, whose requester is this customer (or a record merged
    into it), newest first."""
    customer = survivor_of(customer)
    mine = Q(requester__customer=customer) | Q(requester__customer__merged_into=customer)
    # A console contact names its customer itself (an answer given has no requester); one still open is not past.
    contacts = list(
        Contact.objects.filter(mine | Q(customer=customer) | Q(customer__merged_into=customer))
        .exclude(ended_at__isnull=True)
        .distinct()
        .select_related("service", "service_request__service")
        .order_by("-started_at")
    )
    with_contact = {contact.service_request_id for contact in contacts if contact.service_request_id}
    requests = (
        ServiceRequest.objects.filter(mine)
        .exclude(pk__in=with_contact)
        .select_related("service")
        .order_by("-requested_at")
    )
    channels = dict(Channel.choices)
    statuses = dict(Status.choices)
    items = []
    for contact in contacts:
        filed = contact.service_request
        service = filed.service if filed is not None else contact.service
        items.append(
            HistoryItem(
                at=contact.started_at,
                kind="contact",
                channel=contact.channel,
                channel_label=str(channels.get(contact.channel, contact.channel)),
                outcome=contact.outcome,
                outcome_label=str(contact.get_outcome_display()),
                service=service.name if service else "",
                tracking_number=filed.tracking_number if filed else "",
                status=filed.status if filed else "",
                status_label=str(statuses.get(filed.status, filed.status)) if filed else "",
            )
        )
    for request in requests:
        items.append(
            HistoryItem(
                at=request.requested_at,
                kind="request",
                channel=request.channel,
                channel_label=str(channels.get(request.channel, request.channel)),
                outcome=Contact.Outcome.SERVICE_REQUEST,
                outcome_label=str(Contact.Outcome.SERVICE_REQUEST.label),
                service=request.service.name,
                tracking_number=request.tracking_number,
                status=request.status,
                status_label=str(statuses.get(request.status, request.status)),
            )
        )
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit] if limit is not None else items


def request_count(customer: Customer) -> int:
    customer = survivor_of(customer)
    return ServiceRequest.objects.filter(
        Q(requester__customer=customer) | Q(requester__customer__merged_into=customer)
    ).count()
