"""Signing in without a password: a short-lived, single-use link sent by e-mail.

A liaison's link signs into their account; a resident's opens "my requests" (the requests filed with that
address). Only the SHA-256 of the token is stored, so a copy of the table signs nobody in. A link is used
up by one conditional UPDATE (unused and not expired → used now), so of two redeems at the same moment only
one succeeds. Who gets which kind of link, and the e-mail itself, are the public site's (it knows the
programs and the outbox); this module knows only links.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .models import EmailSignInLink, User

TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 100  # token_urlsafe(32) is 43 characters; anything much longer is not ours


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime() -> dt.timedelta:
    return dt.timedelta(minutes=settings.CIVIC311_SIGN_IN_LINK_MINUTES)


def issue_link(email: str, *, user: User | None = None, now: dt.datetime | None = None) -> str:
    """Store a new link for `email` (signing into `user` when given) and return its raw token, which only
    the e-mail carries. Call it in the transaction that queues the e-mail."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    EmailSignInLink.objects.create(
        token_hash=token_hash(token),
        email=email.strip(),
        user=user,
        created_at=now,
        expires_at=now + lifetime(),
    )
    return token


def find(token: str, *, now: dt.datetime | None = None) -> EmailSignInLink | None:
    """The link of `token` if it could still be redeemed (a look, which uses nothing up)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    now = now or timezone.now()
    return EmailSignInLink.objects.filter(
        token_hash=token_hash(token), used_at__isnull=True, expires_at__gt=now
    ).first()


def redeem(token: str, *, now: dt.datetime | None = None) -> EmailSignInLink | None:
    """Use the link up: the link, or None when it is unknown, expired or already used. One UPDATE decides,
    so two redeems of one token cannot both succeed."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    now = now or timezone.now()
    digest = token_hash(token)
    used = EmailSignInLink.objects.filter(token_hash=digest, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if used != 1:
        return None
    return EmailSignInLink.objects.select_related("user").get(token_hash=digest)


def expired_links(now: dt.datetime) -> QuerySet[EmailSignInLink]:
    """Links past their expiry (used or not): nothing can be done with them, and they hold an address."""
    return EmailSignInLink.objects.filter(expires_at__lt=now)


def forget_expired(now: dt.datetime | None = None) -> int:
    """Delete the expired links (the retention sweep's); returns how many."""
    deleted, _ = expired_links(now or timezone.now()).delete()
    return deleted
