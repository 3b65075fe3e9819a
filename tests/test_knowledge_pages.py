"""The public help pages, the report form's articles, the staff translations list, the console's answers
and the staff API's knowledge endpoints."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from civic311.insights.models import ArticleFeedback, ArticleView, SearchClick, SearchLog
from civic311.knowledge.models import Category
from civic311.people.models import StaffRole

from .factories import StaffFactory, staff_in_role, with_role
from .knowledge_helpers import write_article
from .roles_helpers import STAFF_ROLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(jurisdiction, service, dana):
    sanitation = Category.objects.create(
        jurisdiction=jurisdiction, slug="sanitation", name="Sanitation", translations={"es": {"name": "Saneamiento"}}
    )
    return {
        "dumping": write_article(
            jurisdiction,
            "illegal-dumping",
            actor=dana,
            category=sanitation,
            title="How to report illegal dumping",
            summary="Tell us where it was dumped.",
            body="Give the **address**. <script>alert(1)</script>",
            service_list=[service],
            translations={
                "es": {
                    "title": "Cómo denunciar vertidos ilegales",
                    "summary": "Díganos dónde.",
                    "body": "La dirección.",
                }
            },
        ),
        "snow": write_article(
            jurisdiction,
            "snow-emergency",
            actor=dana,
            category=sanitation,
            pinned=True,
            title="Snow emergency routes",
            summary="Move your car off snow routes.",
        ),
        "draft": write_article(jurisdiction, "draft-only", actor=dana, title="Draft only", summary="x", publish=False),
    }


def test_the_help_home_lists_pinned_popular_and_categories(client, articles):
    response = client.get("/help/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Snow emergency routes" in html and "How to report illegal dumping" in html
    assert 'href="/help/category/sanitation/"' in html and "Draft only" not in html


def test_the_site_nav_links_to_help(client, articles):
    assert 'href="/help/"' in client.get("/").content.decode()


def test_search_with_a_typo_says_did_you_mean_and_links_with_the_search_id(client, articles):
    response = client.get("/help/search/", {"q": "ilegal dumpng"})
    html = response.content.decode()
    assert response.status_code == 200 and "Did you mean" in html and "illegal dumping" in html
    log = SearchLog.objects.get()
    assert (log.query, log.channel, log.result_count) == ("ilegal dumpng", "web", 2)
    assert f'href="/help/illegal-dumping/?from={log.pk}"' in html
    assert 'href="/report/SR-ST02/"' in html  # the service ranks with the articles


def test_opening_a_result_logs_the_click_and_the_view(client, articles):
    client.get("/help/search/", {"q": "dumping"})
    log = SearchLog.objects.get()
    response = client.get(f"/help/illegal-dumping/?from={log.pk}")
    assert response.status_code == 200
    assert SearchClick.objects.filter(search=log, article=articles["dumping"]).count() == 1
    assert ArticleView.objects.filter(article=articles["dumping"], channel="web").count() == 1


@pytest.mark.parametrize("query", ["", "   ", "x" * 10_000, '"foo" OR 1=1 --', "dumping\x00", '"unbalanced', "!!!"])
def test_bad_queries_give_a_page(client, articles, query):
    assert client.get("/help/search/", {"q": query}).status_code == 200


def test_the_article_page_renders_safely_with_report_links(client, articles):
    response = client.get("/help/illegal-dumping/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>address</strong>" in html and "<script>alert" not in html
    assert 'href="/report/SR-ST02/"' in html and "Report this" in html
    assert "Did this help?" in html


def test_the_article_in_spanish_and_the_english_fallback_notice(client, articles):
    client.cookies["django_language"] = "es"
    spanish = client.get("/help/illegal-dumping/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Cómo denunciar vertidos ilegales" in spanish and 'lang="es"' in spanish
    fallback = client.get("/help/snow-emergency/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Snow emergency routes" in fallback and 'lang="en"' in fallback


def test_feedback_is_recorded(client, articles):
    response = client.post("/help/illegal-dumping/feedback/", {"helpful": "yes"})
    assert response.status_code == 302 and response["Location"] == "/help/illegal-dumping/?thanks=1#feedback"
    assert ArticleFeedback.objects.filter(article=articles["dumping"], helpful=True).count() == 1
    views = ArticleView.objects.count()
    assert "Thank you" in client.get(response["Location"]).content.decode()
    assert ArticleView.objects.count() == views  # coming back from the answer is not another reading
    bad = client.post("/help/illegal-dumping/feedback/", {"helpful": "maybe"})
    assert bad.status_code == 302 and ArticleFeedback.objects.count() == 1
    assert client.get("/help/illegal-dumping/feedback/").status_code == 405


def test_drafts_and_unknown_slugs_are_not_found(client, articles):
    assert client.get("/help/draft-only/").status_code == 404
    assert client.get("/help/no-such-article/").status_code == 404
    assert client.post("/help/draft-only/feedback/", {"helpful": "yes"}).status_code == 404
    assert client.get("/help/category/nothing/").status_code == 404


def test_the_category_page(client, articles):
    html = client.get("/help/category/sanitation/").content.decode()
    assert "Sanitation" in html and "Snow emergency routes" in html and "Draft only" not in html


def test_the_report_form_shows_the_services_articles(client, articles):
    html = client.get("/report/SR-ST02/").content.decode()
    assert "Before you report" in html and 'href="/help/illegal-dumping/"' in html


# --- the staff translations list: every role ----------------------------------------------------------------------

ALLOWED = {StaffRole.SUPERVISOR, StaffRole.ADMIN}


@override_settings(LANGUAGES=[("en", "English"), ("es", "Spanish")])  # the rule in two languages
@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_the_translations_page_is_for_editors(client, articles, department, role):
    client.force_login(staff_in_role(role, department))
    response = client.get("/help/translations/")
    assert response.status_code == (200 if role in ALLOWED else 403)
    if role in ALLOWED:
        assert "snow-emergency" in response.content.decode()
        assert "illegal-dumping" not in response.content.decode()


def test_the_translations_page_sends_strangers_to_sign_in(client, articles):
    response = client.get("/help/translations/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# --- the console ---------------------------------------------------------------------------------------------------


def test_the_console_finds_articles_and_logs_their_use(client, jurisdiction, articles):
    from civic311.console import selectors as console
    from civic311.console import services as console_services
    from civic311.service_requests.models import Contact

    found = console.search_answers(jurisdiction, "ilegal dumpng", "en")
    article_item = next(item for item in found if item.article)
    assert article_item.article == articles["dumping"] and article_item.url == "/help/illegal-dumping/"
    assert article_item.body == "Tell us where it was dumped." and article_item.files_requests

    agent = with_role(StaffFactory(username="alex"), StaffRole.AGENT)
    contact = console_services.start_contact(jurisdiction, agent=agent, channel="phone")
    client.force_login(agent)
    page = client.get(reverse("console:contact", args=[contact.pk]), {"s": "dumping"}).content.decode()
    log = SearchLog.objects.get(channel="console")
    assert f"article=illegal-dumping&amp;search={log.pk}" in page
    form = client.get(
        reverse("console:contact", args=[contact.pk]),
        {"info": "SR-ST02", "article": "illegal-dumping", "search": log.pk},
    ).content.decode()
    assert "Tell us where it was dumped." in form
    response = client.post(
        reverse("console:answer", args=[contact.pk]),
        {
            "summary": "Tell us where it was dumped.",
            "outcome": Contact.Outcome.INFORMATION,
            "service": "SR-ST02",
            "article": "illegal-dumping",
            "search": str(log.pk),
        },
    )
    assert response.status_code == 302
    assert ArticleView.objects.filter(article=articles["dumping"], channel="console").count() == 1
    assert SearchClick.objects.filter(search=log, article=articles["dumping"]).count() == 1


# --- the staff API -------------------------------------------------------------------------------------------------


def test_the_api_searches_and_reads_articles(client, articles, staff):
    client.force_login(staff)
    found = client.get("/api/v1/knowledge/search/", {"q": "ilegal dumpng"}).json()
    assert found["corrected"] == "illegal dumping"
    assert {"kind": "article", "article": "illegal-dumping"}.items() <= next(
        hit for hit in found["hits"] if hit["kind"] == "article"
    ).items()
    assert client.get("/api/v1/knowledge/search/", {"q": '"x" OR 1=1 --', "limit": "99999"}).status_code == 200
    article = client.get("/api/v1/knowledge/articles/illegal-dumping/", HTTP_ACCEPT_LANGUAGE="es").json()
    assert article["title"] == "Cómo denunciar vertidos ilegales" and article["services"] == ["SR-ST02"]
    assert "<script>" not in article["body_html"]
    assert client.get("/api/v1/knowledge/articles/draft-only/").status_code == 404


def test_the_api_refuses_strangers(client, articles):
    assert client.get("/api/v1/knowledge/search/", {"q": "dumping"}).status_code in (401, 403)
