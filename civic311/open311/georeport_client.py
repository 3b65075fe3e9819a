"""A small, strict HTTP client for any GeoReport v2 server (JSON format).

It knows nothing about civic311's models: `civic311.open311.forwarding` decides what to send and what to
do with the answers. Every call has a connect and a read timeout, never follows redirects, reads at
most `MAX_BODY_BYTES`, and checks the shape of what comes back. Failures raise `GeoReportError`, whose
`retryable` says whether trying again later may help (network errors, timeouts, 5xx, 429 and answers
that make no sense) or not (every other 4xx, and a redirect, which is a configuration mistake).

Nothing personal is logged: only endpoints' hosts, paths, HTTP statuses and error classes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

logger = logging.getLogger(__name__)

# (connect, read) seconds.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_ID_CHARS = 100
MAX_ERROR_CHARS = 500
USER_AGENT = "civic311-open311-client/1"


class GeoReportError(Exception):
    """A call that did not give a usable answer."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class PostResult:
    """What a POST requests.json answered: their id, or a token to resolve later."""

    service_request_id: str = ""
    token: str = ""
    service_notice: str = ""


@dataclass(frozen=True)
class RemoteRequest:
    """One request as their GET requests.json shows it (only what the client uses)."""

    service_request_id: str
    status: str  # "open" or "closed"
    status_notes: str = ""
    updated_datetime: dt.datetime | None = None
    service_code: str = ""


class GeoReportClient:
    """Calls one GeoReport v2 endpoint, e.g. `https://workorders.example.gov/open311/v2/`."""

    def __init__(
        self,
        endpoint: str,
        *,
        api_key: str = "",
        jurisdiction_id: str = "",
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        parts = urlsplit(endpoint or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise GeoReportError("The endpoint must be an http or https URL.", retryable=False)
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.api_key = api_key
        self.jurisdiction_id = jurisdiction_id
        self.timeout = timeout
        self.session = session or requests.Session()

    # --- the methods ----------------------------------------------------------------------------

    def post_request(self, fields: Mapping[str, str | Sequence[str]]) -> PostResult:
        """POST requests.json. `fields` are the form fields (a list value repeats the field)."""
        data: list[tuple[str, str]] = []
        for name, value in fields.items():
            if isinstance(value, str):
                data.append((name, value))
            else:
                data.extend((name, str(item)) for item in value)
        if self.api_key:
            data.append(("api_key", self.api_key))
        if self.jurisdiction_id:
            data.append(("jurisdiction_id", self.jurisdiction_id))
        body = self._call("POST", "requests.json", data=data)
        first = _only_item(body, "requests.json")
        service_request_id = _identifier(first.get("service_request_id"), "service_request_id")
        token = _identifier(first.get("token"), "token")
        if not service_request_id and not token:
            raise GeoReportError("The answer has neither a service_request_id nor a token.", retryable=True)
        notice = first.get("service_notice")
        return PostResult(
            service_request_id=service_request_id, token=token, service_notice=notice if isinstance(notice, str) else ""
        )

    def get_token(self, token: str) -> str:
        """GET tokens/{token}.json: their id once the request exists, or "" while it does not yet."""
        token = _identifier(token, "token")
        if not token:
            raise GeoReportError("No token to resolve.", retryable=False)
        try:
            body = self._call("GET", f"tokens/{quote(token, safe='')}.json", params=self._params())
        except GeoReportError as error:
            # Servers answer 404 for a token whose request has not been made yet.
            if error.status == 404:
                return ""
            raise
        if isinstance(body, list) and not body:
            return ""
        first = _only_item(body, "tokens")
        answered = _identifier(first.get("token"), "token")
        if answered and answered != token:
            raise GeoReportError("The answer is about another token.", retryable=True)
        return _identifier(first.get("service_request_id"), "service_request_id")

    def get_requests(
        self,
        ids: Iterable[str] | None = None,
        *,
        updated_after: dt.datetime | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> list[RemoteRequest]:
        """GET requests.json by their ids (a comma list), or those updated after a moment.

        Entries that cannot be understood are skipped (and counted in the log), never guessed at.
        """
        params = self._params()
        id_list = [str(i) for i in ids or ()]
        if id_list:
            params["service_request_id"] = ",".join(id_list)
        elif updated_after is not None:
            if updated_after.tzinfo is None:
                raise ValueError("updated_after must be aware")
            params["updated_after"] = updated_after.isoformat(timespec="seconds")
        else:
            raise ValueError("give ids or updated_after")
        params.update(extra or {})
        body = self._call("GET", "requests.json", params=params)
        if not isinstance(body, list):
            raise GeoReportError("requests.json did not answer with a list.", retryable=True)
        found: list[RemoteRequest] = []
        skipped = 0
        for item in body:
            parsed = _remote_request(item)
            if parsed is None:
                skipped += 1
            else:
                found.append(parsed)
        if skipped:
            logger.warning("%s: skipped %d entries of requests.json that could not be read", self._host(), skipped)
        return found

    def get_services(self) -> list[dict[str, Any]]:
        """GET services.json: their service list, as it came (entries that are not objects dropped)."""
        body = self._call("GET", "services.json", params=self._params())
        if not isinstance(body, list):
            raise GeoReportError("services.json did not answer with a list.", retryable=True)
        return [item for item in body if isinstance(item, dict)]

    def get_service_definition(self, service_code: str) -> dict[str, Any]:
        """GET services/{code}.json: a service's attributes (`{"service_code": …, "attributes": […]}`)."""
        code = _identifier(service_code, "service_code")
        if not code:
            raise GeoReportError("No service_code to look up.", retryable=False)
        body = self._call("GET", f"services/{quote(code, safe='')}.json", params=self._params())
        if isinstance(body, list) and len(body) == 1:
            body = body[0]  # some servers wrap the definition in a list
        if not isinstance(body, dict) or not isinstance(body.get("attributes", []), list):
            raise GeoReportError("The service definition is not an object with a list of attributes.", retryable=True)
        return body

    # --- plumbing -------------------------------------------------------------------------------

    def _params(self) -> dict[str, str]:
        return {"jurisdiction_id": self.jurisdiction_id} if self.jurisdiction_id else {}

    def _host(self) -> str:
        return urlsplit(self.endpoint).netloc

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.endpoint + path
        try:
            response = self.session.request(
                method,
                url,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/json", "User-Agent": USER_AGENT},
                **kwargs,
            )
        except requests.Timeout as error:
            raise GeoReportError(f"Timed out ({type(error).__name__}).", retryable=True) from None
        except requests.RequestException as error:
            raise GeoReportError(f"Could not connect ({type(error).__name__}).", retryable=True) from None
        with response:
            try:
                raw = _read_limited(response)
            except requests.Timeout:
                raise GeoReportError("Timed out reading the answer.", retryable=True) from None
            except requests.RequestException as error:
                raise GeoReportError(f"The answer was cut off ({type(error).__name__}).", retryable=True) from None
        status = response.status_code
        logger.info("%s %s%s → %s", method, self._host(), urlsplit(url).path, status)
        if status == 429 or status >= 500:
            raise GeoReportError(f"HTTP {status}: {_error_text(raw)}", retryable=True, status=status)
        if 300 <= status < 400:
            raise GeoReportError(f"HTTP {status}: redirected; check the endpoint.", retryable=False, status=status)
        if status >= 400:
            raise GeoReportError(f"HTTP {status}: {_error_text(raw)}", retryable=False, status=status)
        if not 200 <= status < 300:
            raise GeoReportError(f"HTTP {status}: unexpected status.", retryable=True, status=status)
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise GeoReportError("The answer is not JSON.", retryable=True, status=status) from None


def _read_limited(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise GeoReportError("The answer is too large.", retryable=True, status=response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


def _error_text(raw: bytes) -> str:
    """The `description`s of a GeoReport error list, or the start of whatever text came back."""
    text = raw.decode("utf-8", errors="replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        body = [body]
    if isinstance(body, list):
        descriptions = [
            str(item.get("description"))
            for item in body
            if isinstance(item, dict) and item.get("description") not in (None, "")
        ]
        if descriptions:
            text = "; ".join(descriptions)
    text = " ".join(text.replace("\x00", "").split())
    return text[:MAX_ERROR_CHARS] or "no explanation given"


def _only_item(body: Any, what: str) -> dict:
    """GeoReport answers a POST and a token with a list of one object (some servers send the object)."""
    if isinstance(body, list):
        if len(body) != 1:
            raise GeoReportError(f"{what} answered with {len(body)} entries instead of one.", retryable=True)
        body = body[0]
    if not isinstance(body, dict):
        raise GeoReportError(f"{what} did not answer with an object.", retryable=True)
    return body


def _identifier(value: Any, name: str) -> str:
    """An id or token: a short string (or integer) of printable characters; None and "" mean none."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise GeoReportError(f"{name} is not a string.", retryable=True)
    text = str(value).strip()
    if len(text) > MAX_ID_CHARS or not text.isprintable():
        raise GeoReportError(f"{name} is not a usable identifier.", retryable=True)
    return text


def parse_datetime(value: Any) -> dt.datetime | None:
    """A W3C timestamp with a zone (`Z` and fractional seconds accepted); None when absent or unusable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _remote_request(item: Any) -> RemoteRequest | None:
    if not isinstance(item, dict):
        return None
    try:
        service_request_id = _identifier(item.get("service_request_id"), "service_request_id")
    except GeoReportError:
        return None
    status = item.get("status")
    if not service_request_id or not isinstance(status, str) or status.strip().lower() not in ("open", "closed"):
        return None
    notes = item.get("status_notes")
    code = item.get("service_code")
    return RemoteRequest(
        service_request_id=service_request_id,
        status=status.strip().lower(),
        status_notes=notes.replace("\x00", "").strip() if isinstance(notes, str) else "",
        updated_datetime=parse_datetime(item.get("updated_datetime")),
        service_code=code if isinstance(code, str) else "",
    )
