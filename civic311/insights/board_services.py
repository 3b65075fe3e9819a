"""The wall screens' display links: issue (the token is returned once, only its hash is kept), revoke,
look up by token, and note that a screen is still showing the board."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.models import User

from .models import DisplayScreen

# A screen asks every minute; recording each view would be a write per screen per minute for nothing.
SEEN_EVERY = dt.timedelta(minutes=1)
TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def may_manage_screens(user: roles.Someone) -> bool:
    """Wall screens show the board to anyone in the room: only admins set them up and revoke them."""
    return roles.may_manage_wall_screens(user)


def issue_token(screen: DisplayScreen, *, actor: roles.Someone, now: dt.datetime | None = None) -> str:
    """Save a new (unsaved) screen with a fresh token; returns the token, which is never stored."""
    roles.require(may_manage_screens(actor), _("Only administrators set up wall screens."))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    screen.token_hash = token_hash(token)
    screen.created_at = now or timezone.now()
    screen.created_by = actor if isinstance(actor, User) and actor.pk is not None else None
    screen.save()
    return token


def create_display_screen(
    jurisdiction: Jurisdiction, name: str, *, actor: roles.Someone, now: dt.datetime | None = None
) -> tuple[DisplayScreen, str]:
    screen = DisplayScreen(jurisdiction=jurisdiction, name=name.strip())
    screen.full_clean(exclude=["token_hash", "created_at"])
    return screen, issue_token(screen, actor=actor, now=now)


def revoke(screen: DisplayScreen, *, actor: roles.Someone, now: dt.datetime | None = None) -> bool:
    """End the screen's link for good; False if it was already revoked."""
    roles.require(may_manage_screens(actor), _("Only administrators revoke wall screens."))
    now = now or timezone.now()
    updated = DisplayScreen.objects.filter(pk=screen.pk, revoked_at__isnull=True).update(revoked_at=now)
    if updated:
        screen.revoked_at = now
    return bool(updated)


def screen_for_token(token: str) -> DisplayScreen | None:
    """The live screen a display link's token belongs to; None for an unknown or revoked one."""
    if not token or len(token) > 200:
        return None
    return (
        DisplayScreen.objects.select_related("jurisdiction")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )


def note_seen(screen: DisplayScreen, now: dt.datetime | None = None) -> bool:
    """Record that the screen showed the board, at most once per SEEN_EVERY (one conditional UPDATE)."""
    now = now or timezone.now()
    updated = (
        DisplayScreen.objects.filter(pk=screen.pk)
        .filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=now - SEEN_EVERY))
        .update(last_seen_at=now)
    )
    if updated:
        screen.last_seen_at = now
    return bool(updated)
