"""The knowledge base: articles (answers, how-to guides, short videos) in categories, tied to services,
written in English and translated; and the search index over articles and services.

English ("en") is the base text of every article; another language falls back to it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from civic311.catalogue.models import Service, Translatable
from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge.kinds import KIND_LABELS

BASE_LANGUAGE = "en"
# Paths under /help/ that an article's slug would hide.
RESERVED_SLUGS = frozenset({"search", "category", "translations", "feedback"})


def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class Category(Translatable):
    """A shelf of the help pages ("Trash and recycling"); `translations = {"es": {"name": "…"}}`."""

    translatable_fields = ("name",)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="knowledge_categories")
    slug = models.SlugField(_("slug"))
    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "name"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "slug"], name="unique_knowledge_category")]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    class Kind(models.TextChoices):
        ANSWER = "answer", KIND_LABELS["answer"]
        HOW_TO = "how_to", KIND_LABELS["how_to"]
        VIDEO = "video", KIND_LABELS["video"]

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="articles")
    slug = models.SlugField(_("slug"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ANSWER)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles", verbose_name=_("category")
    )
    tags = models.JSONField(
        _("tags"), default=list, blank=True, help_text=_('A list of words residents use, like ["trash", "garbage"].')
    )
    services = models.ManyToManyField(Service, blank=True, related_name="articles", verbose_name=_("related services"))
    video_url = models.URLField(_("video link"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    pinned = models.BooleanField(_("pinned"), default=False, help_text=_("Shown first on the help home page."))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # A plain counter for "popular" on the help home; the analytics keep the real log.
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-pinned", "slug"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "slug"], name="unique_article_slug")]
        indexes = [models.Index(fields=["jurisdiction", "status"], name="knowledge_article_status")]

    def __str__(self) -> str:
        return self.slug

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError(
                {"slug": _("“%(slug)s” is a page of the help site; choose another slug.") % {"slug": self.slug}}
            )
        if not isinstance(self.tags, list) or not all(isinstance(tag, str) for tag in self.tags):
            raise ValidationError({"tags": _('Write the tags as a list of words, like ["trash", "garbage"].')})
        if self.category is not None and self.category.jurisdiction_id != self.jurisdiction_id:
            raise ValidationError({"category": _("The category belongs to another jurisdiction.")})
        if self.kind == self.Kind.VIDEO and not self.video_url:
            raise ValidationError({"video_url": _("A video article needs the video's link.")})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ArticleTranslation(models.Model):
    """The article's text in one language; the English one is the base text."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=language_choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("summary"), max_length=500, blank=True, help_text=_("One or two sentences: the answer in short.")
    )
    body = models.TextField(_("body (Markdown)"), blank=True)
    # Machine-assisted or otherwise not yet read by a speaker of the language; residents are told so.
    draft = models.BooleanField(
        _("draft translation"),
        default=False,
        help_text=_("Not yet reviewed by a speaker of the language. Untick once a speaker has checked it."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        ordering = ["article", "language"]
        constraints = [models.UniqueConstraint(fields=["article", "language"], name="unique_article_language")]

    def __str__(self) -> str:
        return f"{self.article.slug} [{self.language}]"


class SearchDocument(models.Model):
    """One searchable text: an article or a service in one language.

    The text columns hold accent-folded, lower-cased words so that both databases match "basura" and
    "básura" alike. SQLite searches them through the FTS5 table `knowledge_search_fts` (rowid = id);
    PostgreSQL through the generated tsvector column `vector` and a trigram index on the title; both are
    made by migration 0002 and only on their database.
    """

    class Kind(models.TextChoices):
        ARTICLE = "article", _("Article")
        SERVICE = "service", _("Service")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    language = models.CharField(max_length=10)
    title = models.TextField()
    keywords = models.TextField(blank=True)
    body = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["jurisdiction", "language"], name="knowledge_doc_language")]

    def __str__(self) -> str:
        return f"{self.kind} {self.article_id or self.service_id} [{self.language}]"


class SearchTerm(models.Model):
    """The words of a jurisdiction's index: the vocabulary misspelt query words are corrected against."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=10)
    term = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "language", "term"], name="unique_search_term")]

    def __str__(self) -> str:
        return self.term
