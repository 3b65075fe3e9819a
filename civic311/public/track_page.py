"""The public track page, kept rendered in the shared cache: the page residents and the press open most, and the
most expensive to render of the small ones (its layout, the language menu of seventeen languages, the history).

A kept page is the same for every visitor: it has no per-visitor token in it (the language form and the follow
form take no CSRF token: choosing a language or asking for a confirmation e-mail acts for nobody's account) and
is only kept for a plain GET (no `?t=` link, no message to show). Its key holds everything it shows that can
change: the request's `updated_at` (every change of status, note, assignment or photo moves it), the language,
whether it is overdue now, and the running emergency's banner. What changes without moving any of them (a
service renamed in the catalogue, a staff member's name in the history, the city's phone number) shows within
TRACK_PAGE_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import cache

from civic311.emergencies import selectors as emergencies
from civic311.service_requests.models import ServiceRequest

TRACK_PAGE_SECONDS = 300


def page_key(service_request: ServiceRequest, path: str, language: str, now: dt.datetime) -> str:
    notice = emergencies.active_notice(service_request.jurisdiction, language, now)
    banner = (
        (
            notice.emergency.pk,
            notice.title,
            notice.text,
            notice.starts_at.isoformat(),
            notice.ends_at.isoformat(),
            [(p.title, p.url) for p in notice.pinned],
        )
        if notice is not None
        else None
    )
    shown = repr(
        (
            service_request.pk,
            path,
            service_request.updated_at.isoformat(),
            language,
            service_request.is_overdue(now),
            banner,
        )
    )
    return "track-page:" + hashlib.sha256(shown.encode()).hexdigest()[:40]


def kept_page(key: str) -> bytes | None:
    body = cache.get(key)
    return body if isinstance(body, bytes) else None


def keep_page(key: str, body: bytes) -> None:
    cache.set(key, body, TRACK_PAGE_SECONDS)
