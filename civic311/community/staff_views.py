"""What the program's staff pages share: their gates and the city they work in."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.models import User
from civic311.people.staff_pages import staff_page

community_page = staff_page(rule=roles.may_run_community_programmes)
figures_page = staff_page(rule=roles.may_see_programme_figures)


def programme_jurisdiction(request: HttpRequest) -> Jurisdiction:
    """The city of the page, refused (403) to staff of another city."""
    jurisdiction = site_jurisdiction(request)
    roles.require(roles.sees_jurisdiction(request.user, jurisdiction.pk), _("This program belongs to another city."))
    return jurisdiction


def acting_staff(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None
