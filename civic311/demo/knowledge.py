"""The demo city's help articles, from data/knowledge_articles.json (English and Spanish).

Format: {"categories": [{"slug", "name", "name_es"}], "articles": [{"slug", "kind", "category", "tags",
"services": ["SR-ST02"], "video_url", "pinned", "views", "translations": {"en": {"title", "summary", "body"},
"es": {...}}}]}. `views` is the demo's reading count, set when an article is made (the help pages' "most
read" and the twenty most-read articles that every language must have, docs/languages.md).

The other languages come from data/knowledge-translations/<code>.json, one file each:
{"language": "vi", "draft": true, "categories": {slug: name}, "articles": {slug: {"title", "summary", "body"}}};
a file with "draft": true makes draft translations, which tell the reader no speaker has checked them.

Loading twice changes nothing: rows are matched by slug and rewritten. The articles are published as they
are (seed data, no editorial review) and the search index is rebuilt at the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge import search
from civic311.knowledge.models import Article, ArticleTranslation, Category

ARTICLES_FILE = Path(__file__).resolve().parent / "data" / "knowledge_articles.json"
TRANSLATIONS_FOLDER = Path(__file__).resolve().parent / "data" / "knowledge-translations"


@dataclass(frozen=True)
class Loaded:
    categories: int
    articles: int
    translations: int
    unknown_services: tuple[str, ...]  # codes the file names that the city does not offer
    documents: int  # search documents after the rebuild


def _other_languages(folder: Path) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, dict[str, Any]]]]:
    """The translation files' category names ({slug: {language: name}}) and articles' texts ({slug: {language:
    {"title", "summary", "body", "draft"}}})."""
    names: dict[str, dict[str, str]] = {}
    texts: dict[str, dict[str, dict[str, Any]]] = {}
    for file in sorted(folder.glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        language, draft = data["language"], bool(data.get("draft"))
        for slug, name in (data.get("categories") or {}).items():
            names.setdefault(slug, {})[language] = name
        for slug, text in (data.get("articles") or {}).items():
            texts.setdefault(slug, {})[language] = {**text, "draft": draft}
    return names, texts


def load_articles(
    jurisdiction: Jurisdiction, path: Path = ARTICLES_FILE, translations_folder: Path = TRANSLATIONS_FOLDER
) -> Loaded:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    other_names, other_texts = _other_languages(translations_folder)
    now = timezone.now()
    services = {service.code: service for service in Service.objects.filter(jurisdiction=jurisdiction)}
    unknown: set[str] = set()
    translations = 0
    with transaction.atomic():
        categories = {}
        for order, item in enumerate(data.get("categories", [])):
            names = {"es": {"name": item["name_es"]}} if item.get("name_es") else {}
            names.update({language: {"name": name} for language, name in other_names.get(item["slug"], {}).items()})
            categories[item["slug"]], _created = Category.objects.update_or_create(
                jurisdiction=jurisdiction,
                slug=item["slug"],
                defaults={"name": item["name"], "translations": names, "order": order},
            )
        for item in data.get("articles", []):
            fields = {
                "kind": item.get("kind") or Article.Kind.ANSWER,
                "category": categories.get(item.get("category") or ""),
                "tags": list(item.get("tags") or []),
                "video_url": item.get("video_url") or "",
                "pinned": bool(item.get("pinned")),
                "status": Article.Status.PUBLISHED,
            }
            # The reading count is the demo's start; a reload keeps what readers have added since.
            article, _created = Article.objects.update_or_create(
                jurisdiction=jurisdiction,
                slug=item["slug"],
                defaults=fields,
                create_defaults={**fields, "view_count": int(item.get("views") or 0)},
            )
            if article.published_at is None:
                article.published_at = now
                article.save(update_fields=["published_at"])
            codes = list(item.get("services") or [])
            unknown.update(code for code in codes if code not in services)
            article.services.set([services[code] for code in codes if code in services])
            languages = {**(item.get("translations") or {}), **other_texts.get(item["slug"], {})}
            for language, texts in languages.items():
                ArticleTranslation.objects.update_or_create(
                    article=article,
                    language=language,
                    defaults={
                        "title": texts["title"],
                        "summary": texts.get("summary", ""),
                        "body": texts.get("body", ""),
                        "draft": bool(texts.get("draft")),
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
