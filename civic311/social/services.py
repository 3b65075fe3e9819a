"""The social outbox: queue a post once (dedup key), deliver it through the job queue with retries.

The same pattern as the notification outbox (civic311.notifications.services): a row per post, made with
a unique dedup key so an event processed twice posts once; a send job queued when the row's transaction
commits; a worker claims the row with one conditional UPDATE and a lease (civic311.leases) before posting,
so of several workers exactly one posts; a failure worth retrying waits with exponential backoff
(civic311.backoff); a sweep every minute re-queues what is due (a retry whose time has come, a claim whose
worker died), so a post is never lost with a worker. Logs carry the row's reference and network only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311 import backoff, leases
from civic311.jurisdictions.models import Jurisdiction

from . import providers
from .models import Network, OutboundPost

logger = logging.getLogger(__name__)

State = OutboundPost.State
LEASE = leases.LEASE
SWEEP_LIMIT = 500
# Used when CIVIC311_SOCIAL_ACCOUNTS is not set: the demo city posts (to the file backend) everywhere.
DEMO_ACCOUNTS = {Network.X.value: "@civic311", Network.FACEBOOK.value: "civic311",
                 Network.NEXTDOOR.value: "civic311"}


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


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def reference_for(dedup_key: str) -> str:
    return hashlib.sha256(f"social:{dedup_key}".encode()).hexdigest()[:32]


def queue_post(jurisdiction: Jurisdiction, network: str, text: str, *, dedup_key: str,
               account: str | None = None) -> OutboundPost | None:
    """Put one post in the outbox and queue its delivery once this transaction commits.

    Refuses (ValidationError, nothing written) a network civic311 does not know or a text too long for it.
    Returns None when a post with this dedup key exists already (the event was processed before)."""
    if network not in Network.values:
        raise ValidationError({"network": _("Choose one of the networks.")})
    dedup_key = dedup_key[:255]
    post = OutboundPost(jurisdiction=jurisdiction, network=network,
                        account=account if account is not None else accounts().get(network, ""),
                        text=text, dedup_key=dedup_key, reference=reference_for(dedup_key),
                        next_attempt_at=timezone.now())
    post.clean()
    try:
        with transaction.atomic():
            post.save(force_insert=True)
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _enqueue(post.pk))
    return post


def _enqueue(post_id: int, *, run_after: dt.datetime | None = None) -> None:
    from . import tasks

    task = tasks.send_post.using(run_after=run_after) if run_after else tasks.send_post
    task.enqueue(post_id)


def _claimable(now: dt.datetime) -> Q:
    return (Q(state=State.QUEUED) & leases.due("next_attempt_at", now)
            & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)))


def backoff_delay(attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt (the notification outbox's settings)."""
    return backoff.backoff_delay(
        attempts, base=dt.timedelta(seconds=_setting("NOTIFICATIONS_BACKOFF_BASE_SECONDS", 60)),
        cap=dt.timedelta(seconds=_setting("NOTIFICATIONS_BACKOFF_CAP_SECONDS", 7200)), rng=rng)


def max_attempts() -> int:
    return _setting("CIVIC311_SOCIAL_MAX_ATTEMPTS", _setting("NOTIFICATIONS_MAX_ATTEMPTS", 8))


def deliver(post_id: int, *, now: dt.datetime | None = None) -> str:
    """Post one row if it is due and nobody else holds it. Returns what happened."""
    now = now or timezone.now()
    if not leases.claim(OutboundPost.objects.filter(_claimable(now), pk=post_id),
                        lease_field="claimed_until", until=now + LEASE):
        return "not due"
    post = OutboundPost.objects.get(pk=post_id)
    try:
        provider_id = providers.backend().post(post.network, post.account, post.text, post.reference)
    except providers.Permanent as error:
        return _failed(post, str(error), now, retry=False)
    except providers.Transient as error:
        return _failed(post, str(error), now, retry=True)
    except OSError as error:
        return _failed(post, type(error).__name__, now, retry=True)
    except Exception as error:  # a bug or an unexpected library error: retried, never silently lost
        logger.exception("social post %s: unexpected error while posting", post.reference)
        return _failed(post, type(error).__name__, now, retry=True)
    marked = OutboundPost.objects.filter(pk=post.pk, state=State.QUEUED).update(
        state=State.SENT, sent_at=timezone.now(), claimed_until=None, provider_id=str(provider_id)[:200],
        last_error="")
    logger.info("social post %s (%s) sent", post.reference, post.network)
    return "sent" if marked else "already marked"


def _failed(post: OutboundPost, reason: str, now: dt.datetime, *, retry: bool) -> str:
    rows = OutboundPost.objects.filter(pk=post.pk, state=State.QUEUED)
    if retry and post.attempts < max_attempts():
        next_attempt_at = now + backoff_delay(post.attempts)
        rows.update(claimed_until=None, next_attempt_at=next_attempt_at, last_error=reason[:500])
        logger.warning("social post %s (%s): attempt %d failed (%s); next at %s", post.reference, post.network,
                       post.attempts, reason, next_attempt_at.isoformat(timespec="seconds"))
        _enqueue(post.pk, run_after=next_attempt_at)
        return "retry"
    rows.update(state=State.FAILED, claimed_until=None, next_attempt_at=None, last_error=reason[:500])
    logger.warning("social post %s (%s): gave up after %d attempts (%s)", post.reference, post.network,
                   post.attempts, reason)
    return "failed"


def sweep_due(*, now: dt.datetime | None = None) -> int:
    """Every minute: queue every post whose retry is due or whose worker's claim expired."""
    now = now or timezone.now()
    due = list(OutboundPost.objects.filter(_claimable(now)).order_by("next_attempt_at", "pk")
               .values_list("pk", flat=True)[:SWEEP_LIMIT])
    for post_id in due:
        _enqueue(post_id)
    return len(due)


def retry_now(post: OutboundPost) -> bool:
    """Staff asked for another try of a failed post: it starts the backoff schedule again."""
    changed = OutboundPost.objects.filter(pk=post.pk, state=State.FAILED).update(
        state=State.QUEUED, attempts=0, next_attempt_at=timezone.now(), claimed_until=None)
    if changed:
        _enqueue(post.pk)
    return bool(changed)
