"""What every Open311 endpoint shares: the format from the path, the jurisdiction, the parameters,
and errors in the caller's format, never a 500 page and never HTML.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civic311 import outage
from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction

from . import formats
from .selectors import MAX_REQUEST_IDS, TRACKING_NUMBER_MAX, key_jurisdiction

logger = logging.getLogger(__name__)

# Longer parameter values are refused rather than searched for; the longest real one is a description.
MAX_PARAMETER_CHARS = 10_000
MAX_TIMESTAMP_CHARS = 40
# service_request_id is the one longer list: the most ids a call may name, each of the longest length.
MAX_ID_LIST_CHARS = MAX_REQUEST_IDS * (TRACKING_NUMBER_MAX + 1)
# The longest query string served. It must hold a GET requests call naming the most ids of the longest
# length as a comma list whose commas are percent-encoded (%2C, as most HTTP libraries send them):
# 19 + 1,000 x 32 + 999 x 3 = 35,016 characters, with room left for every other parameter.
# deploy/gunicorn.conf.py's limit_request_line lets a request line longer than this reach us, so that
# a longer query is refused here, in the caller's format (tests/test_open311_long_queries.py checks both).
MAX_QUERY_CHARS = 40_000

# `+05:00` sent unencoded in a query string arrives as ` 05:00`; put the plus sign back.
_PLUS_READ_AS_SPACE = re.compile(r"^(.*\d) (\d{2}(?::?\d{2})?)$")
_DATE_ONLY = re.compile(r"^[0-9W-]+$")
_TIME_PART = re.compile(r"[T ](\d{2})(?::?(\d{2})(?::?(\d{2})([.,]\d+)?)?)?")


def _parse_timestamp(value: str, zone: ZoneInfo) -> tuple[dt.datetime, dt.timedelta | None]:
    """(the instant, how long the period the text names lasts), or ValueError. None for a whole day."""
    text = value.strip()
    if not text or len(text) > MAX_TIMESTAMP_CHARS:
        raise ValueError(value)
    text = _PLUS_READ_AS_SPACE.sub(r"\1+\2", text) if "T" in text.upper() else text
    if text[-1:] == "z":
        text = text[:-1] + "Z"
    parsed = dt.datetime.fromisoformat(text)
    if _DATE_ONLY.match(text):
        return parsed.replace(tzinfo=zone), None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    # Reject instants that cannot be expressed in UTC (year 1 with a negative offset and the like).
    parsed.astimezone(dt.UTC)
    time_part = _TIME_PART.search(text)
    if time_part is None or time_part.group(2) is None:
        step = dt.timedelta(hours=1)
    elif time_part.group(3) is None:
        step = dt.timedelta(minutes=1)
    elif time_part.group(4) is None:
        step = dt.timedelta(seconds=1)
    else:
        step = dt.timedelta(microseconds=1)
    return parsed, step


def parse_timestamp(value: str, zone: ZoneInfo, *, end: bool = False) -> dt.datetime:
    """A W3C / ISO 8601 timestamp from a client; ValueError when it is not one.

    Accepts an offset or `Z`, fractional seconds, and a date alone (midnight). A timestamp without a
    zone is taken in `zone` (the jurisdiction's). With `end=True` the result is the first instant
    *after* the period the text names, for use as an exclusive upper bound: `2024-01-31` ends at the
    next midnight, `…T10:00:00` at 10:00:01, so that `end_date` includes everything it names.
    """
    try:
        parsed, step = _parse_timestamp(value, zone)
        if not end:
            return parsed
        if step is None:
            next_day = parsed.date() + dt.timedelta(days=1)
            return dt.datetime.combine(next_day, dt.time(0), tzinfo=zone)
        return parsed + step
    except (OverflowError, TypeError) as error:
        raise ValueError(value) from error


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

    def param_list(self, name: str, *, max_chars: int = MAX_PARAMETER_CHARS) -> list[str]:
        """A comma list (`a,b,c`), or the parameter repeated; empty items dropped."""
        values: list[str] = []
        for source in (self.request.GET, self.request.POST if self.request.method == "POST" else None):
            if source is None:
                continue
            for raw in source.getlist(name):
                values.extend(part.strip() for part in raw.split(",") if part.strip())
        if sum(len(value) for value in values) > max_chars:
            raise Open311Error(400, _("The parameter %(name)s is too long.") % {"name": name[:60]})
        if any("\x00" in value for value in values):
            raise Open311Error(400, _("The parameter %(name)s contains a NUL character.") % {"name": name[:60]})
        return values

    def datetime_param(self, name: str, *, end: bool = False) -> dt.datetime | None:
        """A timestamp parameter (see `parse_timestamp`), None when not sent; 400 naming it when malformed."""
        value = self.param(name)
        if not value:
            return None
        try:
            return parse_timestamp(value, self.jurisdiction.zone, end=end)
        except ValueError:
            raise Open311Error(
                400,
                _("%(name)s must be a W3C date and time with a zone, like 2024-01-31T14:30:00-05:00.")
                % {"name": name[:60]},
            ) from None

    def int_param(self, name: str, *, default: int, low: int, high: int) -> int:
        """A whole number parameter between low and high; 400 naming it otherwise."""
        value = self.param(name)
        if not value:
            return default
        if not (value.isascii() and value.isdigit() and len(value) <= 12 and low <= int(value) <= high):
            raise Open311Error(
                400,
                _("%(name)s must be a whole number from %(low)d to %(high)d.")
                % {"name": name[:60], "low": low, "high": high},
            )
        return int(value)

    def float_param(self, name: str, *, low: float, high: float) -> float | None:
        """A number parameter between low and high, None when not sent; 400 naming it otherwise."""
        value = self.param(name)
        if not value:
            return None
        try:
            number = float(value) if len(value) <= 40 else math.nan
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and low <= number <= high):
            raise Open311Error(
                400,
                _("%(name)s must be a number from %(low)s to %(high)s.")
                % {"name": name[:60], "low": f"{low:g}", "high": f"{high:g}"},
            )
        return number

    def bool_param(self, name: str) -> bool:
        """`true`/`false` (also 1/0, yes/no, any case); not sent is false; 400 naming it otherwise."""
        value = self.param(name).lower()
        if value in ("", "false", "0", "no"):
            return False
        if value in ("true", "1", "yes"):
            return True
        raise Open311Error(400, _("%(name)s must be true or false.") % {"name": name[:60]})

    def render(self, root: str, value: object, *, status: int = 200) -> HttpResponse:
        return formats.render(root, value, self.fmt, status=status)


def format_of(fmt: str | None) -> str:
    return fmt if fmt in formats.FORMATS else formats.DEFAULT_FORMAT


def check_format(fmt: str | None) -> None:
    """No extension means the default format; an extension we do not speak is an error (in XML)."""
    if fmt not in (None, "", *formats.FORMATS):
        raise Open311Error(
            400, _("The format “%(format)s” is not supported; use .xml or .json.") % {"format": str(fmt)[:20]}
        )


def resolve_jurisdiction(request: HttpRequest) -> Jurisdiction:
    """The jurisdiction a call is for, by the deployment's one rule (`jurisdictions.selectors.resolve_jurisdiction`):
    `jurisdiction_id`, else the API key's jurisdiction, else the host called, else the configured default.

    An id that names no jurisdiction is a 404; a 400 only when nothing applies (several jurisdictions,
    no default configured, and the call says nothing that picks one).
    """
    post = request.POST if request.method == "POST" else None
    wanted = (
        request.GET.get("jurisdiction_id") or (post.get("jurisdiction_id") if post is not None else None) or ""
    ).strip()
    key_city = None
    if not wanted and places.several_jurisdictions():
        # Only with several can the key change the answer: one jurisdiction's calls cost no extra query.
        key_city = key_jurisdiction(
            request.GET.get("api_key") or (post.get("api_key") if post is not None else "") or ""
        )
    try:
        found = places.resolve_jurisdiction(
            jurisdiction_id=wanted[:200], api_key_jurisdiction=key_city, host=request.get_host()
        )
    except places.UnknownJurisdiction:
        raise Open311Error(
            404, _("There is no jurisdiction “%(id)s” here.") % {"id": wanted[:100].replace("\x00", "")}
        ) from None
    if found is not None:
        return found
    if not places.only_jurisdictions(1):
        raise Open311Error(404, _("This server has no jurisdiction yet."))
    raise Open311Error(400, _("This server serves several jurisdictions: send jurisdiction_id."))


def validation_messages(error: ValidationError) -> list[str]:
    """A ValidationError as Open311 descriptions, each naming the field (`attribute[CODE]: …`)."""
    if hasattr(error, "error_dict"):
        return [
            f"{field}: {message}" if field != "__all__" else message
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)


def endpoint(
    *,
    methods: tuple[str, ...] = ("GET",),
    needs_jurisdiction: bool = True,
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
                check_query_length(request)
                # No code, id or token holds a NUL, and PostgreSQL cannot even look one up: a replacement
                # character keeps the lookup (which then finds nothing) and each method's own 404 message.
                kwargs = {
                    name: value.replace("\x00", "\ufffd") if isinstance(value, str) else value
                    for name, value in kwargs.items()
                }
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
            except (SuspiciousOperation, BadRequest, MultiPartParserError):
                # A body Django cannot parse: not UTF-8 form data, multipart without a boundary…
                response = formats.errors(response_format, 400, [_("The request could not be read.")])
            except UnicodeDecodeError:
                response = formats.errors(response_format, 400, [_("The request is not valid UTF-8.")])
            except Exception as error:
                if outage.is_outage(error):  # the database is away: "try again", not "we are broken"
                    response = outage.unavailable(request)
                else:
                    # A bug of ours; the client still gets its own format, never a page of HTML.
                    logger.exception("Open311 %s failed", view.__name__)
                    response = formats.errors(response_format, 500, [_("Something went wrong on our side.")])
            if request.method not in methods:
                response["Allow"] = ", ".join(methods)
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
            return response

        return wrapped

    return decorate


def format_of_path(path: str) -> str:
    """The format a path's extension asks for (services.json → json), XML when it names none."""
    return format_of(path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else None)


def check_query_length(request: HttpRequest) -> None:
    """A query string longer than any call needs is refused before it is parsed."""
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_CHARS:
        raise Open311Error(400, _("The query is too long: at most %(max)d characters.") % {"max": MAX_QUERY_CHARS})


_SLASHES = re.compile(r"/{2,}")


@csrf_exempt  # a POST to a path that does not exist is answered by this 404, never by Django's CSRF page
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other path under /open311/: a 404 in the format its extension asks for.

    A path with doubled slashes is the method it names: a client that joins the discovery `url` (which
    ends without a slash) or the older one (which ended with one) and `/services.xml` gets services.
    """
    collapsed = _SLASHES.sub("/", request.path_info)
    if collapsed != request.path_info:
        try:
            match = resolve(collapsed)
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            request.path_info = collapsed
            request.path = _SLASHES.sub("/", request.path)
            request.resolver_match = match
            return match.func(request, *match.args, **match.kwargs)
    response = formats.errors(format_of_path(path), 404, [_("There is no such Open311 method.")])
    response.headers.setdefault("Access-Control-Allow-Origin", "*")
    return response


def unavailable(request: HttpRequest) -> HttpResponse:
    """The database is away (civic311.outage): a 503 in the format the path asks for."""
    response = formats.errors(format_of_path(request.path), 503, [outage.message()])
    response.headers.setdefault("Access-Control-Allow-Origin", "*")
    return response
