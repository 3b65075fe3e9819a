"""The community programs' public pages that a secret link opens (a field walk's, a youth survey's, a pilot
invitation's): never cached and kept out of search engines, whatever the page says (a form, a thank you,
"this link is closed"). The site's own Referrer-Policy (same-origin) already keeps the link from other
sites; a stricter "no-referrer" here would make browsers send `Origin: null` with the pages' forms, which
the CSRF check refuses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

ROBOTS = "noindex, nofollow"


def link_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view of a page opened by a secret link: never cached, never indexed."""

    @wraps(view)
    @never_cache
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = ROBOTS
        return response

    return wrapped
