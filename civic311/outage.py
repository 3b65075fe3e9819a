"""When the database is away (restarting, failing over, unreachable): 503 with Retry-After, never a 500.

A client that sees 503 knows to try again; a 500 says the request was bad or our code is. Nothing is half
written either way: each write is one transaction, and a repeated report with its idempotency key is filed
once. Django's error handler (`server_error`, the project's `handler500`) answers 503 whenever the
exception it handles is the database's; a face of the site with a format of its own (Open311's XML or
JSON, the staff API's JSON) registers a responder for its path prefix, so the client gets its own format
without this module knowing about it.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# PostgreSQL's SQLSTATEs for "the server is not there for us": class 08 (connection exceptions) and the
# shutdowns of class 57 (admin or crash shutdown, "cannot connect now" while it starts). Not 57014, a
# statement timeout or cancel: that is a slow query of ours, a 500 worth its traceback.
UNREACHABLE_SQLSTATE_CLASSES = ("08",)
UNREACHABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})

Responder = Callable[[HttpRequest], HttpResponse]
_responders: dict[str, Responder] = {}


def is_outage(error: BaseException | None) -> bool:
    """Is this error (or what caused it) the database being unreachable rather than a bug of ours?

    InterfaceError: a connection closed under us. OperationalError: only when the driver's own error says
    the server is away (PostgreSQL: no SQLSTATE at all, as when the connection is refused, or one of the
    SQLSTATEs above; SQLite: the file is locked by another writer). A missing table, a statement timeout
    or any other OperationalError stays a 500, with its traceback in the log.
    """
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, InterfaceError):
            return True
        if isinstance(error, OperationalError):
            return _unreachable(error.__cause__ or error.__context__, str(error))
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _unreachable(driver_error: BaseException | None, message: str) -> bool:
    if isinstance(driver_error, sqlite3.Error):
        return "database is locked" in message or "unable to open database" in message
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate is None:
        return driver_error is None or type(driver_error).__module__.startswith("psycopg")
    return sqlstate.startswith(UNREACHABLE_SQLSTATE_CLASSES) or sqlstate in UNREACHABLE_SQLSTATES


def register_responder(path_prefix: str, responder: Responder) -> None:
    """A face of the site (Open311, the staff API) answers outages under its prefix in its own format."""
    _responders[path_prefix] = responder


def message() -> str:
    return _("The service is briefly unavailable. Please try again in a few seconds.")


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 for this request, in its caller's format."""
    for prefix, responder in sorted(_responders.items(), key=lambda item: -len(item[0])):
        if request.path.startswith(prefix):
            response = responder(request)
            break
    else:
        if "json" in request.headers.get("Accept", "") and "html" not in request.headers.get("Accept", ""):
            response = JsonResponse({"detail": message()}, status=503)
        else:
            # Rendered without a request: no context processors, so nothing that needs the database.
            response = HttpResponse(render_to_string("503.html"), status=503)
    response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """The project's handler500: 503 when the error is the database's, else the usual 500 page."""
    error = sys.exc_info()[1]
    if is_outage(error):
        logger.warning(
            "database unavailable while serving %s %s: %s", request.method, request.path, type(error).__name__
        )
        return unavailable(request)
    return HttpResponse(render_to_string("500.html"), status=500)
