"""Calls from programs (Open311) go through a short middleware chain of their own.

The site's middleware is mostly for people in browsers: a session, a CSRF token, the signed-in user, flash
messages, the visitor cookie, the jurisdiction's time zone. A GeoReport client is a program holding an API key,
answered in JSON or XML: none of that applies, and running it all was a large share of an Open311 POST's CPU
(docs/benchmarks.md, issue 22). `MachineApiMiddleware`, first in `settings.MIDDLEWARE`, hands a call whose
path starts with one of `settings.MACHINE_API_PREFIXES` to a handler of its own, built from
`settings.MACHINE_API_MIDDLEWARE`: the security headers, language, Content-Length, frame options and content
security policy a page gets, so an answer is byte for byte what the whole chain gave (tests/test_machine_api.py).
Every other request goes on down the site's chain. It is ordinary middleware, so Django's test client goes
through it exactly as gunicorn does.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class MachineApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(settings.MACHINE_API_PREFIXES)
        self.machine_handler = _handler_with(settings.MACHINE_API_MIDDLEWARE)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(self.prefixes):
            return self.machine_handler.get_response(request)
        return self.get_response(request)


def _handler_with(middleware: list[str]) -> BaseHandler:
    """A request handler whose chain is `middleware` (then URL resolution and the view, as Django's own).

    Django's handler reads its chain from `settings.MIDDLEWARE` only, so the setting is swapped for the
    moment it is read: once, while the process starts its own handler, before it serves anything.
    """
    handler = BaseHandler()
    site_middleware = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        handler.load_middleware()
    finally:
        settings.MIDDLEWARE = site_middleware
    return handler
