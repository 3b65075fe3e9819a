"""A Mastodon server's public hashtag timeline (`GET /api/v1/timelines/tag/<tag>`); no account needed.

The cursor keeps the newest status id read (`since_id`), sent as `min_id` so the next poll reads the statuses
right after it, oldest first, without the gap `since_id` leaves when more than a page arrived between two
polls. A status's `in_reply_to_id` is an id local to the server; the cursor keeps the recent ids → URIs so that
a reply to a post read before threads onto it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from . import Post, fetching

if TYPE_CHECKING:
    from ..models import PostSource

PAGE = 40  # Mastodon's largest page
MAX_IDS = 500  # local ids → URIs kept in the cursor


def _tag(query: str) -> str:
    tag = (query or "").strip().lstrip("#").split()
    if not tag:
        raise fetching.SourceError("no hashtag set")
    return quote(tag[0], safe="")


def _handle(account: dict[str, Any], server: str) -> str:
    acct = str(account.get("acct") or account.get("username") or "").strip().lstrip("@")
    if not acct:
        return ""
    return f"@{acct}" if "@" in acct else f"@{acct}@{server}"


def _id_number(value: object) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def status_post(status: dict[str, Any], server: str, known: dict[str, str]) -> Post | None:
    uri = str(status.get("uri") or status.get("url") or "").strip()
    account = fetching.as_dict(status.get("account"))
    handle = _handle(account, server)
    text = fetching.text_of_html(str(status.get("content") or ""))
    if not uri or not handle or not text:
        return None
    attachments = fetching.as_list(status.get("media_attachments"))
    parent = str(status.get("in_reply_to_id") or "")
    return Post(
        uri=uri[:500],
        text=text,
        author_handle=handle[:200],
        author_name=str(account.get("display_name") or "")[:200],
        posted_at=fetching.parse_datetime(str(status.get("created_at") or "")),
        link=fetching.http_url(status.get("url")),
        media_urls=fetching.media([item.get("url") for item in attachments if isinstance(item, dict)]),
        in_reply_to=known.get(parent, ""),
    )


class MastodonStream:
    """`PostStream` of the hashtag `source.query` on the Mastodon server at `source.url`."""

    def read(self, source: PostSource, *, now: dt.datetime) -> tuple[list[Post], dict[str, Any]]:
        cursor = dict(source.cursor or {})
        base = source.url.rstrip("/")
        server = urlsplit(base).hostname or ""
        params = {"limit": str(PAGE)}
        if cursor.get("since_id"):
            params["min_id"] = str(cursor["since_id"])
        fetched = fetching.get(f"{base}/api/v1/timelines/tag/{_tag(source.query)}", params=params)
        try:
            statuses = json.loads(fetched.content)
        except ValueError as error:
            raise fetching.SourceError("not a Mastodon timeline") from error
        if not isinstance(statuses, list):
            raise fetching.SourceError("not a Mastodon timeline")
        statuses = [status for status in statuses if isinstance(status, dict)]
        statuses.sort(key=lambda status: _id_number(status.get("id")))  # oldest first: a reply after its post
        known: dict[str, str] = dict(cursor.get("ids", {}))
        newest = previous = _id_number(cursor.get("since_id"))
        posts: list[Post] = []
        for status in statuses:
            number = _id_number(status.get("id"))
            if previous and number <= previous:
                continue  # read before
            post = status_post(status, server, known)
            if number:
                newest = max(newest, number)
            if post is None:
                continue
            if number:
                known[str(number)] = post.uri
            posts.append(post)
        ids = dict(list(known.items())[-MAX_IDS:])
        return posts, {**cursor, "since_id": str(newest) if newest else "", "ids": ids}
