"""An RSS or Atom feed of posts (a search's feed, a forum's, a news site's): feedparser reads what
`requests` fetched.

feedparser is handed the bytes (as a stream), never the URL, so it fetches nothing itself: our fetch has the
timeouts and the size limit. The cursor keeps the feed's ETag and Last-Modified (a conditional GET: 304, not
modified, reads nothing), the newest entry's time and the ids of the entries seen, so a poll returns only
entries newer than the last one read.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
from typing import TYPE_CHECKING, Any

import feedparser

from . import Post, fetching

if TYPE_CHECKING:
    from ..models import PostSource

MAX_ENTRIES = 100  # read per poll
MAX_SEEN = 500  # entry ids kept in the cursor


def _when(entry: Any) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if parsed:
            return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC)
    return None


def _place(entry: Any) -> tuple[float | None, float | None]:
    """GeoRSS: a point (`georss:point`, `geo:lat`/`geo:long`), which feedparser gives as GeoJSON (long, lat)."""
    where = entry.get("where") or {}
    if where.get("type") == "Point":
        try:
            long, lat = (float(value) for value in where.get("coordinates", ())[:2])
        except (TypeError, ValueError):
            return None, None
        if -90 <= lat <= 90 and -180 <= long <= 180:
            return lat, long
    return None, None


def _media(entry: Any) -> tuple[str, ...]:
    urls = [item.get("url", "") for item in entry.get("media_content", []) or []]
    urls += [item.get("url", "") for item in entry.get("media_thumbnail", []) or []]
    urls += [
        link.get("href", "")
        for link in entry.get("links", []) or []
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/")
    ]
    return fetching.media(list(dict.fromkeys(urls)))


def _text(entry: Any) -> str:
    title = fetching.text_of_html(entry.get("title", ""))
    summary = fetching.text_of_html(entry.get("summary", ""))
    if summary.startswith(title):
        return summary
    return fetching.clean_text("\n".join(part for part in (title, summary) if part))


def entry_post(entry: Any, source_name: str) -> Post | None:
    uri = str(entry.get("id") or entry.get("link") or "").strip()
    text = _text(entry)
    if not uri or not text:
        return None
    lat, long = _place(entry)
    return Post(
        uri=uri[:500],
        text=text,
        author_handle=str(entry.get("author") or source_name).strip()[:200],
        posted_at=_when(entry),
        link=fetching.http_url(entry.get("link", "")),
        lat=lat,
        long=long,
        media_urls=_media(entry),
    )


class FeedStream:
    """`PostStream` of an RSS or Atom feed at `source.url`."""

    def read(self, source: PostSource, *, now: dt.datetime) -> tuple[list[Post], dict[str, Any]]:
        cursor = dict(source.cursor or {})
        headers = {}
        if cursor.get("etag"):
            headers["If-None-Match"] = str(cursor["etag"])
        if cursor.get("modified"):
            headers["If-Modified-Since"] = str(cursor["modified"])
        fetched = fetching.get(source.url, headers=headers)
        if fetched.status == 304:
            return [], cursor
        parsed = feedparser.parse(io.BytesIO(fetched.content), response_headers=dict(fetched.headers))
        if parsed.get("bozo") and not parsed.get("entries"):
            raise fetching.SourceError("not an RSS or Atom feed")
        newest = fetching.parse_datetime(str(cursor.get("newest", "")))
        seen = set(cursor.get("seen", []))
        posts: list[Post] = []
        ids: list[str] = []
        latest = newest
        for entry in parsed.entries[:MAX_ENTRIES]:
            post = entry_post(entry, source.name)
            if post is None:
                continue
            ids.append(post.uri)
            if post.posted_at is not None and (latest is None or post.posted_at > latest):
                latest = post.posted_at
            if post.uri in seen:
                continue
            if newest is not None and post.posted_at is not None and post.posted_at < newest:
                continue  # older than what was read before (an edited feed, an entry re-ordered)
            posts.append(post)
        posts.sort(key=lambda post: post.posted_at or now)
        new_cursor = {
            "etag": fetched.headers.get("ETag", ""),
            "modified": fetched.headers.get("Last-Modified", ""),
            "newest": latest.isoformat() if latest else "",
            "seen": list(dict.fromkeys(ids + [uri for uri in cursor.get("seen", []) if uri not in ids]))[:MAX_SEEN],
        }
        return posts, new_cursor
