"""A liaison's own small writes: when they were last active (their dashboard visits), whether they want the
weekly digest, and whether their name is shown on their neighborhoods' pages (a consent they may withdraw)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from civic311.people.models import User

from ..models import Liaison

ACTIVE_MARK_EVERY = dt.timedelta(hours=1)


def mark_active(user: User, *, now: dt.datetime | None = None) -> bool:
    """Note that the liaison was active now: one UPDATE, at most once an hour (a dashboard reloaded all day
    writes once an hour). Whether it wrote."""
    now = now or timezone.now()
    return (
        Liaison.objects.filter(user_id=user.pk)
        .filter(Q(last_active_at__isnull=True) | Q(last_active_at__lte=now - ACTIVE_MARK_EVERY))
        .update(last_active_at=now)
        == 1
    )


def set_weekly_digest(user: User, wanted: bool) -> bool:
    """Turn the liaison's weekly digest e-mail on or off; whether they have a program record."""
    return Liaison.objects.filter(user_id=user.pk).update(weekly_digest=wanted) == 1


def set_shown_on_neighborhood_pages(user: User, shown: bool) -> bool:
    """Give or withdraw the liaison's consent to their public name (first name, last initial) on their
    neighborhoods' pages, which takes effect at once; whether they have a program record."""
    return Liaison.objects.filter(user_id=user.pk).update(show_on_neighborhood_page=shown) == 1
