"""What every polled source shares: one bounded HTTP GET, a short error, HTML made plain text, dates.

`requests` with a connect and a read timeout, a size limit read in chunks (a feed that never ends is cut
off), and errors as a short reason with no personal data (the HTTP status, "timed out"), which the poll
records on the source as `last_error`.
"""

from __future__ import annotations

import datetime as dt
import html.parser
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from requests.structures import CaseInsensitiveDict

TIMEOUT = (5, 20)  # seconds to connect, seconds between bytes
MAX_BYTES = 2 * 1024 * 1024
MAX_TEXT = 5000  # characters of a post's text kept
MAX_MEDIA = 10


class SourceError(Exception):
    """A source could not be read; the message is short and safe to store (no personal data)."""


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: Mapping[str, str]
    content: bytes


def user_agent() -> str:
    return str(getattr(settings, "CIVIC311_POST_SOURCES_USER_AGENT", "civic311 (social listening)"))


def get(url: str, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None) -> Fetched:
    """GET `url`; a 304 is returned as is, any other status but 200 raises SourceError."""
    sent = {"User-Agent": user_agent(), **(headers or {})}
    try:
        with requests.get(url, params=params, headers=sent, timeout=TIMEOUT, stream=True, allow_redirects=True) as r:
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
    except requests.Timeout as error:
        raise SourceError("timed out") from error
    except requests.RequestException as error:
        raise SourceError(f"connection failed ({type(error).__name__})") from error


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
