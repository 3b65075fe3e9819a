"""Social media streams behind one interface.

Every source kind turns what it reads into `Post`s, which `inbox.services.social.receive_post` lands in the
inbox. The polled kinds (an RSS/Atom feed, a Mastodon hashtag, a Bluesky search) implement `PostStream`:
`read(source, now=...)` returns the posts that are new since `source.cursor` and the cursor to keep. The
pushed kinds are the signed JSON webhook (`webhook.py`, behind `inbox.post_hooks`) and the CSV import
(`csv_import.py`, a management command and a console page). `polling.poll_all` reads every polled source.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..models import PostSource


@dataclasses.dataclass(frozen=True)
class Post:
    """One post about the city, as any source reads it."""

    uri: str  # the post's own id on its network (at://..., a status URL, a feed entry's id); unique per source
    text: str
    author_handle: str  # "@ana@mastodon.social", "ana.bsky.social"
    author_name: str = ""
    posted_at: dt.datetime | None = None
    link: str = ""  # where a person reads the post
    lat: float | None = None
    long: float | None = None
    media_urls: tuple[str, ...] = ()
    in_reply_to: str = ""  # the uri of the post this one answers


class PostStream(Protocol):
    """A polled source: what is new since the source's cursor, and the cursor to keep."""

    def read(self, source: PostSource, *, now: dt.datetime) -> tuple[list[Post], dict[str, Any]]: ...
