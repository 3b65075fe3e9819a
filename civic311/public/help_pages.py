"""The public help pages (/help/: the knowledge base for residents) and the editors' "needs translation"
list. Thin: reads through the knowledge selectors and search, analytics through `civic311.insights.services`.
Here, on the public site, rather than in `knowledge`: the knowledge base sits below insights in the layers."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civic311.insights import services as insights
from civic311.insights.middleware import visitor_of
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.knowledge import search, selectors, services
from civic311.knowledge.forms import FeedbackForm
from civic311.knowledge.models import Article
from civic311.languages import language_key
from civic311.people import roles
from civic311.people.staff_pages import staff_page

RESULTS_MAX = 20
WEB = "web"


def _article(request: HttpRequest, slug: str) -> Article:
    """The site's published article with this slug, or 404."""
    found = selectors.article_by_slug(site_jurisdiction(request), slug)
    if found is None:
        raise Http404(_("There is no such help article."))
    return found


def _language() -> str:
    return language_key()


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    language = _language()
    pinned = [(article, selectors.localized(article, language)) for article in selectors.pinned_articles(jurisdiction)]
    popular = [
        (article, selectors.localized(article, language)) for article in selectors.popular_articles(jurisdiction)
    ]
    shelves = [
        (category, [selectors.localized(article, language) for article in category.published])  # type: ignore[attr-defined]
        for category in selectors.categories(jurisdiction)
    ]
    return render(request, "knowledge/home.html", {"pinned": pinned, "popular": popular, "shelves": shelves})


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    language = _language()
    results = search.search(jurisdiction, request.GET.get("q", ""), language=language, limit=RESULTS_MAX)
    search_id = None
    if results.query:
        search_id = insights.log_search(
            jurisdiction,
            results.query,
            language=language,
            channel=WEB,
            result_count=len(results.hits),
            visitor=visitor_of(request),
        )
    return render(
        request, "knowledge/search.html", {"results": results, "query": results.query, "search_id": search_id}
    )


def _search_id(request: HttpRequest) -> int | None:
    given = request.GET.get("from", "")
    return int(given) if given.isdigit() and len(given) < 18 else None


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = _article(request, slug)
    language = _language()
    visitor = visitor_of(request)
    search_id = _search_id(request)
    if search_id is not None:
        insights.log_click(search_id, found)
    thanked = request.GET.get("thanks") == "1"
    if not thanked:  # back from "did this help?": the same reading, not another view
        insights.log_article_view(found, language=language, channel=WEB, visitor=visitor)
        services.count_view(found)
    related = [service for service in found.services.all() if service.is_active]
    return render(
        request,
        "knowledge/article.html",
        {
            "article": found,
            "text": selectors.localized(found, language),
            "related_services": related,
            "feedback_form": FeedbackForm(),
            "thanked": thanked,
        },
    )


@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    found = _article(request, slug)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose yes or no."))
        return redirect(reverse("knowledge:article", args=[slug]) + "#feedback")
    insights.record_feedback(
        found, helpful=form.cleaned_data["helpful"], language=_language(), visitor=visitor_of(request)
    )
    return redirect(reverse("knowledge:article", args=[slug]) + "?thanks=1#feedback")


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    shelf = selectors.category_by_slug(jurisdiction, slug)
    if shelf is None:
        raise Http404(_("There is no such help category."))
    language = _language()
    articles = [selectors.localized(item, language) for item in selectors.articles_in(shelf)]
    return render(request, "knowledge/category.html", {"category": shelf, "articles": articles})


@staff_page(rule=roles.may_edit_knowledge)
@require_GET
def translations_due(request: HttpRequest) -> HttpResponse:
    """Published articles missing a language, or translated before the English text last changed."""
    jurisdiction = site_jurisdiction(request)
    return render(request, "knowledge/translations.html", {"due": selectors.needs_translation(jurisdiction)})
