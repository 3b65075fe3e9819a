"""Writes of the knowledge base: an article goes draft -> in review -> published (and back to draft when
unpublished); only editors (`roles.may_edit_knowledge`: supervisors, admins) move it. Every change to a
published article or its text updates the search index in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.people import roles
from civic311.people.models import User

from . import search
from .models import BASE_LANGUAGE, Article, ArticleTranslation


def _require_editor(actor: User | None) -> None:
    roles.require(roles.may_edit_knowledge(actor), _("Only knowledge-base editors may change articles."))


def _locked(article: Article) -> Article:
    return Article.objects.select_for_update().get(pk=article.pk)


def _check_base_text(article: Article) -> None:
    base = article.translations.filter(language=BASE_LANGUAGE).first()
    if base is None or not base.title.strip() or not (base.summary.strip() or base.body.strip()):
        raise ValidationError(_("Write the English title and text before the article goes further."))


def _move(
    article: Article, *, actor: User | None, allowed_from: tuple[str, ...], to: str, now: dt.datetime | None = None
) -> Article:
    _require_editor(actor)
    with transaction.atomic():
        current = _locked(article)
        if current.status not in allowed_from:
            raise ValidationError(
                _("The article is %(status)s; it cannot be moved to %(to)s from there.")
                % {"status": current.get_status_display(), "to": Article.Status(to).label}
            )
        if to != Article.Status.DRAFT:
            _check_base_text(current)
        current.status = to
        fields = ["status", "updated_at"]
        if to == Article.Status.PUBLISHED:
            current.published_at = now or timezone.now()
            fields.append("published_at")
        current.save(update_fields=fields)
        search.index_article(current)
    article.status, article.published_at = current.status, current.published_at
    return current


def submit_for_review(article: Article, *, actor: User | None) -> Article:
    """A draft is ready for another editor to read."""
    return _move(article, actor=actor, allowed_from=(Article.Status.DRAFT,), to=Article.Status.IN_REVIEW)


def publish(article: Article, *, actor: User | None, now: dt.datetime | None = None) -> Article:
    """A reviewed article goes on the help pages and into the search."""
    return _move(article, actor=actor, allowed_from=(Article.Status.IN_REVIEW,), to=Article.Status.PUBLISHED, now=now)


def unpublish(article: Article, *, actor: User | None) -> Article:
    """Take an article off the help pages (back to draft); it leaves the search at once."""
    return _move(
        article, actor=actor, allowed_from=(Article.Status.PUBLISHED, Article.Status.IN_REVIEW), to=Article.Status.DRAFT
    )


def save_translation(
    article: Article, *, language: str, title: str, summary: str = "", body: str = "", actor: User | None
) -> ArticleTranslation:
    """Write (or rewrite) the article's text in one language; a published article is re-indexed."""
    _require_editor(actor)
    title, summary = " ".join((title or "").split()), " ".join((summary or "").split())
    if not title:
        raise ValidationError({"title": _("Give the article a title.")})
    translation = ArticleTranslation(
        article=article, language=language, title=title, summary=summary, body=(body or "").replace("\x00", "")
    )
    translation.full_clean(exclude=["article"], validate_unique=False)
    with transaction.atomic():
        saved, _created = ArticleTranslation.objects.update_or_create(
            article=article, language=language, defaults={"title": title, "summary": summary, "body": translation.body}
        )
        Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
        search.index_article(article)
    return saved


def article_changed(article: Article, *, actor: User | None) -> None:
    """After an editor changed an article's fields, services or texts (the admin): refresh its index."""
    _require_editor(actor)
    search.index_article(article)


def count_view(article: Article) -> None:
    """One more read, for "popular" on the help home (the analytics keep the real log)."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
