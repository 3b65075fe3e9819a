"""A neighborhood's public account."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def neighborhood(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse(slug)
