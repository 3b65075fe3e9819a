"""Reads about emergencies: the one running now (cached briefly), the surge flag, the staff page's lists.

"It ends by itself": whether an emergency runs is decided at read time, `starts_at <= now < ends_at` and
not ended early, so nothing has to run for the banner to appear or go. Each process keeps the current and
coming emergencies of a jurisdiction for at most CACHE_SECONDS (the public pages ask on every view);
because the times are compared on every read, a banner still appears and goes on the second, and a
declaration or an early end is seen at once in this process and within CACHE_SECONDS in the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge.models import Article
from civic311.knowledge.selectors import localized
from civic311.languages import language_key
from civic311.process_cache import ProcessCache

from .models import BASE_LANGUAGE, Emergency

CACHE_SECONDS = 30
# The current and the next few: with overlaps refused there is never more than one current.
_CACHED_COUNT = 5

_cache: ProcessCache[int, list[Emergency]] = ProcessCache(CACHE_SECONDS)


def forget_cached_emergencies(jurisdiction_id: int | None = None) -> None:
    _cache.forget(jurisdiction_id)


def _pinned_prefetch() -> Prefetch[str, QuerySet[Article], str]:
    return Prefetch(
        "pinned_articles",
        queryset=Article.objects.filter(status=Article.Status.PUBLISHED)
        .prefetch_related("translations")
        .order_by("slug"),
    )


def _current_and_coming(jurisdiction_id: int, now: dt.datetime) -> list[Emergency]:
    return _cache.get(
        jurisdiction_id,
        lambda: list(
            Emergency.objects.filter(jurisdiction_id=jurisdiction_id, ended_at__isnull=True, ends_at__gt=now)
            .prefetch_related(_pinned_prefetch())
            .order_by("starts_at", "pk")[:_CACHED_COUNT]
        ),
    )


def active_emergency(jurisdiction: Jurisdiction | None, now: dt.datetime | None = None) -> Emergency | None:
    """The emergency running in the jurisdiction now, or None."""
    if jurisdiction is None:
        return None
    now = now or timezone.now()
    return next((row for row in _current_and_coming(jurisdiction.pk, now) if row.is_active(now)), None)


def surge_active(jurisdiction: Jurisdiction | None, now: dt.datetime | None = None) -> bool:
    """Whether the reader board shows the surge flag: an emergency runs and its declarer asked for it."""
    emergency = active_emergency(jurisdiction, now)
    return bool(emergency and emergency.surge)


@dataclass(frozen=True)
class PinnedAnswer:
    title: str
    summary: str
    url: str
    language: str


@dataclass(frozen=True)
class EmergencyNotice:
    """The running emergency in one language (English where it is not translated), for the public banner
    and the agents' script."""

    emergency: Emergency
    language: str
    title: str
    title_language: str
    text: str
    text_language: str
    script: str
    script_language: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    pinned: list[PinnedAnswer] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(self.emergency.get_kind_display())


def _in(emergency: Emergency, name: str, language: str) -> tuple[str, str]:
    return emergency.text(name, language), BASE_LANGUAGE if emergency.is_fallback(name, language) else language


def pinned_answers(emergency: Emergency, language: str) -> list[PinnedAnswer]:
    """The published pinned articles in `language` (English where not translated)."""

    answers = []
    for article in emergency.pinned_articles.all():
        if article.status != article.Status.PUBLISHED:
            continue  # unpublished since it was pinned
        text = localized(article, language)
        answers.append(PinnedAnswer(text.title, text.summary, text.url, text.language))
    return answers


def notice(emergency: Emergency, language: str) -> EmergencyNotice:
    language = language_key(language or BASE_LANGUAGE)
    # Kept on the (briefly cached) emergency, so a page view does not render the pinned articles again.
    memo: dict[str, EmergencyNotice] = emergency.__dict__.setdefault("_notices", {})
    if language not in memo:
        title, title_language = _in(emergency, "title", language)
        text, text_language = _in(emergency, "banner", language)
        script, script_language = _in(emergency, "agent_script", language)
        memo[language] = EmergencyNotice(
            emergency=emergency,
            language=language,
            title=title,
            title_language=title_language,
            text=text,
            text_language=text_language,
            script=script,
            script_language=script_language,
            starts_at=emergency.starts_at,
            ends_at=emergency.ends_at,
            pinned=pinned_answers(emergency, language),
        )
    return memo[language]


def active_notice(
    jurisdiction: Jurisdiction | None, language: str, now: dt.datetime | None = None
) -> EmergencyNotice | None:
    """The running emergency of the jurisdiction in `language`, or None."""
    emergency = active_emergency(jurisdiction, now)
    return notice(emergency, language) if emergency is not None else None


# --- the staff page and the job queue -----------------------------------------------------------------


def emergencies_of(jurisdiction: Jurisdiction) -> QuerySet[Emergency]:
    return (
        Emergency.objects.filter(jurisdiction=jurisdiction)
        .select_related("declared_by", "ended_by")
        .prefetch_related(_pinned_prefetch())
    )


def current_and_upcoming(jurisdiction: Jurisdiction, now: dt.datetime) -> list[Emergency]:
    return list(emergencies_of(jurisdiction).filter(ended_at__isnull=True, ends_at__gt=now).order_by("starts_at", "pk"))


def past(jurisdiction: Jurisdiction, now: dt.datetime, limit: int = 20) -> list[Emergency]:
    return list(
        emergencies_of(jurisdiction)
        .filter(Q(ended_at__isnull=False) | Q(ends_at__lte=now))
        .order_by("-starts_at", "-pk")[:limit]
    )


def overlapping(jurisdiction: Jurisdiction, starts_at: dt.datetime, ends_at: dt.datetime) -> QuerySet[Emergency]:
    """Emergencies of the jurisdiction whose time meets [starts_at, ends_at): one ended early counts until
    it was ended, one cancelled before it started not at all."""
    from django.db.models import F

    ended_within = Q(ended_at__gt=starts_at) & Q(ended_at__gt=F("starts_at"))
    return Emergency.objects.filter(jurisdiction=jurisdiction, starts_at__lt=ends_at, ends_at__gt=starts_at).filter(
        Q(ended_at__isnull=True) | ended_within
    )


def due_for_message(now: dt.datetime) -> QuerySet[Emergency]:
    """Running emergencies whose coordinated message has not been queued yet."""
    return Emergency.objects.filter(
        message_queued_at__isnull=True, ended_at__isnull=True, starts_at__lte=now, ends_at__gt=now
    ).order_by("starts_at", "pk")
