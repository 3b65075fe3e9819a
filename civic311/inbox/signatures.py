"""Checks every signed webhook door shares: the signature compared in constant time, the timestamp fresh,
the nonce never seen before (a replayed request is refused even with a valid signature)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import WebhookReceipt

# A signed request older (or newer) than this is refused: it was captured and replayed, or a clock is wrong.
FRESH_SECONDS = 5 * 60
# Receipts are kept a day, much longer than a request stays fresh; the nightly sweep forgets older ones.
RECEIPT_DAYS = 1


def hmac_hex(secret: str, message: bytes, digest: str = "sha256") -> str:
    return hmac.new(secret.encode("utf-8"), message, getattr(hashlib, digest)).hexdigest()


def same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), (given or "").encode("utf-8"))


def is_fresh(timestamp: str | int | float, *, now: dt.datetime | None = None) -> bool:
    try:
        sent = float(timestamp)
    except (TypeError, ValueError):
        return False
    return abs((now or timezone.now()).timestamp() - sent) <= FRESH_SECONDS


def first_use(door: str, nonce: str, *, now: dt.datetime | None = None) -> bool:
    """Record the nonce; False if this door saw it already (the request is a replay)."""
    if not nonce:
        return False
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(door=door[:40], nonce=nonce[:200], received_at=now or timezone.now())
    except IntegrityError:
        return False
    return True


def forget_old_receipts(*, now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - dt.timedelta(days=RECEIPT_DAYS)
    deleted, _by_model = WebhookReceipt.objects.filter(received_at__lt=cutoff).delete()
    return deleted
