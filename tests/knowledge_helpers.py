"""Helpers shared by the knowledge-base tests: articles written and published through the services, or
made directly as rows (for the tests of what uses articles)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from civic311.knowledge import services
from civic311.knowledge.models import Article, ArticleTranslation, Category
from civic311.people.models import StaffRole

from .factories import staff_in_role


def editor(username: str = "editor"):
    return staff_in_role(StaffRole.SUPERVISOR, username=username)


def write_article(
    jurisdiction,
    slug: str,
    *,
    title: str,
    summary: str = "",
    body: str = "",
    actor,
    tags: list[str] | None = None,
    service_list=(),
    category: Category | None = None,
    translations: dict[str, dict[str, str]] | None = None,
    publish: bool = True,
    pinned: bool = False,
    kind: str = Article.Kind.ANSWER,
) -> Article:
    article = Article.objects.create(
        jurisdiction=jurisdiction, slug=slug, tags=tags or [], category=category, pinned=pinned, kind=kind
    )
    article.services.set(service_list)
    services.save_translation(article, language="en", title=title, summary=summary, body=body, actor=actor)
    for language, texts in (translations or {}).items():
        services.save_translation(article, language=language, actor=actor, **texts)
    if publish:
        services.submit_for_review(article, actor=actor)
        services.publish(article, actor=actor)
    article.refresh_from_db()
    return article


def make_article(
    jurisdiction,
    slug: str,
    title_en: str,
    title_es: str | None = None,
    *,
    summary_en: str = "",
    status: str = Article.Status.PUBLISHED,
    published_at: dt.datetime | None = None,
) -> Article:
    """An article row with its English (and Spanish) text, published at `published_at` (default now) unless
    `status` says otherwise; no review, no search index."""
    published = status == Article.Status.PUBLISHED
    row = Article.objects.create(
        jurisdiction=jurisdiction,
        slug=slug,
        status=status,
        published_at=(published_at or timezone.now()) if published else None,
    )
    ArticleTranslation.objects.create(
        article=row, language="en", title=title_en, summary=summary_en, body=f"{title_en}."
    )
    if title_es:
        ArticleTranslation.objects.create(article=row, language="es", title=title_es, body=f"{title_es}.")
    return row
