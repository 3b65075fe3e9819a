"""A Bluesky search (`app.bsky.feed.searchPosts` on the public AppView, https://public.api.bsky.app).

Newest posts first (`sort=latest`); the cursor keeps the newest post's time (sent as `since`) and the URIs
read at that time, so a poll returns only posts newer than the last one read. A post's link is its page on
bsky.app; its images (an `images` embed, or the media of a quote with media) are its media.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from . import Post, fetching

if TYPE_CHECKING:
    from ..models import PostSource

PAGE = 50
DEFAULT_URL = "https://public.api.bsky.app"


def _images(embed: object) -> list[str]:
    if not isinstance(embed, dict):
        return []
    kind = str(embed.get("$type", ""))
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return _images(embed.get("media"))
    images = fetching.as_list(embed.get("images"))
    return [str(image.get("fullsize") or image.get("thumb") or "") for image in images if isinstance(image, dict)]


def web_link(uri: str, handle: str) -> str:
    """at://did/app.bsky.feed.post/rkey → https://bsky.app/profile/handle/post/rkey."""
    rkey = uri.rsplit("/", 1)[-1]
    return f"https://bsky.app/profile/{handle}/post/{rkey}" if uri.startswith("at://") and rkey else ""


def bsky_post(view: dict[str, Any]) -> Post | None:
    uri = str(view.get("uri") or "").strip()
    author = fetching.as_dict(view.get("author"))
    record = fetching.as_dict(view.get("record"))
    handle = str(author.get("handle") or "").strip().lstrip("@")
    text = fetching.clean_text(str(record.get("text") or ""))
    if not uri.startswith("at://") or not handle or not text:
        return None
    parent = fetching.as_dict(fetching.as_dict(record.get("reply")).get("parent"))
    return Post(
        uri=uri[:500],
        text=text,
        author_handle=f"@{handle}"[:200],
        author_name=str(author.get("displayName") or "")[:200],
        posted_at=fetching.parse_datetime(str(record.get("createdAt") or view.get("indexedAt") or "")),
        link=web_link(uri, handle),
        media_urls=fetching.media(_images(view.get("embed"))),
        in_reply_to=str(parent.get("uri") or "")[:500],
    )


class BlueskyStream:
    """`PostStream` of the search `source.query` on the Bluesky AppView at `source.url`."""

    def read(self, source: PostSource, *, now: dt.datetime) -> tuple[list[Post], dict[str, Any]]:
        cursor = dict(source.cursor or {})
        query = " ".join((source.query or "").split())
        if not query:
            raise fetching.SourceError("no search set")
        params = {"q": query, "sort": "latest", "limit": str(PAGE)}
        if cursor.get("newest"):
            params["since"] = str(cursor["newest"])
        base = (source.url or DEFAULT_URL).rstrip("/")
        fetched = fetching.get(f"{base}/xrpc/app.bsky.feed.searchPosts", params=params)
        try:
            body = json.loads(fetched.content)
        except ValueError as error:
            raise fetching.SourceError("not a Bluesky search result") from error
        views = body.get("posts") if isinstance(body, dict) else None
        if not isinstance(views, list):
            raise fetching.SourceError("not a Bluesky search result")
        newest = fetching.parse_datetime(str(cursor.get("newest", "")))
        seen = set(cursor.get("seen", []))
        posts = [post for post in (bsky_post(view) for view in views if isinstance(view, dict)) if post is not None]
        fresh = [
            post
            for post in posts
            if post.uri not in seen and (newest is None or post.posted_at is None or post.posted_at >= newest)
        ]
        fresh.sort(key=lambda post: post.posted_at or now)  # oldest first: a reply after its post
        latest = max([post.posted_at for post in posts if post.posted_at] + ([newest] if newest else []), default=None)
        at_latest = [post.uri for post in posts if latest is not None and post.posted_at == latest]
        if latest == newest:
            at_latest = list(dict.fromkeys([*cursor.get("seen", []), *at_latest]))
        new_cursor = {"newest": latest.isoformat().replace("+00:00", "Z") if latest else "", "seen": at_latest[-200:]}
        return fresh, new_cursor
