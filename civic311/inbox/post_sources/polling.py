"""Polling every active feed, Mastodon and Bluesky source whose interval has passed (the periodic task).

Each source is read through its `PostStream`; the posts go to `services.social.receive_post` one by one (a
post read twice is one message, so a poll cut short and repeated loses and doubles nothing), then the new
cursor, the time and the error (a short reason, never personal data) are stored on the source. A source that
fails never stops the others: `poll_all` never raises.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from ..models import PostSource
from ..services import social
from ..services.receiving import Flooded
from . import PostStream
from .bluesky import BlueskyStream
from .feeds import FeedStream
from .fetching import SourceError
from .mastodon import MastodonStream

logger = logging.getLogger(__name__)

Kind = PostSource.Kind

STREAMS: dict[str, type[PostStream]] = {
    Kind.FEED: FeedStream,
    Kind.MASTODON: MastodonStream,
    Kind.BLUESKY: BlueskyStream,
}
# A little less than the interval, so that a periodic task every five minutes polls every time.
SLACK = dt.timedelta(seconds=30)


def interval() -> dt.timedelta:
    """How often a source is read: CIVIC311_POST_POLL_MINUTES (default 5)."""
    return dt.timedelta(minutes=int(getattr(settings, "CIVIC311_POST_POLL_MINUTES", 5)))


def due_sources(now: dt.datetime) -> list[PostSource]:
    cutoff = now - interval() + SLACK
    return list(
        PostSource.objects.filter(is_active=True, kind__in=list(STREAMS))
        .filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=cutoff))
        .select_related("jurisdiction")
        .order_by("pk")
    )


def poll(source: PostSource, *, now: dt.datetime | None = None) -> int:
    """Read one source now; returns how many new posts were received. Records the error instead of raising."""
    now = now or timezone.now()
    received = 0
    error = ""
    try:
        posts, cursor = STREAMS[source.kind]().read(source, now=now)
        for post in posts:
            try:
                receipt = social.receive_post(source, post, now=now)
            except Flooded:
                error = "some posts refused: too many from one author"
                continue
            except ValidationError:
                error = "some posts could not be stored"
                continue
            received += int(receipt.created)
        source.cursor = cursor
    except SourceError as failure:
        error = str(failure)
    except Exception as failure:  # noqa: BLE001 - a bad source must never stop the others; logged by type only
        error = f"unexpected error ({type(failure).__name__})"
        logger.warning("post source %s: unexpected %s", source.pk, type(failure).__name__)
    source.last_polled_at = now
    source.last_error = error[:300]
    source.save(update_fields=["cursor", "last_polled_at", "last_error"])
    if error:
        logger.info("post source %s (%s): %s", source.pk, source.kind, error)
    return received


def poll_all(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    total = 0
    for source in due_sources(now):
        try:
            total += poll(source, now=now)
        except Exception as failure:  # noqa: BLE001 - the database failed saving one source; go on with the next
            logger.warning("post source %s: not recorded (%s)", source.pk, type(failure).__name__)
    return total
