from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .selectors import jurisdiction_for_host


class JurisdictionMiddleware:
    """Attaches the jurisdiction a request is for (by host, else the default) and shows its local time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        jurisdiction = jurisdiction_for_host(request.get_host())
        request.jurisdiction = jurisdiction  # type: ignore[attr-defined]
        if jurisdiction is not None:
            timezone.activate(jurisdiction.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
