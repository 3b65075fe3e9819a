"""Helpers shared by the knowledge-base tests: articles written and published through the services."""

from __future__ import annotations

from civic311.knowledge import services
from civic311.knowledge.models import Article, Category
from civic311.people.models import StaffRole
from civic311.people.services import grant_role

from .factories import StaffFactory


def editor(username: str = "editor"):
    user = StaffFactory(username=username)
    grant_role(user, StaffRole.SUPERVISOR, actor=None)
    return user


def write_article(jurisdiction, slug: str, *, title: str, summary: str = "", body: str = "", actor,
                  tags: list[str] | None = None, service_list=(), category: Category | None = None,
                  translations: dict[str, dict[str, str]] | None = None, publish: bool = True,
                  pinned: bool = False, kind: str = Article.Kind.ANSWER) -> Article:
    article = Article.objects.create(jurisdiction=jurisdiction, slug=slug, tags=tags or [], category=category,
                                     pinned=pinned, kind=kind)
    article.services.set(service_list)
    services.save_translation(article, language="en", title=title, summary=summary, body=body, actor=actor)
    for language, texts in (translations or {}).items():
        services.save_translation(article, language=language, actor=actor, **texts)
    if publish:
        services.submit_for_review(article, actor=actor)
        services.publish(article, actor=actor)
    article.refresh_from_db()
    return article
