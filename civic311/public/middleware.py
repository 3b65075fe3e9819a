"""The CSRF cookie from a visitor's first page, though most pages carry no token.

The public pages are the same for every visitor (the track page is kept rendered, `track_page.py`), so the
layout holds no CSRF token, and a page without a form never asked for the cookie. A first visitor then got
it from the first page with a form, and a request made at the same moment without it (the app's service
worker, a second tab) could be given another: the form's token no longer matched and its POST was refused.
Asking for the token here sets the cookie once, with the first page, and changes nothing in the page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token


def csrf_cookie_on_every_page(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Placed after CsrfViewMiddleware, which then sets the cookie on the way out (only when it is missing)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.method in ("GET", "HEAD") and response.get("Content-Type", "").startswith("text/html"):
            get_token(request)
        return response

    return middleware
