"""What every polled source shares: one bounded HTTP GET, a short error, HTML made plain text, dates.

`requests` with a connect and a read timeout, a size limit read in chunks (a feed that never ends is cut
off), and errors as a short reason with no personal data (the HTTP status, "timed out"), which the poll
records on the source as `last_error`.
"""

from __future__ import annotations

import datetime as dt
import html.parser
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection
from django.conf import settings
from requests.structures import CaseInsensitiveDict

TIMEOUT = (5, 20)  # seconds to connect, seconds between bytes
MAX_BYTES = 2 * 1024 * 1024
MAX_TEXT = 5000  # characters of a post's text kept
MAX_MEDIA = 10
MAX_REDIRECTS = 5


class SourceError(Exception):
    """A source could not be read; the message is short and safe to store (no personal data)."""


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: Mapping[str, str]
    content: bytes


def user_agent() -> str:
    return str(getattr(settings, "CIVIC311_POST_SOURCES_USER_AGENT", "civic311 (social listening)"))


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (a seam the tests replace: nothing reaches the network)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """SourceError unless `url` may be fetched: http(s), no credentials in it, and a host whose every address
    is a public one. A feed or a Mastodon server is a URL a city's manager types, and a redirect is the remote
    server's choice: neither may make the server read its own loopback, the private network or the cloud's
    metadata address (server-side request forgery). Settings CIVIC311_POST_SOURCES_ALLOW_PRIVATE = True lifts
    the address check (a city reading its own intranet's feed)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise SourceError("not a valid URL") from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise SourceError("not an http(s) URL")
    if getattr(settings, "CIVIC311_POST_SOURCES_ALLOW_PRIVATE", False):
        return
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        raise SourceError("host not found") from None
    if not addresses or not all(_public(address) for address in addresses):
        raise SourceError("not a public address")


class _NotPublic(SourceError):
    pass


def _checked_socket(sock: socket.socket) -> socket.socket:
    """The connection's socket, if the address it reached is a public one (else closed, and refused)."""
    if getattr(settings, "CIVIC311_POST_SOURCES_ALLOW_PRIVATE", False):
        return sock
    try:
        peer = str(sock.getpeername()[0])
    except OSError:
        peer = ""
    if not _public(peer):
        sock.close()
        raise _NotPublic("not a public address")
    return sock


class _CheckedHTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked_socket(super()._new_conn())


class _CheckedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked_socket(super()._new_conn())


class _CheckedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(requests.adapters.HTTPAdapter):
    """Checks the address each connection actually reached, before anything is sent on it: the name may
    resolve differently for the connection than it did for `check_url` (DNS rebinding)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def get(url: str, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None) -> Fetched:
    """GET `url` (only a public http(s) address, redirects checked hop by hop: `check_url`); a 304 is returned
    as is, any other status but 200 raises SourceError."""
    sent = {"User-Agent": user_agent(), **(headers or {})}
    session = requests.Session()
    session.mount("http://", _CheckedAdapter())
    session.mount("https://", _CheckedAdapter())
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(url)
            with session.get(
                url, params=params, headers=sent, timeout=TIMEOUT, stream=True, allow_redirects=False
            ) as r:
                if r.is_redirect:
                    url = urljoin(r.url or url, r.headers.get("Location", ""))
                    params = None  # the redirect's URL carries its own query
                    continue
                return _read(r)
        raise SourceError("too many redirects")
    except requests.Timeout as error:
        raise SourceError("timed out") from error
    except requests.RequestException as error:
        raise SourceError(f"connection failed ({type(error).__name__})") from error
    finally:
        session.close()


def _read(r: requests.Response) -> Fetched:
    if r.status_code == 304:
        return Fetched(304, CaseInsensitiveDict(r.headers), b"")
    if r.status_code != 200:
        raise SourceError(f"HTTP {r.status_code}")
    declared = r.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise SourceError("response too large")
    chunks: list[bytes] = []
    size = 0
    for chunk in r.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_BYTES:
            raise SourceError("response too large")
        chunks.append(chunk)
    return Fetched(200, CaseInsensitiveDict(r.headers), b"".join(chunks))


class _TextOfHtml(html.parser.HTMLParser):
    """The text of a post's HTML (Mastodon's content, a feed's summary): paragraphs and line breaks kept as
    new lines, every tag dropped, entities decoded. The standard library's parser is enough for this, so no
    sanitiser is needed: nothing of the HTML is kept."""

    BREAKS = frozenset({"br", "p", "div", "li", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BREAKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of_html(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup or "")
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    text = "\n".join(line for line in lines if line)
    return clean_text(text)


def clean_text(text: str) -> str:
    return (text or "").replace("\x00", "").strip()[:MAX_TEXT]


def parse_datetime(value: str) -> dt.datetime | None:
    """An ISO 8601 time (Mastodon's, Bluesky's, a webhook's) in UTC; None when it is not one."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())  # 3.11 reads "Z"
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def http_url(value: object) -> str:
    """`value` if it is an http(s) URL of a sane length, else ""."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    return value if value.startswith(("https://", "http://")) and len(value) <= 500 else ""


def media(urls: object) -> tuple[str, ...]:
    kept = [http_url(url) for url in (urls if isinstance(urls, list | tuple) else [])]
    return tuple(url for url in kept if url)[:MAX_MEDIA]


def as_dict(value: object) -> dict[str, Any]:
    """`value` if an API gave an object there, else an empty one (a JSON body is never trusted to be right)."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
