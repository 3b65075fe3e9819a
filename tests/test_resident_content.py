"""What residents read besides the code's messages, in every shipped language (issue 21): the catalogue's texts
(translation files beside the catalogue file), the twenty most-read help articles, the draft notices, the
emergency banner's languages, and the lookups that find "zh-hant" apart from "zh-hans"."""

from __future__ import annotations

import io
import json
import re
import unicodedata

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from civic311.catalogue.catalogue_file import CatalogueFileError, parse_catalogue
from civic311.catalogue.catalogue_translations import (
    apply_translations,
    existing_translations,
    parse_translation_file,
    read_translation_files,
    render_template,
    source_texts,
)
from civic311.catalogue.models import Service
from civic311.community.services import survey_forms
from civic311.demo import knowledge as demo_knowledge
from civic311.demo import services as demo
from civic311.emergencies.forms import DeclareForm
from civic311.inbox.languages import guess_language
from civic311.knowledge import search
from civic311.knowledge.models import Article, ArticleTranslation
from civic311.knowledge.selectors import needs_translation
from civic311.languages import language_key, lookup_codes, translated
from civic311.people.models import StaffRole
from civic311.people.selectors import supported_language

from .emergency_helpers import declare
from .factories import staff_in_role
from .knowledge_helpers import write_article

SHIPPED = [code for code, _name in settings.LANGUAGES if code != "en"]
MOST_READ = 20


def demo_catalogue():
    return apply_translations(
        parse_catalogue(demo.CATALOGUE_FILE.read_text(encoding="utf-8")),
        read_translation_files(sorted(demo.CATALOGUE_TRANSLATIONS.glob("*.toml"))),
    )


# --- the demo's content is complete in every shipped language ------------------------------------------------


@pytest.mark.parametrize("code", SHIPPED)
def test_every_text_of_the_catalogue_is_translated_in_every_shipped_language(code):
    catalogue = demo_catalogue()
    missing = set(source_texts(catalogue)) - set(existing_translations(catalogue, code))
    assert not missing, f"{len(missing)} catalogue texts untranslated in {code}, e.g. {sorted(missing)[:3]}"


def _articles() -> list[dict]:
    return json.loads(demo_knowledge.ARTICLES_FILE.read_text(encoding="utf-8"))["articles"]


def _translations_of(code: str) -> dict:
    path = demo_knowledge.TRANSLATIONS_FOLDER / f"{code}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"articles": {}, "categories": {}}


@pytest.mark.parametrize("code", SHIPPED)
def test_the_twenty_most_read_articles_and_every_category_are_in_every_shipped_language(code):
    most_read = sorted(_articles(), key=lambda article: (-article["views"], article["slug"]))[:MOST_READ]
    other = _translations_of(code)
    missing = [
        article["slug"]
        for article in most_read
        if code not in article["translations"] and article["slug"] not in other["articles"]
    ]
    assert not missing, f"most-read articles without {code}: {missing}"
    for slug, text in other["articles"].items():
        assert all(text[field].strip() for field in ("title", "summary", "body")), (code, slug)
    categories = json.loads(demo_knowledge.ARTICLES_FILE.read_text(encoding="utf-8"))["categories"]
    if code != "es":
        assert set(other["categories"]) == {category["slug"] for category in categories}


def test_the_translation_files_are_marked_drafts_and_keep_each_articles_links():
    english = {article["slug"]: article["translations"]["en"] for article in _articles()}
    for path in sorted(demo_knowledge.TRANSLATIONS_FOLDER.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["language"] == path.stem and data["draft"] is True
        for slug, text in data["articles"].items():
            links = re.findall(r"\]\(([^)]+)\)", english[slug]["body"])
            assert re.findall(r"\]\(([^)]+)\)", text["body"]) == links, (path.stem, slug)
    for file in read_translation_files(sorted(demo.CATALOGUE_TRANSLATIONS.glob("*.toml"))):
        assert file.draft, file.name


# --- the translation file format ---------------------------------------------------------------------------


@pytest.fixture
def small():
    return parse_catalogue(
        """
version = 1
[[departments]]
slug = "streets"
name = "Streets Department"
[[groups]]
name = "Sanitation"
[[services]]
code = "SR-1"
name = "Missed trash"
group = "Sanitation"
department = "streets"
description = "Trash was not collected."
service_notice = "2 Business Days"
translations.es.name = "Basura no recogida"
[[services.questions]]
code = "missed"
datatype = "singlevaluelist"
description = "What was missed?"
choices = [{key = "trash", name = "Trash"}, {key = "recycling", name = "Recycling"}]
[[services.questions]]
code = "gas"
datatype = "singlevaluelist"
description = "Do you smell gas?"
choices = [{key = "yes", name = "Yes"}, {key = "no", name = "No"}]
[[services.rules]]
kind = "canned_answer"
attribute_code = "gas"
attribute_value = "yes"
message = "Call 911."
"""
    )


def test_a_template_names_every_text_with_its_english_and_reads_back_unchanged(small):
    template = render_template(small, "es")
    assert "# en: Missed trash" in template and 'name = "Basura no recogida"' in template
    assert '[services.SR-1.rules."canned_answer:gas=yes"]' in template
    assert "choices.trash" in template
    file = parse_translation_file(template, name="es.toml")
    assert (file.language, file.draft, file.translated) == ("es", True, 1)
    assert len(file.texts) == len(source_texts(small)) == 12
    assert apply_translations(small, [file]) == small  # empty texts leave the English


def test_a_filled_template_translates_every_kind_of_text(small):
    template = render_template(small, "vi")
    filled = re.sub(r'= ""', lambda _match: '= "VI"', template)
    catalogue = apply_translations(small, [parse_translation_file(filled, name="vi.toml")])
    service = catalogue.services[0]
    assert service.translations["vi"] == {"name": "VI", "description": "VI", "service_notice": "VI"}
    assert service.translations["es"] == {"name": "Basura no recogida"}  # the file's own Spanish stays
    assert catalogue.departments[0].translations == {"vi": {"name": "VI"}}
    assert catalogue.groups[0].translations == {"vi": {"name": "VI"}}
    assert service.questions[0].translations == {"vi": {"description": "VI"}}
    assert [choice.translations for choice in service.questions[0].choices] == [{"vi": {"name": "VI"}}] * 2
    assert service.rules[0].translations == {"vi": {"message": "VI"}}
    assert set(existing_translations(catalogue, "vi")) == set(source_texts(small))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("language = ", "not valid TOML"),
        ('language = "english"', "language: Give the language's code"),
        ('language = "vi"\ndraft = "yes"', "draft: Write true or false."),
        ('language = "vi"\ncolour = "red"', "colour: Unknown key."),
        ('language = "vi"\n[services.SR-1]\nname = 3', "services.SR-1.name: Write the translation as text in quotes."),
    ],
)
def test_a_badly_shaped_file_is_refused_with_the_reason(text, problem):
    with pytest.raises(CatalogueFileError) as error:
        parse_translation_file(text)
    assert any(problem in line for line in error.value.problems), error.value.problems


def test_a_file_that_names_what_the_catalogue_lacks_is_refused_with_every_problem(small):
    wrong = parse_translation_file(
        'language = "vi"\n[services.SR-9]\nname = "x"\n[services.SR-1.questions.missed.choices]\nglass = "y"\n'
        '[services.SR-1]\nkeywords = "z"\n',
        name="vi.toml",
    )
    twice = parse_translation_file('language = "vi"\n[groups.Sanitation]\nname = "a"\n', name="vi-2.toml")
    again = parse_translation_file('language = "vi"\n[groups.Sanitation]\nname = "b"\n', name="vi-3.toml")
    english = parse_translation_file('language = "en"\n', name="en.toml")
    with pytest.raises(CatalogueFileError) as error:
        apply_translations(small, [wrong, twice, again, english])
    problems = "\n".join(error.value.problems)
    assert "vi.toml: services.SR-9.name: The catalogue has nothing by this name." in problems
    assert "vi.toml: services.SR-1.questions.missed.choices.glass:" in problems
    assert "vi.toml: services.SR-1.keywords:" in problems
    assert "vi-3.toml: groups.Sanitation.name: Another file of this language translates it." in problems
    assert "en.toml: English is the catalogue's own text" in problems


def test_load_catalogue_takes_translation_files_and_writes_nothing_when_one_is_wrong(db, tmp_path):
    city = demo.create_jurisdiction()
    demo.load_neighborhoods(city)
    catalogue_file = tmp_path / "catalogue.toml"
    catalogue_file.write_text(demo.CATALOGUE_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    bad = tmp_path / "vi.toml"
    bad.write_text('language = "vi"\n[services.NOPE]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("load_catalogue", str(catalogue_file), "--jurisdiction", city.slug, "--translations", str(bad))
    assert "vi.toml: services.NOPE.name: The catalogue has nothing by this name." in str(error.value)
    assert not Service.objects.filter(jurisdiction=city).exists()
    out = io.StringIO()
    good = demo.CATALOGUE_TRANSLATIONS / "km.toml"
    call_command(
        "load_catalogue", str(catalogue_file), "--jurisdiction", city.slug, "--translations", str(good), stdout=out
    )
    assert "km.toml: 252 texts in km, a draft" in out.getvalue()
    potholes = Service.objects.get(jurisdiction=city, code="SR-ST01")
    assert potholes.localized("name", "km") != potholes.name
    assert potholes.localized("name", "vi") == potholes.name  # not loaded: English


def test_dump_catalogue_writes_a_languages_template_with_its_translations_so_far(db, tmp_path):
    city = demo.create_jurisdiction()
    demo.load_neighborhoods(city)
    demo.load_catalogue(city)
    out = io.StringIO()
    call_command("dump_catalogue", "--translation-template", "vi", stdout=out)
    file = parse_translation_file(out.getvalue())
    assert file.language == "vi" and file.translated == 252
    assert (
        file.texts
        == parse_translation_file((demo.CATALOGUE_TRANSLATIONS / "vi.toml").read_text(encoding="utf-8")).texts
    )
    with pytest.raises(CommandError):
        call_command("dump_catalogue", "--translation-template", "not a language")


# --- one lookup for every language code ------------------------------------------------------------------


def test_chinese_scripts_are_told_apart_and_a_regional_code_finds_its_language():
    texts = {"zh-hans": {"name": "街道"}, "zh-hant": {"name": "街道處"}, "es": {"name": "Calles"}}
    assert translated(texts, "name", "zh-hans") == "街道"
    assert translated(texts, "name", "zh-Hant") == "街道處"
    assert translated(texts, "name", "es-mx") == "Calles"
    assert translated(texts, "name", "vi") is None
    assert translated("not a dict", "name", "es") is None
    assert lookup_codes("zh-hant") == ("zh-hant", "zh") and lookup_codes("es") == ("es",)
    assert language_key("zh_Hans") == "zh-hans"


def test_the_catalogue_shows_each_chinese_in_its_own_script(service):
    service.translations = {"zh-hans": {"name": "垃圾收集"}, "zh-hant": {"name": "垃圾收集服務"}}
    service.save()
    assert service.localized("name", "zh-hans") == "垃圾收集"
    assert service.localized("name", "zh-hant") == "垃圾收集服務"
    assert service.localized("name", "ko") == service.name


def test_a_message_in_chinese_is_answered_in_its_script():
    assert guess_language("请问垃圾什么时候收集我们这条街已经三天没有收了") == "zh-hans"
    assert guess_language("請問垃圾什麼時候收集我們這條街已經三天沒有收了") == "zh-hant"
    assert guess_language("Bonjour, les poubelles de notre rue n'ont pas été ramassées") == "fr"


# --- articles: drafts, the notice, search in a script without spaces ---------------------------------------


@pytest.fixture
def demo_articles(db):
    city = demo.create_jurisdiction()
    demo.load_neighborhoods(city)
    demo.load_catalogue(city)
    demo_knowledge.load_articles(city)
    return city


def test_the_demo_loads_the_draft_translations_and_the_readers_counts(demo_articles):
    vietnamese = ArticleTranslation.objects.get(article__slug="trash-set-out-times", language="vi")
    assert vietnamese.draft and vietnamese.title != "When should I put my trash and recycling out?"
    assert not ArticleTranslation.objects.get(article__slug="trash-set-out-times", language="es").draft
    assert ArticleTranslation.objects.filter(language="zh-hant").count() == MOST_READ
    article = vietnamese.article
    assert article.view_count == 9800
    article.view_count = 12_000  # readers since the demo was made
    article.save(update_fields=["view_count"])
    demo_knowledge.load_articles(demo_articles)
    article.refresh_from_db()
    assert article.view_count == 12_000  # a reload keeps them


def test_a_draft_translation_says_so_and_an_untranslated_article_says_it_is_english(client, demo_articles):
    draft = client.get("/help/trash-set-out-times/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "chưa được người nói ngôn ngữ của quý vị kiểm tra" in draft
    assert 'lang="vi"' in draft
    spanish = client.get("/help/trash-set-out-times/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "help-article" in spanish and "alert-secondary" not in spanish
    rare = client.get("/help/park-permits/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<article class="help-article" lang="en">' in rare and "alert-info" in rare


def test_a_two_character_word_finds_a_chinese_article(demo_articles):
    found = search.search(demo_articles, "垃圾", language="zh-hans")
    assert found.hits and found.hits[0].kind in ("article", "service")
    slugs = [hit.article.slug for hit in found.hits if hit.article]
    assert "trash-set-out-times" in slugs or "missed-trash-collection" in slugs
    assert search.words("垃圾收集") == ["垃圾", "圾收", "收集"]
    assert search.words("আবর্জনা") == [search.fold("আবর্জনা")]  # vowel signs do not cut a word


# --- the page says when its language is a draft ------------------------------------------------------------


def test_the_language_bar_says_a_draft_language_is_a_draft(client, jurisdiction):
    arabic = client.get("/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert 'dir="rtl"' in arabic and "language-bar__draft" in arabic
    assert "language-bar__draft" not in client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "language-bar__draft" not in client.get("/").content.decode()


def test_the_language_menu_lists_seventeen_languages_each_in_its_own_name(client, jurisdiction):
    html = client.get("/").content.decode()
    # NFC: Django writes "Tiếng Việt" with combining accents.
    menu = unicodedata.normalize("NFC", html.split('id="language-select"', 1)[1].split("</select>", 1)[0])
    assert menu.count("<option") == 17
    for own in ("Español", "简体中文", "繁體中文", "Tiếng Việt", "한국어", "Kreyòl ayisyen", "ភាសាខ្មែរ", "বাংলা"):
        assert own in menu, own


# --- the emergency banner in seventeen languages ----------------------------------------------------------


def test_the_emergency_form_offers_every_language_with_the_others_folded(jurisdiction):
    form = DeclareForm(jurisdiction=jurisdiction)
    languages = form.language_fields()
    assert [code for code, _name, _fields, _shown in languages] == [code for code, _name in settings.LANGUAGES]
    assert [code for code, _name, _fields, shown in languages if shown] == ["en", "es"]
    assert form.fields["banner_ar"].widget.attrs["lang"] == "ar"
    filled = DeclareForm({"banner_km": "x"}, jurisdiction=jurisdiction)
    assert "km" in [code for code, _name, _fields, shown in filled.language_fields() if shown]


def test_a_banner_written_in_a_language_is_shown_in_it(client, jurisdiction):
    supervisor = staff_in_role(StaffRole.SUPERVISOR)
    declare(
        jurisdiction,
        supervisor,
        title={"en": "Snow emergency", "zh-hant": "雪災緊急狀態"},
        banner={"en": "Move your car.", "zh-hant": "請移走您的車輛。"},
    )
    traditional = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "雪災緊急狀態" in traditional and "請移走您的車輛。" in traditional
    simplified = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Snow emergency" in simplified and "雪災" not in simplified


@override_settings(LANGUAGES=[("en", "English")])
def test_the_emergency_form_follows_the_shipped_languages(jurisdiction):
    assert [code for code, *_rest in DeclareForm(jurisdiction=jurisdiction).language_fields()] == ["en"]


def test_editors_are_asked_for_every_language_of_the_most_read_articles_only(jurisdiction, dana):
    for rank in range(MOST_READ + 1):
        article = write_article(
            jurisdiction,
            f"article-{rank:02}",
            actor=dana,
            title=f"Article {rank}",
            summary="x",
            translations={"es": {"title": f"Artículo {rank}", "summary": "x"}},
        )
        Article.objects.filter(pk=article.pk).update(view_count=1000 - rank)
    due = {item.article.slug: item.missing for item in needs_translation(jurisdiction)}
    assert set(due) == {f"article-{rank:02}" for rank in range(MOST_READ)}  # not the 21st
    assert due["article-00"] == [code for code in SHIPPED if code != "es"]


# --- the youth survey in every language -----------------------------------------------------------------------


def test_the_default_youth_survey_asks_in_every_language_and_the_editor_keeps_them(jurisdiction):
    instrument = survey_forms.ensure_youth_survey(jurisdiction)
    questions = {question.code: question for question in instrument.versions.get(number=1).questions.all()}
    knows = questions["knows_311"]
    assert knows.localized("text", "es") == "¿Sabes qué es Philly311?"
    for code in SHIPPED:
        assert knows.localized("text", code) != knows.text, code
        assert "Philly311" in knows.localized("text", code), code
    assert dict(questions["city_does"].localized_choices("zh-hant"))["trash"] != "Trash collection"
    staff = staff_in_role(StaffRole.COMMUNITY_STAFF, username="casey")
    draft = survey_forms.open_draft(instrument, actor=staff)
    question = draft.questions.get(code="want_to_learn")
    vietnamese = question.localized("text", "vi")
    changed = survey_forms.change_question(
        question, actor=staff, text=question.text, text_es="¿Qué te gustaría aprender ahora?"
    )
    assert changed.localized("text", "es") == "¿Qué te gustaría aprender ahora?"
    assert changed.localized("text", "vi") == vietnamese  # the editor writes two languages and keeps the rest
    rewritten = survey_forms.change_question(changed, actor=staff, text="What would you like to learn next?")
    assert rewritten.localized("text", "vi") == "What would you like to learn next?"  # not the old question


@pytest.mark.parametrize(
    ("named", "served"),
    [("zh-CN", "zh-hans"), ("zh_TW", "zh-hant"), ("zh-HK", "zh-hant"), ("ht", "ht"), ("pt-BR", "pt"), ("ar-EG", "ar")],
)
def test_a_language_a_client_names_finds_the_seventeen(named, served):
    assert supported_language(named) == served
