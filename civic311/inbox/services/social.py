"""The social door: posts about the city into the inbox, and the agents' replies out through the social outbox.

A post from any source (`inbox.post_sources`: the signed webhook, a feed, a CSV import, Mastodon, Bluesky)
is one message: its URI is its id (the same post read twice is one message), its author's handle the sender,
its place, link and media kept; a reply to a post we have joins that post's conversation. An agent's reply
is a row of the social outbox (`social.services.queue_post`) answering the item's latest post, from the
source's account, written in the reply's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civic311.social import services as social_outbox
from civic311.social.models import Network, OutboundPost

from ..languages import guess_language
from ..models import InboxChannel, InboxItem, InboxMessage, PostSource
from .receiving import Incoming, Receipt, latest_answerable, receive

SUBJECT_CHARS = 80


class Post(Protocol):
    """What this door reads of a post: `inbox.post_sources.Post`, which every source makes. (Named here by its
    shape, not imported: the sources import this door, and the inbox's modules import each other one way.)"""

    @property
    def uri(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def author_handle(self) -> str: ...
    @property
    def author_name(self) -> str: ...
    @property
    def posted_at(self) -> dt.datetime | None: ...
    @property
    def link(self) -> str: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def long(self) -> float | None: ...
    @property
    def media_urls(self) -> tuple[str, ...]: ...
    @property
    def in_reply_to(self) -> str: ...


@dataclass(frozen=True)
class Received:
    """What a batch of posts did: new messages, and posts that were received before."""

    received: int
    duplicates: int


def _subject(text: str) -> str:
    first_line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return first_line if len(first_line) <= SUBJECT_CHARS else first_line[: SUBJECT_CHARS - 1] + "…"


def _http_url(value: object) -> str:
    """`value` if it is an http(s) URL, else "" (`post_sources.fetching.http_url`'s rule, not imported from
    there: the sources' package calls this module)."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    return value if value.lower().startswith(("https://", "http://")) and len(value) <= 500 else ""


def incoming_of(source: PostSource, post: Post) -> Incoming:
    return Incoming(
        channel=InboxChannel.SOCIAL,
        external_id=post.uri,
        sender=post.author_handle,
        sender_name=post.author_name,
        subject=_subject(post.text),
        body=post.text,
        received_at=post.posted_at,
        in_reply_to=[post.in_reply_to] if post.in_reply_to else [],
        language=guess_language(post.text),
        network=source.network,
        # Only http(s) URLs, whatever the source checked: the console renders these as links, where a
        # "javascript:" or "data:" URL would run in the agent's session.
        link=_http_url(post.link),
        lat=post.lat,
        long=post.long,
        media_urls=[url for url in map(_http_url, post.media_urls) if url],
        source=source,
    )


def receive_post(source: PostSource, post: Post, *, now: dt.datetime | None = None) -> Receipt:
    """Land one post in the source's city's inbox. ValidationError for what cannot be stored, Flooded for an
    author over the limit; both write nothing. A post received before: `created=False`, nothing written."""
    with transaction.atomic():
        return receive(source.jurisdiction, incoming_of(source, post), now=now)


def receive_posts(source: PostSource, posts: Sequence[Post], *, now: dt.datetime | None = None) -> Received:
    """A batch (a webhook call, a CSV file) all or nothing: one refused post (Flooded, ValidationError)
    rolls the whole batch back and is raised."""
    created = 0
    with transaction.atomic():
        for post in posts:
            created += int(receive_post(source, post, now=now).created)
    return Received(received=created, duplicates=len(posts) - created)


def send_reply(item: InboxItem, message: InboxMessage) -> None:
    """Write the reply's row in the social outbox (inside the caller's transaction): on the item's network,
    from its source's account, in reply to the item's latest post. ValidationError (nothing is sent) for an
    item whose source names no network, or a text too long for the network."""
    source = item.source
    network = item.network or (source.network if source is not None else "")
    if network not in Network.values:
        raise ValidationError(
            {"text": _("Replies cannot be posted from here: this post's source names no social network.")}
        )
    latest = latest_answerable(item)
    dedup_key = f"inbox-reply:{message.pk}"
    queued = social_outbox.queue_post(
        item.jurisdiction,
        network,
        message.body,
        dedup_key=dedup_key,
        account=(source.account or None) if source is not None else None,
        in_reply_to=latest.external_id if latest is not None else "",
    )
    message.outbound_post = queued or OutboundPost.objects.get(dedup_key=dedup_key)


def requester_handle(item: InboxItem) -> str:
    """The requester of a request filed from a post: "network:handle" (the author's handle, nothing else)."""
    handle = item.sender.strip()
    network = item.network or (item.source.network if item.source is not None else "")
    return f"{network}:{handle}"[:200] if network else handle[:200]
