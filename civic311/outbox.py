"""The outbox pattern, once: a row per thing to send, claimed by one worker, retried with backoff.

Shared by the notification outbox (civic311.notifications.services) and the social outbox
(civic311.social.services). A row is made once (a unique dedup key); its send job is queued when the row's
transaction commits (`wake_on_commit`, which the transactional outbox of requests uses too); a worker
claims the row with one conditional UPDATE and a lease (civic311.leases) before it sends, so of several
workers exactly one sends; a failure worth retrying waits with backoff (civic311.backoff); a sweep
re-queues what is due (a retry whose time has come, a claim whose worker died), so nothing is lost with a
worker. Log lines name a row only by what `describe` gives (no personal data).

Written here rather than taken from a package: the outbox packages for Django relay to a message broker
(their rows are events for Kafka or RabbitMQ); ours are the messages themselves, sent by the job queue we
already run, and the pattern is these few functions over our own tables, which three outboxes share.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic311 import leases


class DeliveryError(Exception):
    """A send failed; the message is a short reason that never includes the recipient or the content."""


class Transient(DeliveryError):
    """Worth another try later (timeouts, rate limits, connection refused, a 4xx from SMTP, HTTP 5xx)."""


class Permanent(DeliveryError):
    """Will fail again the same way (the recipient or the text is refused, HTTP 4xx)."""


class OutboxRow(models.Model):
    """What every outbox row carries for its delivery (each outbox adds its content and its states)."""

    dedup_key = models.CharField(_("dedup key"), max_length=255, unique=True)
    # Stable for the row's life and passed to the provider, so a resend after a lost claim can be dropped.
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_id = models.CharField(_("provider id"), max_length=200, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        abstract = True


class Enqueue(Protocol):
    def __call__(self, pk: int, /, *, run_after: dt.datetime | None = None) -> None: ...


def reference_for(dedup_key: str, *, namespace: str = "") -> str:
    """A row's stable reference, derived from its dedup key: a resend carries the same one."""
    return hashlib.sha256(f"{namespace}{dedup_key}".encode()).hexdigest()[:32]


def wake_on_commit(enqueue: Callable[[int], object], pk: int, *, what: str, logger: logging.Logger) -> None:
    """Once this transaction commits, queue the job that handles row `pk`. The row is what must not be lost:
    if the job queue is down, the wake-up is logged and lost, the committed change is not turned into an
    error page, and the sweep handles the row later."""

    def wake() -> None:
        try:
            enqueue(pk)
        except Exception:
            logger.warning("%s %s: could not queue it; the sweep will", what, pk, exc_info=True)

    transaction.on_commit(wake)


def enqueue_task(task: Any, pk: int, run_after: dt.datetime | None = None) -> None:
    (task.using(run_after=run_after) if run_after else task).enqueue(pk)


@dataclass(frozen=True)
class Outbox:
    """One model's outbox. The model has state, attempts, next_attempt_at, claimed_until, sent_at,
    provider_id and last_error; `sent` and `failed` are its end states."""

    model: type[models.Model]
    waiting: str  # due to be sent (again)
    sending: str | None  # the state while claimed; None: the claim is `claimed_until` alone
    enqueue: Enqueue
    send: Callable[[Any], str]  # sends the row, returns the provider's id; raises Transient / Permanent
    max_attempts: Callable[[], int]  # called each time, so a changed setting counts
    backoff: Callable[[int], dt.timedelta]  # the wait after the n-th failed attempt
    describe: Callable[[Any], str]  # the row in log lines: reference and channel, never personal data
    logger: logging.Logger
    select_related: tuple[str, ...] = ()
    quiet_errors: tuple[type[Exception], ...] = ()  # retried under their type name, without a traceback
    lease: dt.timedelta = leases.LEASE
    sent: str = "sent"
    failed: str = "failed"

    @property
    def held(self) -> str:
        """The state of a claimed row."""
        return self.sending or self.waiting

    def add(self, row: Any) -> Any | None:
        """Insert a new row and queue its send once this transaction commits; None if its dedup key exists."""
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            return None
        wake_on_commit(self.enqueue, row.pk, what=self.model._meta.model_name or "row", logger=self.logger)
        return row

    def claimable(self, now: dt.datetime) -> Q:
        due = Q(state=self.waiting) & leases.due("next_attempt_at", now)
        if self.sending is not None:
            return due | Q(state=self.sending, claimed_until__lt=now)
        return due & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))

    def deliver(self, pk: int, *, now: dt.datetime | None = None) -> str:
        """Send one row if it is due and nobody else holds it. Returns what happened."""
        now = now or timezone.now()
        changes = {"state": self.sending} if self.sending is not None else {}
        if not leases.claim(
            self.model._default_manager.filter(self.claimable(now), pk=pk),
            lease_field="claimed_until",
            until=now + self.lease,
            **changes,
        ):
            return "not due"
        row = self.model._default_manager.select_related(*self.select_related).get(pk=pk)
        try:
            provider_id = self.send(row)
        except Transient as error:
            return self.failed_attempt(row, str(error), now, retry=True)
        except Permanent as error:
            return self.failed_attempt(row, str(error), now, retry=False)
        except self.quiet_errors as error:
            return self.failed_attempt(row, type(error).__name__, now, retry=True)
        except Exception as error:  # a bug or an unexpected library error: retried, but never silently lost
            self.logger.exception("%s: unexpected error while sending", self.describe(row))
            return self.failed_attempt(row, type(error).__name__, now, retry=True)
        return self.mark_sent(row, provider_id)

    def mark_sent(self, row: Any, provider_id: str) -> str:
        marked = self.model._default_manager.filter(pk=row.pk, state=self.held).update(
            state=self.sent,
            sent_at=timezone.now(),
            claimed_until=None,
            provider_id=str(provider_id)[:200],
            last_error="",
        )
        self.logger.info("%s sent", self.describe(row))
        return "sent" if marked else "already marked"

    def failed_attempt(self, row: Any, reason: str, now: dt.datetime, *, retry: bool) -> str:
        rows = self.model._default_manager.filter(pk=row.pk, state=self.held)
        if retry and row.attempts < self.max_attempts():
            next_attempt_at = now + self.backoff(row.attempts)
            rows.update(
                state=self.waiting, claimed_until=None, next_attempt_at=next_attempt_at, last_error=reason[:500]
            )
            self.logger.warning(
                "%s: attempt %d failed (%s); next at %s",
                self.describe(row),
                row.attempts,
                reason,
                next_attempt_at.isoformat(timespec="seconds"),
            )
            self.enqueue(row.pk, run_after=next_attempt_at)
            return "retry"
        rows.update(state=self.failed, claimed_until=None, next_attempt_at=None, last_error=reason[:500])
        self.logger.warning("%s: gave up after %d attempts (%s)", self.describe(row), row.attempts, reason)
        return "failed"

    def sweep_due(self, *, now: dt.datetime | None = None, limit: int = 500) -> int:
        """Queue every row whose retry is due or whose worker's claim expired."""
        now = now or timezone.now()
        due = list(
            self.model._default_manager.filter(self.claimable(now))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in due:
            self.enqueue(pk)
        return len(due)

    def retry_now(self, row: Any) -> bool:
        """Staff asked for another try of a failed row: it starts the backoff schedule again."""
        changed = self.model._default_manager.filter(pk=row.pk, state=self.failed).update(
            state=self.waiting, attempts=0, next_attempt_at=timezone.now(), claimed_until=None
        )
        if changed:
            self.enqueue(row.pk)
        return bool(changed)
