"""The one search over articles and services: ranking, typos, accents, languages, bad input, index updates.

Runs on SQLite by default and on PostgreSQL with DATABASE_URL=postgres://…
"""

from __future__ import annotations

import pytest
from django.db import connection

from civic311.knowledge import search, services
from civic311.knowledge.models import SearchDocument

from .factories import ServiceFactory
from .knowledge_helpers import write_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(jurisdiction, service, dana):
    """A small knowledge base: the dumping answer, a body-only mention, and unrelated articles."""
    return {
        "dumping": write_article(
            jurisdiction,
            "illegal-dumping",
            actor=dana,
            title="How to report illegal dumping",
            summary="Tell us where trash was dumped on a street or lot.",
            body="Report **illegal dumping** with the address and what was left.",
            tags=["short dumping"],
            service_list=[service],
            translations={
                "es": {
                    "title": "Cómo denunciar vertidos ilegales",
                    "summary": "Díganos dónde tiraron basura.",
                    "body": "Denuncie la básura tirada en la calle.",
                }
            },
        ),
        "bulk": write_article(
            jurisdiction,
            "bulk-items",
            actor=dana,
            title="Setting out bulk items",
            summary="Furniture goes out on your trash day.",
            body="Putting furniture in an alley is illegal dumping; set it out on trash day.",
        ),
        "potholes": write_article(
            jurisdiction,
            "potholes",
            actor=dana,
            title="Potholes and road repair",
            summary="The Streets Department fixes potholes.",
            body="Within three days.",
        ),
        "recycling": write_article(
            jurisdiction,
            "recycling-only",
            actor=dana,
            title="Recycling day",
            summary="Recycling is collected weekly.",
            body="Rinse containers before recycling them.",
        ),
    }


def slugs(results) -> list[str]:
    return [hit.article.slug if hit.article else hit.service.code for hit in results.hits]


def test_the_title_ranks_above_the_body(jurisdiction, library):
    found = search.search(jurisdiction, "illegal dumping", language="en")
    articles = [hit.article.slug for hit in found.hits if hit.kind == "article" and hit.article]
    assert articles[:2] == ["illegal-dumping", "bulk-items"]
    assert found.corrected == ""
    first = next(hit for hit in found.hits if hit.kind == "article")
    assert first.url == "/help/illegal-dumping/"
    assert first.snippet == "Tell us where trash was dumped on a street or lot."


def test_a_typo_still_finds_illegal_dumping(jurisdiction, library):
    found = search.search(jurisdiction, "ilegal dumpng", language="en")
    assert found.corrected == "illegal dumping"
    assert next(hit.article for hit in found.hits if hit.article) == library["dumping"]
    # In Spanish "ilegal" is a word of the index: no correction, and the Spanish text is found.
    spanish = search.search(jurisdiction, "vertidos ilegal", language="es")
    assert spanish.corrected == "" and spanish.hits[0].article == library["dumping"]


def test_a_misspelt_single_word_is_corrected(jurisdiction, library):
    found = search.search(jurisdiction, "pothlos", language="en")
    assert found.corrected == "potholes"
    assert slugs(found)[0] == "potholes"


def test_a_prefix_matches_without_correction(jurisdiction, library):
    found = search.search(jurisdiction, "recyc", language="en")
    assert found.corrected == ""
    assert "recycling-only" in slugs(found)


def test_a_service_name_or_keyword_finds_the_service(jurisdiction, department, dana):
    bins = ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="SR-SAN01",
        name="Missed Trash Collection",
        keywords="garbage, rubbish, bins",
        description="Your trash was not picked up on your collection day.",
    )
    by_name = search.search(jurisdiction, "missed collection", language="en")
    assert by_name.hits[0].service == bins and by_name.hits[0].kind == "service"
    assert by_name.hits[0].url == "/report/SR-SAN01/"
    by_keyword = search.search(jurisdiction, "rubbish", language="en")
    assert [hit.service for hit in by_keyword.hits] == [bins]


def test_services_and_articles_rank_together(jurisdiction, library, service):
    found = search.search(jurisdiction, "dumping", language="en")
    kinds = {hit.kind for hit in found.hits}
    assert kinds == {"article", "service"}
    assert service in [hit.service for hit in found.hits]


def test_accents_do_not_matter(jurisdiction, library):
    with_accent = search.search(jurisdiction, "básura", language="es")
    without = search.search(jurisdiction, "BASURA", language="es")
    assert slugs(with_accent) == slugs(without) == ["illegal-dumping"]
    assert (
        search.search(jurisdiction, "vertidos ilegales", language="es").hits[0].title
        == "Cómo denunciar vertidos ilegales"
    )


def test_the_visitors_language_first_then_english(jurisdiction, library):
    spanish = search.search(jurisdiction, "dumping", language="es")
    first = spanish.hits[0]
    # Matched through the English text, shown in Spanish where the article is translated.
    assert first.article == library["dumping"] and first.title == "Cómo denunciar vertidos ilegales"
    pothole = search.search(jurisdiction, "potholes", language="es").hits[0]
    assert pothole.title == "Potholes and road repair"  # no Spanish text: English


def test_spanish_words_are_not_found_in_english(jurisdiction, library):
    assert slugs(search.search(jurisdiction, "vertidos", language="en")) == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 10_000,
        "!!! ??? ...",
        '"foo" OR 1=1 --',
        "dumping\x00'; DROP TABLE knowledge_article; --",
        'unbalanced "quote',
        "NEAR(a b)",
        "title:dumping",
        "a*",
        "-dumping",
        "(((",
        "'",
        "\\",
        "\x00\x00",
        "dumping " * 500,
        "&|!<->:*",
        "🚮 🗑️",
    ],
)
def test_bad_queries_get_a_clean_answer(jurisdiction, library, query):
    found = search.search(jurisdiction, query, language="en")
    assert isinstance(found, search.SearchResults)
    assert len(found.query) <= search.MAX_QUERY_CHARS and "\x00" not in found.query


def test_an_injection_shaped_query_is_only_words(jurisdiction, library):
    found = search.search(jurisdiction, '"dumping" OR 1=1 --', language="en")
    # Treated as the words dumping, or, 1, 1: nothing matches all, so any of them; dumping ranks first.
    assert next(hit.article.slug for hit in found.hits if hit.article) == "illegal-dumping"
    assert SearchDocument.objects.exists()  # and nothing was dropped


def test_unpublishing_takes_the_article_out_at_once(jurisdiction, library, dana):
    services.unpublish(library["potholes"], actor=dana)
    assert "potholes" not in slugs(search.search(jurisdiction, "potholes", language="en"))


def test_a_changed_text_is_searchable_at_once(jurisdiction, library, dana):
    services.save_translation(
        library["recycling"],
        language="en",
        title="Recycling and compost day",
        summary="Compost too.",
        body="",
        actor=dana,
    )
    assert slugs(search.search(jurisdiction, "compost", language="en")) == ["recycling-only"]
    services.save_translation(library["recycling"], language="es", title="Día del reciclaje", actor=dana)
    assert search.search(jurisdiction, "reciclaje", language="es").hits[0].title == "Día del reciclaje"


def test_drafts_are_not_found(jurisdiction, dana):
    write_article(jurisdiction, "draft", actor=dana, title="Snow emergency routes", publish=False)
    assert slugs(search.search(jurisdiction, "snow", language="en")) == []


def test_a_changed_service_is_reindexed(jurisdiction, service):
    service.name = "Short dumping of construction debris"
    service.save()
    assert [hit.service for hit in search.search(jurisdiction, "debris", language="en").hits] == [service]
    service.is_active = False
    service.save()
    assert search.search(jurisdiction, "debris", language="en").hits == []


def test_other_jurisdictions_are_not_searched(jurisdiction, library, dana):
    from .factories import JurisdictionFactory

    other = JurisdictionFactory(slug="pittsburgh", name="Pittsburgh", jurisdiction_id="pgh.gov", is_default=False)
    write_article(other, "illegal-dumping", actor=dana, title="Pittsburgh dumping", summary="Call us.")
    assert [
        hit.article.jurisdiction for hit in search.search(jurisdiction, "dumping", language="en").hits if hit.article
    ] == [jurisdiction, jurisdiction]


def test_rebuild_gives_the_same_answers(jurisdiction, library):
    before = slugs(search.search(jurisdiction, "ilegal dumpng", language="es"))
    count = search.rebuild(jurisdiction)
    assert count == SearchDocument.objects.filter(jurisdiction=jurisdiction).count() == 6  # 5 texts + 1 service
    assert slugs(search.search(jurisdiction, "ilegal dumpng", language="es")) == before


def test_the_management_command_rebuilds(jurisdiction, library, capsys):
    from django.core.management import call_command

    SearchDocument.objects.all().delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM knowledge_search_fts")
    call_command("rebuild_search_index")
    assert "6 documents" in capsys.readouterr().out
    assert slugs(search.search(jurisdiction, "potholes", language="en")) == ["potholes"]


def _index_rows() -> int:
    """Rows in the database's own index: the FTS5 table on SQLite, the documents' rows on PostgreSQL."""
    if connection.vendor != "sqlite":
        return SearchDocument.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM knowledge_search_fts")
        return cursor.fetchone()[0]


def test_deleting_a_service_or_an_article_takes_its_index_rows_with_it(jurisdiction, library, service):
    assert _index_rows() == SearchDocument.objects.count() > 0
    service_id = service.pk
    library["potholes"].delete()
    service.delete()  # a cascade: the documents go without the search services being asked
    assert _index_rows() == SearchDocument.objects.count()
    assert not SearchDocument.objects.filter(service_id=service_id).exists()
    assert slugs(search.search(jurisdiction, "potholes", language="en")) == []
    assert "illegal-dumping" in slugs(search.search(jurisdiction, "dumping", language="en"))
