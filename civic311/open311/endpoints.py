"""What every Open311 endpoint shares: the format from the path, the jurisdiction, the parameters,
and errors in the caller's format, never a 500 page and never HTML.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civic311.jurisdictions.models import Jurisdiction

from . import formats

logger = logging.getLogger(__name__)

# Longer parameter values are refused rather than searched for; the longest real one is a description.
MAX_PARAMETER_CHARS = 10_000


class Open311Error(Exception):
    """An error the client must see: a status (400, 403, 404, 429) and one or more descriptions."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = list(descriptions) or [_("Bad request.")]


@dataclass
class Call:
    """One call to an endpoint: the request, its format and its jurisdiction."""

    request: HttpRequest
    fmt: str
    jurisdiction: Jurisdiction

    def param(self, name: str) -> str:
        """A parameter from the query string or the form body; empty counts as not sent (returns "")."""
        value = self.request.GET.get(name)
        if value in (None, "") and self.request.method == "POST":
            value = self.request.POST.get(name)
        value = (value or "").strip()
        if len(value) > MAX_PARAMETER_CHARS:
            raise Open311Error(400, _("The parameter %(name)s is too long.") % {"name": name[:60]})
        if "\x00" in value:
            raise Open311Error(400, _("The parameter %(name)s contains a NUL character.") % {"name": name[:60]})
        return value

    def param_list(self, name: str) -> list[str]:
        """A comma list (`a,b,c`), or the parameter repeated; empty items dropped."""
        values: list[str] = []
        for source in (self.request.GET, self.request.POST if self.request.method == "POST" else None):
            if source is None:
                continue
            for raw in source.getlist(name):
                values.extend(part.strip() for part in raw.split(",") if part.strip())
        if sum(len(value) for value in values) > MAX_PARAMETER_CHARS:
            raise Open311Error(400, _("The parameter %(name)s is too long.") % {"name": name[:60]})
        return values

    def render(self, root: str, value: object, *, status: int = 200) -> HttpResponse:
        return formats.render(root, value, self.fmt, status=status)


def format_of(fmt: str | None) -> str:
    return fmt if fmt in formats.FORMATS else formats.DEFAULT_FORMAT


def check_format(fmt: str | None) -> None:
    """No extension means the default format; an extension we do not speak is an error (in XML)."""
    if fmt not in (None, "", *formats.FORMATS):
        raise Open311Error(400, _("The format “%(format)s” is not supported; use .xml or .json.")
                           % {"format": str(fmt)[:20]})


def resolve_jurisdiction(request: HttpRequest) -> Jurisdiction:
    """The jurisdiction a call is for.

    With one jurisdiction in the deployment `jurisdiction_id` may be left out; with several it is
    required. An id that names no jurisdiction is a 404 either way.
    """
    wanted = (request.GET.get("jurisdiction_id") or
              (request.POST.get("jurisdiction_id") if request.method == "POST" else None) or "").strip()
    if wanted:
        found = Jurisdiction.objects.filter(jurisdiction_id__iexact=wanted[:200]).first()
        if found is None:
            raise Open311Error(404, _("There is no jurisdiction “%(id)s” here.") % {"id": wanted[:100]})
        return found
    only = list(Jurisdiction.objects.order_by("pk")[:2])
    if len(only) == 1:
        return only[0]
    if not only:
        raise Open311Error(404, _("This server has no jurisdiction yet."))
    raise Open311Error(400, _("This server serves several jurisdictions: send jurisdiction_id."))


def validation_messages(error: ValidationError) -> list[str]:
    """A ValidationError as Open311 descriptions, each naming the field (`attribute[CODE]: …`)."""
    if hasattr(error, "error_dict"):
        return [f"{field}: {message}" if field != "__all__" else message
                for field, messages in error.message_dict.items() for message in messages]
    return list(error.messages)


def endpoint(*, methods: tuple[str, ...] = ("GET",), needs_jurisdiction: bool = True,
             ) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap an Open311 view `view(call, **kwargs)`: format, jurisdiction, allowed methods, and errors.

    The path's `fmt` keyword (from the URL) picks the format.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, fmt: str | None = None, **kwargs) -> HttpResponse:
            response_format = format_of(fmt)
            try:
                check_format(fmt)
                if request.method not in methods:
                    # The contract knows 400, 403 and 404 only; the Allow header still says what works.
                    raise Open311Error(400, _("Use %(methods)s here.") % {"methods": " or ".join(methods)})
                jurisdiction = resolve_jurisdiction(request) if needs_jurisdiction else None
                call = Call(request, response_format, jurisdiction)  # type: ignore[arg-type]
                response = view(call, **kwargs)
            except Open311Error as error:
                response = formats.errors(response_format, error.status, error.descriptions)
            except ValidationError as error:
                response = formats.errors(response_format, 400, validation_messages(error))
            except Http404:
                response = formats.errors(response_format, 404, [_("Not found.")])
            except (RequestDataTooBig, TooManyFieldsSent):
                response = formats.errors(response_format, 400, [_("The request is too large.")])
            except SuspiciousOperation:
                response = formats.errors(response_format, 400, [_("The request could not be read.")])
            except UnicodeDecodeError:
                response = formats.errors(response_format, 400, [_("The request is not valid UTF-8.")])
            except Exception:
                # A bug of ours; the client still gets its own format, never a page of HTML.
                logger.exception("Open311 %s failed", view.__name__)
                response = formats.errors(response_format, 500, [_("Something went wrong on our side.")])
            if request.method not in methods:
                response["Allow"] = ", ".join(methods)
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
            return response

        return wrapped

    return decorate


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other path under /open311/: a 404 in the format its extension asks for."""
    fmt = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else None
    return formats.errors(format_of(fmt), 404, [_("There is no such Open311 method.")])
