"""The knowledge base in the staff API: the same search as the help pages and the console, and an article
in the caller's language (`Accept-Language` / `?lang=`), English when it is not translated."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from civic311.knowledge import search, selectors

from .views import DENIED, NOT_FOUND, StaffAPIView

RESULTS_MAX = 50


class HitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["article", "service"])
    title = serializers.CharField()
    snippet = serializers.CharField()
    url = serializers.CharField()
    score = serializers.FloatField()
    article = serializers.SerializerMethodField()
    service = serializers.SerializerMethodField()

    def get_article(self, hit: search.Hit) -> str | None:
        return hit.article.slug if hit.article else None

    def get_service(self, hit: search.Hit) -> str | None:
        return hit.service.code if hit.service else None


class SearchResultsSerializer(serializers.Serializer):
    query = serializers.CharField()
    corrected = serializers.CharField(help_text=_("The query with misspelt words corrected; empty if none was."))
    hits = HitSerializer(many=True)


class ArticleSerializer(serializers.Serializer):
    slug = serializers.CharField()
    kind = serializers.CharField()
    category = serializers.CharField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    services = serializers.ListField(child=serializers.CharField())
    video_url = serializers.CharField()
    published_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    language = serializers.CharField()
    is_fallback = serializers.BooleanField()
    title = serializers.CharField()
    summary = serializers.CharField()
    body_html = serializers.CharField()
    url = serializers.CharField()


class KnowledgeViewSet(StaffAPIView):
    action_permissions = {"*": ("catalogue.view_service", "catalogue.change_service")}
    serializer_class = SearchResultsSerializer

    @extend_schema(
        summary=_("Search the knowledge base"),
        description=_("Articles and services, best first; the same search as the public help pages."),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description=_("What to look for.")),
            OpenApiParameter("limit", OpenApiTypes.INT, description=_("At most 50.")),
        ],
        responses={200: SearchResultsSerializer, **DENIED},
    )
    @action(detail=False, methods=["get"], url_path="search")
    def search(self, request: Request) -> Response:
        given = request.query_params.get("limit", "")
        limit = min(int(given), RESULTS_MAX) if given.isdigit() and len(given) < 4 and int(given) > 0 else 10
        results = search.search(
            self.jurisdiction, request.query_params.get("q", ""), language=get_language(), limit=limit
        )
        return Response(SearchResultsSerializer(results).data)

    @extend_schema(summary=_("Get a published article"), responses={200: ArticleSerializer, **DENIED, **NOT_FOUND})
    @action(detail=False, methods=["get"], url_path=r"articles/(?P<slug>[^/]+)", serializer_class=ArticleSerializer)
    def article(self, request: Request, slug: str) -> Response:
        found = selectors.article_by_slug(self.jurisdiction, slug)
        if found is None:
            raise NotFound()
        text = selectors.localized(found, get_language())
        return Response(
            ArticleSerializer(
                {
                    "slug": found.slug,
                    "kind": found.kind,
                    "category": found.category.slug if found.category else None,
                    "tags": found.tags,
                    "services": [service.code for service in found.services.all()],
                    "video_url": found.video_url,
                    "published_at": found.published_at,
                    "updated_at": found.updated_at,
                    "language": text.language,
                    "is_fallback": text.is_fallback,
                    "title": text.title,
                    "summary": text.summary,
                    "body_html": text.body_html,
                    "url": request.build_absolute_uri(text.url),
                }
            ).data
        )
