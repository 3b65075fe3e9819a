"""An opaque id per browser, so that the search analytics can tell one visit's searches, reads and
filings apart (deflection) without knowing who anyone is.

`request.visitor` is a random token from the `civic311_visitor` cookie (first-party, one year, HttpOnly,
SameSite=Lax); it holds nothing about the person and is never joined to a requester or a customer.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

COOKIE = "civic311_visitor"
MAX_AGE = 365 * 24 * 3600
_TOKEN = re.compile(r"[0-9a-f]{32}")


class VisitorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.COOKIES.get(COOKIE, "")
        known = bool(_TOKEN.fullmatch(given))
        request.visitor = given if known else secrets.token_hex(16)  # type: ignore[attr-defined]
        response = self.get_response(request)
        # Only pages that used it (the knowledge base, the report form) set the cookie.
        if not known and getattr(request, "visitor_used", False):
            response.set_cookie(
                COOKIE,
                request.visitor,  # type: ignore[attr-defined]
                max_age=MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response


def visitor_of(request: HttpRequest) -> str:
    """The browser's opaque id (and mark it used, so the cookie is set)."""
    request.visitor_used = True  # type: ignore[attr-defined]
    return getattr(request, "visitor", "")
