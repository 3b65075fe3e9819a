"""Which staff may see and change a request: the rules are `civic311.people.roles`; these raise with the
request's own words.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from civic311.people import roles
from civic311.people.models import User

from ..models import ServiceRequest

logger = logging.getLogger(__name__)


def check_may_change(actor: User | None, service_request: ServiceRequest) -> None:
    """Staff work only the requests their roles give them. No actor is the system, a resident with a
    signed link, or an Open311 client: their own checks apply before they reach here."""
    if actor is not None:
        roles.require(
            roles.may_change_request(actor, service_request),
            _("You may not change request %(number)s.") % {"number": service_request.tracking_number},
        )


def check_may_view(actor: User | None, service_request: ServiceRequest) -> None:
    """Staff see only the requests their roles give them (no actor: as in `check_may_change`)."""
    if actor is not None:
        roles.require(
            roles.may_view_request(actor, service_request),
            _("You may not see request %(number)s.") % {"number": service_request.tracking_number},
        )


def check_assignee(assignee: User, service_request: ServiceRequest, errors: dict[str, list[str]]) -> None:
    if not roles.may_be_assigned_requests(assignee):
        errors["assignee"] = [_("Requests can only be assigned to active staff.")]
    elif not roles.may_change_request(assignee, service_request):
        errors["assignee"] = [_("%(name)s does not work this department's requests.") % {"name": assignee}]
