"""Shared by the emergency and social outbox tests: the context processor, a clean cache, articles."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.utils import timezone

from civic311.emergencies import selectors, services
from civic311.emergencies.models import Emergency

PROCESSOR = "civic311.emergencies.context_processors.emergency"


@pytest.fixture
def emergency_context(settings):
    """The public banner's context processor, whether or not settings.py lists it yet."""
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    if PROCESSOR not in processors:
        templates = copy.deepcopy(settings.TEMPLATES)
        templates[0]["OPTIONS"]["context_processors"].append(PROCESSOR)
        settings.TEMPLATES = templates
    return settings


@pytest.fixture
def fresh_emergency_cache():
    # Test databases roll back, their ids come again: the per-process cache must not carry one over.
    selectors.forget_cached_emergencies()
    yield
    selectors.forget_cached_emergencies()


def article(jurisdiction, slug, title_en, title_es=None, *, summary_en="", status="published"):
    from civic311.knowledge.models import Article, ArticleTranslation

    row = Article.objects.create(jurisdiction=jurisdiction, slug=slug, status=status,
                                 published_at=timezone.now() if status == "published" else None)
    ArticleTranslation.objects.create(article=row, language="en", title=title_en, summary=summary_en,
                                      body=f"{title_en}.")
    if title_es:
        ArticleTranslation.objects.create(article=row, language="es", title=title_es, body=f"{title_es}.")
    return row


def declare(jurisdiction, actor, *, start: dt.datetime | None = None, hours: float = 24, now=None,
            **changes) -> Emergency:
    start = start or timezone.now()
    fields = {
        "kind": Emergency.Kind.SNOW,
        "title": {"en": "Snow emergency", "es": "Emergencia de nieve"},
        "banner": {"en": "Move your car off snow emergency routes.",
                   "es": "Retire su auto de las rutas de emergencia de nieve."},
        "agent_script": {"en": "Tell callers to move their cars off snow emergency routes."},
        "message": "Snow emergency from 6 pm: move cars off snow emergency routes. phila.gov/snow",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=hours),
    }
    fields.update(changes)
    return services.declare_emergency(jurisdiction, actor=actor, now=now, **fields)
