"""Reads of service requests for the public and for staff."""

from __future__ import annotations

from django.db.models import QuerySet

from civic311.catalogue.models import Department
from civic311.jurisdictions.models import Jurisdiction

from .models import HistoryEntry, Photo, ServiceRequest


def request_for_tracking(jurisdiction: Jurisdiction, tracking_number: str) -> ServiceRequest | None:
    """The request a tracking number names, as the public may see it (None if there is none)."""
    number = "".join((tracking_number or "").split()).lstrip("#")
    if not number or len(number) > 32 or "\x00" in number:
        return None
    return (
        ServiceRequest.objects.filter(jurisdiction=jurisdiction, tracking_number=number)
        .select_related("service", "service__group", "department", "neighborhood", "jurisdiction")
        .first()
    )


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
    rows = []
    for attribute in service_request.service.attributes.prefetch_related("values"):
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
