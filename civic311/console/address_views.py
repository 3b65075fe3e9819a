"""The console report form's address helpers, as JSON for public/address_lookup.js (the same combobox as the
public report form's): the city's addresses that begin with what the agent is typing, and the address nearest
a pin dropped on the form's map. Thin views over `jurisdictions.geocoding` (the rows are shaped there, for the
public form's endpoints too); only the agent working the contact asks, for the contact's city. Without
JavaScript the form's plain address field works as before: the intake rule places a typed address.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civic311 import rate_limits
from civic311.jurisdictions import lookup_answers
from civic311.people import roles
from civic311.people.models import User
from civic311.people.staff_pages import staff_page
from civic311.service_requests.models import Contact

from . import selectors

console_page = staff_page(rule=roles.may_use_console)
# An agent types addresses all day: a few dozen lookups a call, many calls an hour.
LOOKUPS = rate_limits.Rate("console_address_lookup", 2400, 3600)


def _working(request: HttpRequest, pk: int) -> Contact:
    """The contact whose report form asks: only its agent's (a supervisor looking on files nothing)."""
    user: User = request.user  # type: ignore[assignment]  # console_page: signed in
    contact = selectors.contact_for(user, pk)
    if not selectors.may_work_contact(user, contact):
        raise PermissionDenied(_("Only the agent who took this contact can record it."))
    return contact


def _asking(request: HttpRequest) -> dict:
    return {
        "rate": LOOKUPS,
        "who": f"user:{request.user.pk}",
        "too_many": _("Too many address lookups; try again later."),
    }


@console_page
@require_POST
def address_suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    """The contact's city's addresses that begin with `q`; a POST so that what the caller says is never in a
    URL (nor an access log)."""
    return lookup_answers.suggestions(request, _working(request, pk).jurisdiction, **_asking(request))


@console_page
@require_POST
def address_at(request: HttpRequest, pk: int) -> HttpResponse:
    """The address of the contact's city nearest `lat`/`long`."""
    return lookup_answers.address_at(request, _working(request, pk).jurisdiction, **_asking(request))
