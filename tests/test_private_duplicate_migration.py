"""requests 0010: what older code published about duplicates of private requests loses the private number."""

from __future__ import annotations

import importlib

from django.apps import apps

from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry, ServiceRequest

from .factories import filed_request

migration = importlib.import_module("civic311.service_requests.migrations.0010_hide_private_duplicate_numbers")


def test_older_duplicate_notes_stop_naming_a_private_request(service, center_city):
    private = filed_request(service, is_private=True)
    public = filed_request(service)
    hidden, shown = filed_request(service), filed_request(service)
    for duplicate, original in ((hidden, private), (shown, public)):
        text = f"Duplicate of request {original.tracking_number}."  # what the code wrote before
        ServiceRequest.objects.filter(pk=duplicate.pk).update(
            status=Status.DUPLICATE, duplicate_of=original, status_notes=text
        )
        HistoryEntry.objects.create(
            service_request=duplicate,
            kind=HistoryEntry.Kind.STATUS,
            is_public=True,
            to_status=Status.DUPLICATE,
            text=text,
            created_at=duplicate.requested_at,
        )

    migration.hide_private_numbers(apps, None)

    hidden.refresh_from_db()
    shown.refresh_from_db()
    assert hidden.status_notes == "Duplicate of another request."
    assert hidden.history.get(to_status=Status.DUPLICATE).text == "Duplicate of another request."
    assert shown.status_notes == f"Duplicate of request {public.tracking_number}."
    assert shown.history.get(to_status=Status.DUPLICATE).text == shown.status_notes
    migration.hide_private_numbers(apps, None)  # a second run changes nothing
    assert ServiceRequest.objects.get(pk=hidden.pk).status_notes == "Duplicate of another request."
