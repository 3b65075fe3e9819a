from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Jurisdiction
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


def site_jurisdiction(request: HttpRequest) -> Jurisdiction:
    """The city this request is for (set by the middleware); 404 when the site has none set up yet."""
    jurisdiction = getattr(request, "jurisdiction", None)
    if jurisdiction is None:
        raise Http404(_("This site has no city set up yet."))
    return jurisdiction
