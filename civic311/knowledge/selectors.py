"""Reads of the knowledge base: published articles, an article in the visitor's language (English when
it is not translated), the help pages' lists, and the translations editors still owe."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.languages import language_key, lookup_codes

from .models import BASE_LANGUAGE, Article, ArticleTranslation, Category
from .rendering import render_markdown

POPULAR_MAX = 6


@dataclass(frozen=True)
class LocalizedArticle:
    title: str
    summary: str
    body: str  # Markdown
    language: str  # the language the text is in
    is_fallback: bool  # asked for another language, shown in English
    url: str
    is_draft: bool = False  # a translation no speaker has reviewed yet

    @cached_property
    def body_html(self) -> str:
        """The body as cleaned HTML, made when a page shows it (lists and search show title and summary)."""
        return render_markdown(self.body)


def published_articles(jurisdiction: Jurisdiction) -> QuerySet[Article]:
    return (
        Article.objects.filter(jurisdiction=jurisdiction, status=Article.Status.PUBLISHED)
        .select_related("category")
        .prefetch_related("translations")
    )


def article_by_slug(jurisdiction: Jurisdiction, slug: str) -> Article | None:
    """The published article with this slug, or None."""
    if not slug or "\x00" in slug or len(slug) > 120:
        return None
    return published_articles(jurisdiction).prefetch_related("services").filter(slug=slug).first()


def _translation(article: Article, language: str) -> ArticleTranslation | None:
    # Uses the prefetched translations when there are any.
    for translation in article.translations.all():
        if translation.language == language:
            return translation
    return None


def localized(article: Article, language: str | None) -> LocalizedArticle:
    """The article in `language`, or in English (is_fallback) when it has no such translation."""
    wanted = language_key(language or BASE_LANGUAGE)
    translation = next(
        (found for code in lookup_codes(wanted) if (found := _translation(article, code)) is not None), None
    ) or _translation(article, BASE_LANGUAGE)
    if translation is None:  # an article without its base text: show the first there is
        translation = next(iter(article.translations.all()), None)
    url = reverse("knowledge:article", args=[article.slug])
    if translation is None:
        return LocalizedArticle(article.slug, "", "", BASE_LANGUAGE, wanted != BASE_LANGUAGE, url)
    return LocalizedArticle(
        title=translation.title,
        summary=translation.summary,
        body=translation.body,
        language=translation.language,
        is_fallback=translation.language not in lookup_codes(wanted),
        url=url,
        is_draft=translation.draft,
    )


def pinned_articles(jurisdiction: Jurisdiction) -> list[Article]:
    return list(published_articles(jurisdiction).filter(pinned=True).order_by("slug"))


def popular_articles(jurisdiction: Jurisdiction, limit: int = POPULAR_MAX) -> list[Article]:
    return list(published_articles(jurisdiction).filter(pinned=False).order_by("-view_count", "slug")[:limit])


def categories(jurisdiction: Jurisdiction) -> list[Category]:
    """Categories with at least one published article, with those articles."""
    published = Article.objects.filter(status=Article.Status.PUBLISHED).prefetch_related("translations")
    found = (
        Category.objects.filter(jurisdiction=jurisdiction, articles__status=Article.Status.PUBLISHED)
        .distinct()
        .prefetch_related(Prefetch("articles", queryset=published, to_attr="published"))
    )
    return list(found)


def category_by_slug(jurisdiction: Jurisdiction, slug: str) -> Category | None:
    if not slug or "\x00" in slug or len(slug) > 50:
        return None
    return Category.objects.filter(jurisdiction=jurisdiction, slug=slug).first()


def articles_in(category: Category) -> list[Article]:
    return list(published_articles(category.jurisdiction).filter(category=category).order_by("-pinned", "slug"))


def articles_for_service(service: Service) -> list[Article]:
    """The published articles about a service (shown before its report form)."""
    return list(published_articles(service.jurisdiction).filter(services=service).order_by("-pinned", "slug"))


@dataclass(frozen=True)
class TranslationDue:
    article: Article
    missing: list[str]  # languages with no translation at all
    outdated: list[str]  # languages translated before the English text last changed


# Every shipped language has the most-read articles (issue 21); the rest may show in English with the notice.
MOST_READ_IN_EVERY_LANGUAGE = 20
# Languages every published article is written in (the staff's languages, complete everywhere).
EVERY_ARTICLE_LANGUAGES = ("es",)


def needs_translation(jurisdiction: Jurisdiction) -> list[TranslationDue]:
    """Published articles with a translation to write: missing in Spanish, or, for the most-read articles,
    in any language of settings.LANGUAGES; or translated before the English text was last changed."""
    languages = [code for code, _name in settings.LANGUAGES if code != BASE_LANGUAGE]
    articles = list(published_articles(jurisdiction).order_by("slug"))
    most_read = {
        article.pk
        for article in sorted(articles, key=lambda article: (-article.view_count, article.slug))[
            :MOST_READ_IN_EVERY_LANGUAGE
        ]
    }
    due = []
    for article in articles:
        texts = {translation.language: translation for translation in article.translations.all()}
        base = texts.get(BASE_LANGUAGE)
        wanted = (
            languages if article.pk in most_read else [code for code in languages if code in EVERY_ARTICLE_LANGUAGES]
        )
        missing = [code for code in wanted if code not in texts]
        outdated = [
            code
            for code in languages
            if code in texts and base is not None and texts[code].updated_at < base.updated_at
        ]
        if missing or outdated:
            due.append(TranslationDue(article, missing, outdated))
    return due
