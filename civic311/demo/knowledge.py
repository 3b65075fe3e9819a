"""The demo city's help articles, from data/knowledge_articles.json (English and Spanish).

Format: {"categories": [{"slug", "name", "name_es"}], "articles": [{"slug", "kind", "category", "tags",
"services": ["SR-ST02"], "video_url", "pinned", "translations": {"en": {"title", "summary", "body"},
"es": {...}}}]}. Loading twice changes nothing: rows are matched by slug and rewritten. The articles are
published as they are (seed data, no review) and the search index is rebuilt at the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge import search
from civic311.knowledge.models import Article, ArticleTranslation, Category

ARTICLES_FILE = Path(__file__).resolve().parent / "data" / "knowledge_articles.json"


@dataclass(frozen=True)
class Loaded:
    categories: int
    articles: int
    translations: int
    unknown_services: tuple[str, ...]  # codes the file names that the city does not offer
    documents: int  # search documents after the rebuild


def load_articles(jurisdiction: Jurisdiction, path: Path = ARTICLES_FILE) -> Loaded:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    now = timezone.now()
    services = {service.code: service for service in Service.objects.filter(jurisdiction=jurisdiction)}
    unknown: set[str] = set()
    translations = 0
    with transaction.atomic():
        categories = {}
        for order, item in enumerate(data.get("categories", [])):
            names = {"es": {"name": item["name_es"]}} if item.get("name_es") else {}
            categories[item["slug"]], _created = Category.objects.update_or_create(
                jurisdiction=jurisdiction,
                slug=item["slug"],
                defaults={"name": item["name"], "translations": names, "order": order},
            )
        for item in data.get("articles", []):
            article, _created = Article.objects.update_or_create(
                jurisdiction=jurisdiction,
                slug=item["slug"],
                defaults={
                    "kind": item.get("kind") or Article.Kind.ANSWER,
                    "category": categories.get(item.get("category") or ""),
                    "tags": list(item.get("tags") or []),
                    "video_url": item.get("video_url") or "",
                    "pinned": bool(item.get("pinned")),
                    "status": Article.Status.PUBLISHED,
                },
            )
            if article.published_at is None:
                article.published_at = now
                article.save(update_fields=["published_at"])
            codes = list(item.get("services") or [])
            unknown.update(code for code in codes if code not in services)
            article.services.set([services[code] for code in codes if code in services])
            for language, texts in (item.get("translations") or {}).items():
                ArticleTranslation.objects.update_or_create(
                    article=article,
                    language=language,
                    defaults={
                        "title": texts["title"],
                        "summary": texts.get("summary", ""),
                        "body": texts.get("body", ""),
                    },
                )
                translations += 1
        documents = search.rebuild(jurisdiction)
    return Loaded(
        categories=len(categories),
        articles=len(data.get("articles", [])),
        translations=translations,
        unknown_services=tuple(sorted(unknown)),
        documents=documents,
    )
