"""The signed JSON webhook: a city's own listening tool (or a vendor's) pushes posts to
`/inbox/hooks/posts/<token>/` (view: `inbox.post_hooks`).

Signature: `X-Civic311-Timestamp: <unix seconds>` and `X-Civic311-Signature: sha256=<hex>`, the HMAC-SHA256
with the source's signing secret of `"<timestamp>.<raw body>"`. Body:

    {"posts": [{"uri": "...", "text": "...", "author": {"handle": "@ana@example.social", "name": "Ana"},
                "posted_at": "2026-12-06T18:00:00Z", "link": "https://...",
                "location": {"lat": 39.95, "long": -75.16}, "media": ["https://..."], "in_reply_to": "..."}]}

`uri`, `text` and `author.handle` are required; the rest is optional. Every post is checked before any is
received: one bad post refuses the whole request (400), nothing written.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

from .. import signatures
from . import Post, fetching

MAX_BODY_BYTES = 512 * 1024
MAX_POSTS = 100
TIMESTAMP_HEADER = "X-Civic311-Timestamp"
SIGNATURE_HEADER = "X-Civic311-Signature"


class Malformed(ValueError):
    """The body is not what the webhook takes; the message says what is wrong (no post's content)."""


class TooMany(ValueError):
    """More posts in one request than MAX_POSTS."""


def signature_of(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + signatures.hmac_hex(secret, timestamp.encode("ascii", "replace") + b"." + body)


def signed(secret: str, timestamp: str, body: bytes, given: str) -> bool:
    """Whether `given` is the signature of the body at that time (constant-time). No secret: never."""
    return bool(secret) and signatures.same(signature_of(secret, timestamp, body), (given or "").strip())


def _text(value: object, field: str, *, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Malformed(_("%(field)s must be text.") % {"field": field})
    value = value.strip()
    if required and not value:
        raise Malformed(_("%(field)s is required.") % {"field": field})
    if len(value) > limit:
        raise Malformed(_("%(field)s is longer than %(limit)d characters.") % {"field": field, "limit": limit})
    if "\x00" in value:
        raise Malformed(_("%(field)s contains a NUL character.") % {"field": field})
    return value


def _coordinate(value: object, field: str, bound: float) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Malformed(_("%(field)s must be a number.") % {"field": field})
    try:
        number = float(value)
    except ValueError as error:
        raise Malformed(_("%(field)s must be a number.") % {"field": field}) from error
    if not -bound <= number <= bound:
        raise Malformed(_("%(field)s is out of range.") % {"field": field})
    return number


def post_of(data: object, index: int) -> Post:
    where = f"posts[{index}]"
    if not isinstance(data, dict):
        raise Malformed(_("%(field)s must be an object.") % {"field": where})
    author = data.get("author")
    if not isinstance(author, dict):
        raise Malformed(_("%(field)s must be an object.") % {"field": f"{where}.author"})
    location = data.get("location") or {}
    if not isinstance(location, dict):
        raise Malformed(_("%(field)s must be an object.") % {"field": f"{where}.location"})
    lat = _coordinate(location.get("lat"), f"{where}.location.lat", 90)
    long = _coordinate(location.get("long", location.get("lng")), f"{where}.location.long", 180)
    if (lat is None) != (long is None):
        raise Malformed(_("%(field)s needs both lat and long.") % {"field": f"{where}.location"})
    media = data.get("media") or []
    if not isinstance(media, list) or not all(isinstance(url, str) for url in media):
        raise Malformed(_("%(field)s must be a list of URLs.") % {"field": f"{where}.media"})
    posted = _text(data.get("posted_at"), f"{where}.posted_at", limit=40)
    posted_at = fetching.parse_datetime(posted) if posted else None
    if posted and posted_at is None:
        raise Malformed(_("%(field)s must be an ISO 8601 time.") % {"field": f"{where}.posted_at"})
    link = _text(data.get("link"), f"{where}.link", limit=500)
    if link and not fetching.http_url(link):
        raise Malformed(_("%(field)s must be an http(s) URL.") % {"field": f"{where}.link"})
    return Post(
        uri=_text(data.get("uri"), f"{where}.uri", limit=500, required=True),
        text=_text(data.get("text"), f"{where}.text", limit=fetching.MAX_TEXT, required=True),
        author_handle=_text(author.get("handle"), f"{where}.author.handle", limit=200, required=True),
        author_name=_text(author.get("name"), f"{where}.author.name", limit=200),
        posted_at=posted_at,
        link=link,
        lat=lat,
        long=long,
        media_urls=fetching.media(media),
        in_reply_to=_text(data.get("in_reply_to"), f"{where}.in_reply_to", limit=500),
    )


def parse(body: bytes) -> list[Post]:
    """The posts of a webhook body; Malformed or TooMany for a body that is not acceptable as a whole."""
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Malformed(_("The body is not JSON in UTF-8.")) from error
    if not isinstance(data, dict) or not isinstance(data.get("posts"), list):
        raise Malformed(_('The body must be an object with a list "posts".'))
    if len(data["posts"]) > MAX_POSTS:
        raise TooMany(_("At most %(max)d posts per request.") % {"max": MAX_POSTS})
    return [post_of(item, index) for index, item in enumerate(data["posts"])]
