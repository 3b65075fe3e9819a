"""The social outbox: queue a post once (dedup key), deliver it through the job queue with retries.

The shared outbox (civic311.outbox), as for notifications (civic311.notifications.services): a row per
post, made with a unique dedup key so an event processed twice posts once; a send job queued when the
row's transaction commits; a worker claims the row with one conditional UPDATE and a lease
(civic311.leases) before posting, so of several workers exactly one posts; a failure worth retrying waits
with exponential backoff (civic311.backoff); a sweep every minute re-queues what is due (a retry whose time
has come, a claim whose worker died), so a post is never lost with a worker. Logs carry the row's
reference and network only.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from civic311 import leases, outbox
from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications import services as notifications

from . import providers
from .models import Network, OutboundPost

logger = logging.getLogger(__name__)

State = OutboundPost.State
LEASE = leases.LEASE
SWEEP_LIMIT = 500
# Used when CIVIC311_SOCIAL_ACCOUNTS is not set: the demo city posts (to the file backend) everywhere.
DEMO_ACCOUNTS = {Network.X.value: "@civic311", Network.FACEBOOK.value: "civic311", Network.NEXTDOOR.value: "civic311"}


def accounts() -> dict[str, str]:
    """The city's accounts, network → account name, from CIVIC311_SOCIAL_ACCOUNTS.

    The setting is a dict ({"x": "@phl311"}) or a string "x=@phl311,facebook=Philly311"; networks that
    civic311 does not know are left out. An empty string or dict means no social posts at all."""
    configured: Any = getattr(settings, "CIVIC311_SOCIAL_ACCOUNTS", None)
    if configured is None:
        configured = DEMO_ACCOUNTS
    if isinstance(configured, str):
        pairs = (item.partition("=") for item in configured.split(",") if item.strip())
        configured = {network.strip(): account.strip() for network, _sep, account in pairs}
    return {network: str(account) for network, account in dict(configured).items() if network in Network.values}


def reference_for(dedup_key: str) -> str:
    return outbox.reference_for(dedup_key, namespace="social:")


def queue_post(
    jurisdiction: Jurisdiction,
    network: str,
    text: str,
    *,
    dedup_key: str,
    account: str | None = None,
    in_reply_to: str = "",
) -> OutboundPost | None:
    """Put one post in the outbox and queue its delivery once this transaction commits. `in_reply_to`: the
    network's id (URI) of the post this one answers (an agent's reply from the inbox).

    Refuses (ValidationError, nothing written) a network civic311 does not know or a text too long for it.
    Returns None when a post with this dedup key exists already (the event was processed before)."""
    if network not in Network.values:
        raise ValidationError({"network": _("Choose one of the networks.")})
    dedup_key = dedup_key[:255]
    post = OutboundPost(
        jurisdiction=jurisdiction,
        network=network,
        account=account if account is not None else accounts().get(network, ""),
        text=text,
        in_reply_to=(in_reply_to or "")[:500],
        dedup_key=dedup_key,
        reference=reference_for(dedup_key),
        next_attempt_at=timezone.now(),
    )
    post.clean()
    return OUTBOX.add(post)


@task()
def send_post(post_id: int) -> str:
    """The job that delivers one social post; a no-op if it is not due or another worker holds it. Defined
    here, beside the outbox that queues it, so that nothing here imports the periodic sweep (`tasks`)."""
    return deliver(post_id)


def _enqueue(post_id: int, *, run_after: dt.datetime | None = None) -> None:
    outbox.enqueue_task(send_post, post_id, run_after)


def max_attempts() -> int:
    return int(getattr(settings, "CIVIC311_SOCIAL_MAX_ATTEMPTS", settings.NOTIFICATIONS_MAX_ATTEMPTS))


def _post(post: OutboundPost) -> str:
    backend = providers.backend()
    if post.in_reply_to:
        return backend.post(post.network, post.account, post.text, post.reference, in_reply_to=post.in_reply_to)
    return backend.post(post.network, post.account, post.text, post.reference)


def _describe(post: OutboundPost) -> str:
    return f"social post {post.reference} ({post.network})"


# No SENDING state: a claimed post stays queued, held by claimed_until alone. Retries wait as the
# notification outbox's do (its settings).
OUTBOX = outbox.Outbox(
    model=OutboundPost,
    waiting=State.QUEUED,
    sending=None,
    enqueue=_enqueue,
    send=_post,
    max_attempts=max_attempts,
    backoff=notifications.backoff_delay,
    describe=_describe,
    logger=logger,
    quiet_errors=(OSError,),
    lease=LEASE,
    sent=State.SENT,
    failed=State.FAILED,
)


def deliver(post_id: int, *, now: dt.datetime | None = None) -> str:
    """Post one row if it is due and nobody else holds it. Returns what happened."""
    return OUTBOX.deliver(post_id, now=now)


def sweep_due(*, now: dt.datetime | None = None) -> int:
    """Every minute: queue every post whose retry is due or whose worker's claim expired."""
    return OUTBOX.sweep_due(now=now, limit=SWEEP_LIMIT)


def retry_now(post: OutboundPost) -> bool:
    """Staff asked for another try of a failed post: it starts the backoff schedule again."""
    return OUTBOX.retry_now(post)
