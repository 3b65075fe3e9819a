"""Articles: the lifecycle and who may move it, safe rich text, the language fallback, the "needs
translation" list, and the demo loader."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from civic311.demo.knowledge import ARTICLES_FILE, load_articles
from civic311.knowledge import search, selectors, services
from civic311.knowledge.models import Article, ArticleTranslation
from civic311.knowledge.rendering import render_markdown
from civic311.people.models import StaffRole

from .factories import StaffFactory, staff_in_role, with_role
from .knowledge_helpers import write_article
from .roles_helpers import STAFF_ROLES

pytestmark = pytest.mark.django_db

EDITORS = {StaffRole.SUPERVISOR, StaffRole.ADMIN}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.found.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list]]:
    """The real elements of some HTML (escaped text is not one)."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.fixture
def draft(jurisdiction, dana):
    return write_article(
        jurisdiction,
        "set-out-times",
        actor=dana,
        title="Set-out times for trash",
        summary="Put trash out after 7 pm the night before.",
        publish=False,
    )


# --- the lifecycle ----------------------------------------------------------------------------------------------


def test_draft_review_publish_unpublish(jurisdiction, draft, dana):
    assert draft.status == Article.Status.DRAFT and selectors.article_by_slug(jurisdiction, draft.slug) is None
    services.submit_for_review(draft, actor=dana)
    assert draft.status == Article.Status.IN_REVIEW
    with time_machine.travel(dt.datetime(2025, 3, 3, 15, tzinfo=dt.UTC), tick=False):
        services.publish(draft, actor=dana)
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED
    assert draft.published_at == dt.datetime(2025, 3, 3, 15, tzinfo=dt.UTC)
    assert selectors.article_by_slug(jurisdiction, draft.slug) == draft
    services.unpublish(draft, actor=dana)
    assert Article.objects.get(pk=draft.pk).status == Article.Status.DRAFT
    assert selectors.article_by_slug(jurisdiction, draft.slug) is None


def test_a_draft_cannot_skip_review(draft, dana):
    with pytest.raises(ValidationError):
        services.publish(draft, actor=dana)
    assert Article.objects.get(pk=draft.pk).status == Article.Status.DRAFT


def test_an_article_without_english_text_cannot_go_to_review(jurisdiction, dana):
    bare = Article.objects.create(jurisdiction=jurisdiction, slug="bare")
    services.save_translation(bare, language="es", title="Solo español", summary="Hola.", actor=dana)
    with pytest.raises(ValidationError):
        services.submit_for_review(bare, actor=dana)


def test_a_translation_needs_a_title(draft, dana):
    with pytest.raises(ValidationError):
        services.save_translation(draft, language="es", title="   ", actor=dana)
    assert not draft.translations.filter(language="es").exists()


@pytest.mark.parametrize("role", sorted(set(STAFF_ROLES) - EDITORS))
def test_only_editors_move_articles(jurisdiction, draft, dana, department, role):
    user = staff_in_role(role, department)
    for move in (services.submit_for_review, services.publish, services.unpublish):
        with pytest.raises(PermissionDenied):
            move(draft, actor=user)
    with pytest.raises(PermissionDenied):
        services.save_translation(draft, language="es", title="Horario", actor=user)
    assert Article.objects.get(pk=draft.pk).status == Article.Status.DRAFT


def test_nobody_signed_in_moves_nothing(draft):
    with pytest.raises(PermissionDenied):
        services.submit_for_review(draft, actor=None)


@pytest.mark.parametrize("role", sorted(EDITORS))
def test_editors_may(draft, role):
    user = staff_in_role(role)
    services.submit_for_review(draft, actor=user)
    services.publish(draft, actor=user)
    assert Article.objects.get(pk=draft.pk).is_published


def test_a_reserved_slug_is_refused(jurisdiction):
    with pytest.raises(ValidationError):
        Article(jurisdiction=jurisdiction, slug="search").full_clean()


# --- safe rich text -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        "[x](JaVaScRiPt:alert(1))",
        '<svg onload="alert(1)">',
        "<iframe src='https://evil.example'></iframe>",
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_scripts_are_rendered_inert(markdown):
    tags = elements(render_markdown(markdown))
    assert not {tag for tag, _ in tags} & {"script", "img", "svg", "iframe", "style"}
    for _tag, attributes in tags:
        assert not any(name.startswith("on") or name == "style" for name, _ in attributes)
        assert not any(
            name == "href" and (value or "").strip().lower().startswith("javascript") for name, value in attributes
        )


def test_markdown_is_rendered_and_links_get_rel():
    html = render_markdown("## Set-out times\n\n**After 7 pm**, see [the schedule](https://www.phila.gov/trash).")
    assert "<h2>Set-out times</h2>" in html and "<strong>After 7 pm</strong>" in html
    assert '<a href="https://www.phila.gov/trash" rel="nofollow noopener">the schedule</a>' in html


# --- languages ------------------------------------------------------------------------------------------------


def test_localized_falls_back_to_english(jurisdiction, dana):
    article = write_article(
        jurisdiction,
        "potholes",
        actor=dana,
        title="Potholes",
        summary="We fix them.",
        translations={"es": {"title": "Baches", "summary": "Los reparamos."}},
    )
    spanish = selectors.localized(article, "es")
    assert (spanish.title, spanish.language, spanish.is_fallback) == ("Baches", "es", False)
    only_english = write_article(jurisdiction, "curbs", actor=dana, title="Curbs", body="*Curb* repair.")
    fallback = selectors.localized(only_english, "es-mx")
    assert (fallback.title, fallback.language, fallback.is_fallback) == ("Curbs", "en", True)
    assert fallback.body_html == "<p><em>Curb</em> repair.</p>\n" and fallback.url == "/help/curbs/"


# --- the needs-translation list ---------------------------------------------------------------------------------


@override_settings(LANGUAGES=[("en", "English"), ("es", "Spanish")])  # the rule in two languages
def test_needs_translation_lists_missing_and_outdated(jurisdiction, dana):
    with time_machine.travel(dt.datetime(2025, 3, 1, tzinfo=dt.UTC), tick=False):
        done = write_article(
            jurisdiction,
            "done",
            actor=dana,
            title="Done",
            summary="x",
            translations={"es": {"title": "Hecho", "summary": "x"}},
        )
        stale = write_article(
            jurisdiction,
            "stale",
            actor=dana,
            title="Stale",
            summary="x",
            translations={"es": {"title": "Viejo", "summary": "x"}},
        )
        write_article(jurisdiction, "missing", actor=dana, title="Missing", summary="x")
        write_article(jurisdiction, "draft", actor=dana, title="Draft", summary="x", publish=False)
    with time_machine.travel(dt.datetime(2025, 3, 2, tzinfo=dt.UTC), tick=False):
        services.save_translation(stale, language="en", title="Stale, rewritten", summary="y", actor=dana)
    due = {item.article.slug: (item.missing, item.outdated) for item in selectors.needs_translation(jurisdiction)}
    assert due == {"missing": (["es"], []), "stale": ([], ["es"])}
    assert done.slug not in due


@override_settings(LANGUAGES=[("en", "English"), ("es", "Spanish")])  # the rule in two languages
def test_the_admin_filter_lists_the_same(jurisdiction, dana, client):
    write_article(jurisdiction, "missing", actor=dana, title="Missing", summary="x")
    write_article(
        jurisdiction,
        "translated",
        actor=dana,
        title="Translated",
        summary="x",
        translations={"es": {"title": "Traducido", "summary": "x"}},
    )
    client.force_login(dana)
    response = client.get("/admin/knowledge/article/?needs_translation=yes")
    assert response.status_code == 200
    listed = [article.slug for article in response.context["cl"].result_list]
    assert listed == ["missing"]


# --- the admin goes through the services ---------------------------------------------------------------------------


def test_the_admin_publish_action_uses_the_rule(jurisdiction, draft, dana, client):
    client.force_login(dana)
    response = client.post(
        "/admin/knowledge/article/", {"action": "publish", "_selected_action": [draft.pk]}, follow=True
    )
    assert response.status_code == 200
    assert Article.objects.get(pk=draft.pk).status == Article.Status.DRAFT  # a draft must be reviewed first
    client.post("/admin/knowledge/article/", {"action": "submit_for_review", "_selected_action": [draft.pk]})
    client.post("/admin/knowledge/article/", {"action": "publish", "_selected_action": [draft.pk]})
    assert Article.objects.get(pk=draft.pk).is_published
    assert search.search(jurisdiction, "set-out times", language="en").hits[0].article == draft


def test_the_admin_is_closed_to_non_editors(draft, client, department):
    agent = with_role(StaffFactory(username="agent"), StaffRole.AGENT)
    client.force_login(agent)
    assert client.get("/admin/knowledge/article/").status_code == 403


# --- the demo loader ------------------------------------------------------------------------------------------------


@pytest.fixture
def small_file(tmp_path, service):
    path = tmp_path / "articles.json"
    path.write_text(
        json.dumps(
            {
                "categories": [{"slug": "sanitation", "name": "Sanitation", "name_es": "Saneamiento"}],
                "articles": [
                    {
                        "slug": "report-dumping",
                        "kind": "answer",
                        "category": "sanitation",
                        "tags": ["dumping"],
                        "services": ["SR-ST02", "SR-NOPE"],
                        "video_url": "",
                        "pinned": True,
                        "translations": {
                            "en": {
                                "title": "Reporting illegal dumping",
                                "summary": "Tell us where.",
                                "body": "Give the address.",
                            },
                            "es": {"title": "Denunciar vertidos", "summary": "Díganos dónde.", "body": "Dirección."},
                        },
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_the_loader_is_idempotent(jurisdiction, small_file, service):
    first = load_articles(jurisdiction, small_file)
    second = load_articles(jurisdiction, small_file)
    assert (second.categories, second.articles, second.translations) == (1, 1, 2)
    assert second.unknown_services == ("SR-NOPE",) and first.documents == second.documents
    assert Article.objects.count() == 1 and ArticleTranslation.objects.count() == 2
    article = Article.objects.get()
    assert article.is_published and article.pinned and list(article.services.all()) == [service]
    assert search.search(jurisdiction, "vertidos", language="es").hits[0].article == article


def test_the_real_demo_file_loads(jurisdiction):
    if not ARTICLES_FILE.exists():
        pytest.skip("The demo articles are not written yet.")
    loaded = load_articles(jurisdiction)
    assert loaded.articles >= 40 and loaded.translations >= 2 * 40
    assert Article.objects.filter(status=Article.Status.PUBLISHED).count() == loaded.articles


def test_the_admin_actions_go_through_the_services_and_say_how_many_moved(client, draft, dana):
    from django.contrib.messages import get_messages

    client.force_login(dana)
    url = "/admin/knowledge/article/"
    response = client.post(url, {"action": "submit_for_review", "_selected_action": [draft.pk]}, follow=True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 article submitted for review."]
    response = client.post(url, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED
    response = client.post(url, {"action": "submit_for_review", "_selected_action": [draft.pk]}, follow=True)
    refused = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(refused) == 1 and refused[0].startswith(f"{draft.slug}: ")
