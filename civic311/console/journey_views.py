"""The customer-journey pages: one customer's timeline (`console:customer_journey`) and the centre-wide
figures (`console:journeys`, with its CSV). Thin: the rules are `journeys`' and `roles`'."""

from __future__ import annotations

import csv
import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.people import roles
from civic311.people.models import Customer, User
from civic311.people.selectors import customer_details_for
from civic311.people.staff_pages import staff_page

from . import journeys

WHERE = "journey"  # where the personal-data audit says the look happened


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # staff_page: signed in


@staff_page(rule=roles.may_see_customer_journey)
@require_GET
def customer_journey(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    customer = get_object_or_404(Customer.objects.select_related("merged_into", "jurisdiction"), pk=pk)
    if not roles.may_see_city(user, customer.jurisdiction_id):
        raise PermissionDenied(_("This customer belongs to another city."))
    customer = customer_details_for(user, customer, where=WHERE)  # the audited look, as on the record
    timeline = journeys.customer_timeline(customer)
    return render(
        request,
        "console/customer_journey.html",
        {"customer": timeline.customer, "timeline": timeline, "zone": customer.jurisdiction.zone},
    )


def _month(request: HttpRequest) -> dt.date | None:
    text = request.GET.get("month", "")[:7]
    try:
        return dt.date(int(text[:4]), int(text[5:7]), 1) if text else None
    except ValueError:
        return None


@staff_page(rule=roles.may_see_centre_journeys)
@require_GET
def centre_journeys(request: HttpRequest) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    snapshots = journeys.latest_snapshots(jurisdiction)
    month = _month(request)
    snapshot = next((s for s in snapshots if month is None or s.month == month.replace(day=1)), None)
    if snapshot is None and month is not None:
        snapshot = journeys.snapshot_for(jurisdiction, month)
    paths, branches, satisfaction = journeys.snapshot_rows(snapshot) if snapshot else ([], [], [])
    return render(
        request,
        "console/journeys.html",
        {
            "snapshot": snapshot,
            "snapshots": snapshots,
            "paths": paths,
            "branches": branches,
            "satisfaction": satisfaction,
            "staff_menu_current": "console",
        },
    )


@staff_page(rule=roles.may_see_centre_journeys)
@require_GET
def centre_journeys_csv(request: HttpRequest) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    snapshot = journeys.snapshot_for(jurisdiction, _month(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    month = snapshot.month.strftime("%Y-%m") if snapshot else "none"
    response["Content-Disposition"] = f'attachment; filename="customer-journeys-{month}.csv"'
    writer = csv.writer(response)
    writer.writerow([_("section"), _("item"), _("count"), _("share (%)"), _("without the moment (%)")])
    if snapshot is None:
        return response
    writer.writerow([_("figures"), _("contacts of known customers"), snapshot.contacts, "", ""])
    writer.writerow([_("figures"), _("repeat contacts"), snapshot.repeat_contacts, _fmt(snapshot.repeat_rate), ""])
    writer.writerow(
        [
            _("figures"),
            _("resolved at the first contact"),
            snapshot.resolved_first_time,
            _fmt(snapshot.first_contact_resolution),
            "",
        ]
    )
    paths, branches, satisfaction = journeys.snapshot_rows(snapshot)
    for path in paths:
        writer.writerow([_("path"), path.label, path.count, path.share, ""])
    for branch in branches:
        for label, count, part in branch.next:
            writer.writerow([_("branch"), f"{branch.label} → {label}", count, _fmt(part), ""])
    for row in satisfaction:
        writer.writerow(
            [_("dissatisfied after"), row.label, row.surveys_with, _fmt(row.share_with), _fmt(row.share_without)]
        )
    return response


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
