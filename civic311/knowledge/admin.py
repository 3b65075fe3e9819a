"""Admin for the knowledge base: editors (`roles.may_edit_knowledge`) write articles and their
translations here; the status moves only through the services (actions: submit for review, publish,
unpublish), and every save refreshes the article's search index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from civic311.catalogue.admin import TranslationsMixin
from civic311.jurisdictions.admin import JurisdictionPickersMixin
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles

from . import selectors, services
from .models import Article, ArticleTranslation, Category


class EditorsOnly:
    """The knowledge base's pages in the admin are for its editors, whatever Django permissions say."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return roles.may_edit_knowledge(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.may_edit_knowledge(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return roles.may_edit_knowledge(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.may_edit_knowledge(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.may_edit_knowledge(request.user)


@admin.register(Category)
class CategoryAdmin(EditorsOnly, TranslationsMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "jurisdiction", "order")
    list_filter = ("jurisdiction",)
    prepopulated_fields = {"slug": ("name",)}


class TranslationInline(EditorsOnly, admin.StackedInline):
    model = ArticleTranslation
    extra = 1
    fields = ("language", "title", "summary", "body", "draft")


class NeedsTranslationFilter(admin.SimpleListFilter):
    """Published articles lacking a language, or translated before the English text last changed."""

    title = _("needs translation")
    parameter_name = "needs_translation"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> QuerySet[Article]:
        if self.value() != "yes":
            return queryset

        due = {
            item.article.pk
            for jurisdiction in Jurisdiction.objects.filter(articles__in=queryset).distinct()
            for item in selectors.needs_translation(jurisdiction)
        }
        return queryset.filter(pk__in=due)


@admin.register(Article)
class ArticleAdmin(EditorsOnly, JurisdictionPickersMixin, admin.ModelAdmin):
    list_display = ("slug", "kind", "category", "status", "pinned", "published_at", "updated_at")
    list_filter = ("status", "kind", "pinned", NeedsTranslationFilter, "jurisdiction")
    search_fields = ("slug", "translations__title")
    readonly_fields = ("status", "published_at", "updated_at", "view_count")
    filter_horizontal = ("services",)
    inlines = [TranslationInline]
    actions = ["submit_for_review", "publish", "unpublish"]
    fields = (
        "jurisdiction",
        "slug",
        "kind",
        "category",
        "tags",
        "services",
        "video_url",
        "pinned",
        "status",
        "published_at",
        "updated_at",
        "view_count",
    )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The texts and services are saved now: bring the search index up to date in the same transaction.
        services.article_changed(form.instance, actor=request.user)  # type: ignore[arg-type]

    def _move(self, request: HttpRequest, queryset: QuerySet[Article], move: Any, done: Callable[[int], str]) -> None:
        moved = 0
        for article in queryset:
            try:
                move(article, actor=request.user)
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"{article.slug}: {text}", messages.ERROR)
            else:
                moved += 1
        if moved:
            self.message_user(request, done(moved) % {"count": moved}, messages.SUCCESS)

    @admin.action(description=_("Submit for review"))
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._move(
            request,
            queryset,
            services.submit_for_review,
            lambda n: ngettext(
                "%(count)d article submitted for review.", "%(count)d articles submitted for review.", n
            ),
        )

    @admin.action(description=_("Publish"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._move(
            request,
            queryset,
            services.publish,
            lambda n: ngettext("%(count)d article published.", "%(count)d articles published.", n),
        )

    @admin.action(description=_("Unpublish (back to draft)"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._move(
            request,
            queryset,
            services.unpublish,
            lambda n: ngettext("%(count)d article unpublished.", "%(count)d articles unpublished.", n),
        )
