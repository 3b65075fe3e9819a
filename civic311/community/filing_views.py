"""A liaison's filing pages: a request on behalf of a neighbour, a community meeting's notes as requests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def report(request: HttpRequest) -> HttpResponse:
    return HttpResponse("report")


def meeting(request: HttpRequest) -> HttpResponse:
    return HttpResponse("meeting")


def filed(request: HttpRequest) -> HttpResponse:
    return HttpResponse("filed")
