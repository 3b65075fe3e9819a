"""The Neighborhood Liaison Program's recruitment and training pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from civic311.people import roles
from civic311.people.staff_pages import staff_page


@staff_page(rule=roles.may_run_community_programmes)
def staff_home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("community")


def apply(request: HttpRequest) -> HttpResponse:
    return HttpResponse("apply")
