"""Community staff's engagement pages and the programme's figures for leadership."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from civic311.people import roles
from civic311.people.staff_pages import staff_page


@staff_page(rule=roles.may_see_programme_figures)
def figures(request: HttpRequest) -> HttpResponse:
    return HttpResponse("figures")
