"""The choose-service page's "Describe what's wrong": the services the resident's words point to, with why
and how sure, or "we're not sure" and the ordinary list. It works without JavaScript (a posted form), live
with htmx (the suggestions alone, posted), without a trained model (the keyword baseline) and when the
suggester fails (the list). Nothing is chosen for the resident; their words go on to the report form through
their session, never in an address (they may hold personal data; addresses end up in logs)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from civic311.catalogue.models import Service
from civic311.public import service_suggestions
from civic311.text_intelligence import suggesting, training

from .factories import ServiceFactory

pytestmark = pytest.mark.django_db

URL = reverse("public:choose_service")


@pytest.fixture
def catalogue(jurisdiction, department):
    made = {}
    for code, name, keywords, spanish, spanish_keywords in [
        (
            "SR-ST01",
            "Street Defect",
            "pothole, hole in the road, sinkhole, cave in",
            "Defecto de la calle",
            "bache, hoyo",
        ),
        ("SR-CL01", "Graffiti Removal", "graffiti, tagging, spray paint", "Eliminación de grafiti", "grafiti, pintada"),
        ("SR-ST02", "Illegal Dumping", "dumping, dumped, tires, mattress", "Vertido ilegal", "basura tirada, colchón"),
        ("SR-ST04", "Street Light Outage", "street light, lamp out, dark", "Farola apagada", "farola, luz apagada"),
    ]:
        made[code] = ServiceFactory(
            jurisdiction=jurisdiction,
            department=department,
            code=code,
            name=name,
            keywords=keywords,
            translations={"es": {"name": spanish, "keywords": spanish_keywords}},
        )
    # Information only: never offered as something to report, whatever the words.
    ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        code="INFO-TRASHDAY",
        name="Trash day information",
        keywords="collection day, schedule, dumped",
        kind=Service.Kind.INFORMATION,
    )
    return made


def suggested_links(html: str) -> list[str]:
    """The services offered to pick, in order: each a small posted form to `public:start_report`."""
    block = re.search(r'<div id="service-suggestions".*?</div>', html, re.DOTALL)
    assert block is not None
    return re.findall(r'<form[^>]*action="/report/([^/"]+)/start/"[^>]*method="post"', block.group(0))


def describe(client, words, **headers):
    """What the describe form (or htmx, as they type) posts."""
    return client.post(URL, {"description": words}, **headers)


def test_the_page_offers_to_describe_the_problem_and_still_lists_every_service(client, catalogue):
    html = client.get(URL).content.decode()
    assert 'name="description"' in html
    assert "Describe what&#x27;s wrong" in html or "Describe what's wrong" in html
    assert suggested_links(html) == []
    assert "We&#x27;re not sure" not in html
    for service in catalogue.values():
        assert f'href="/report/{service.code}/"' in html  # the ordinary list


def test_without_javascript_the_described_problem_gets_its_services_with_why(client, catalogue):
    response = describe(client, "There is a huge pothole in front of my house")
    html = response.content.decode()
    assert response.status_code == 200
    links = suggested_links(html)
    assert links[0] == "SR-ST01"
    assert "INFO-TRASHDAY" not in suggested_links(describe(client, "what is my collection day").content.decode())
    assert "“pothole”" in html  # why
    assert re.search(r"\d+ ?% sure", html)  # how sure
    # The resident's words go on, posted, to the form of the service they pick; no address carries them.
    pick = re.search(r'<form[^>]*action="/report/SR-ST01/start/".*?</form>', html, re.DOTALL)
    assert pick is not None
    assert 'name="csrfmiddlewaretoken"' in pick.group(0)
    assert 'name="description" value="There is a huge pothole in front of my house"' in pick.group(0)
    assert "?description=" not in html and "description=There" not in html
    # The ordinary list is still there: the resident decides.
    assert 'href="/report/SR-CL01/"' in html


def test_live_with_htmx_it_answers_the_suggestions_alone(client, catalogue):
    response = describe(client, "someone tagged graffiti on the wall", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and html.lstrip().startswith('<div id="service-suggestions"')
    assert suggested_links(html)[0] == "SR-CL01"
    assert "HX-Request" in response["Vary"]
    assert "HX-Request" in client.get(URL)["Vary"]  # the full page and the fragment are cached apart


def test_the_page_loads_htmx_without_an_inline_script(client, catalogue):
    html = client.get(URL).content.decode()
    assert "vendor/htmx/htmx.min.js" in html
    assert 'hx-post="/report/"' in html and 'hx-target="#service-suggestions"' in html
    assert "hx-get=" not in html and "hx-replace-url" not in html  # the words never go into the address
    describe_form = re.search(r'<form[^>]*id="describe-form".*?</form>', html, re.DOTALL)
    assert describe_form is not None and 'method="post"' in describe_form.group(0)
    assert 'name="csrfmiddlewaretoken"' in describe_form.group(0)  # htmx posts the form's token with the words
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert '"allowEval": false' in html


def test_with_a_trained_model_the_model_answers(client, catalogue, jurisdiction):
    training.train(jurisdiction)
    found = service_suggestions.suggested_services(jurisdiction, "big pothole in the road")
    assert found.method == "model"
    assert found.services and found.services[0].service.code == "SR-ST01"
    assert all(shown.percent is not None and 0 <= shown.percent <= 100 for shown in found.services)
    html = describe(client, "big pothole in the road").content.decode()
    assert suggested_links(html)[0] == "SR-ST01"


@pytest.mark.parametrize("words", ["🙂🙂🙂", "hello", "the of and", "   "])
def test_words_that_say_nothing_get_we_are_not_sure_and_the_list(client, catalogue, words):
    html = describe(client, words).content.decode()
    assert suggested_links(html) == []
    if words.strip():
        assert "not sure which service this is" in html
        assert "Pick from the list below" in html
    for service in catalogue.values():
        assert f'href="/report/{service.code}/"' in html


def test_an_unsure_answer_is_offered_as_perhaps_never_as_sure(client, catalogue, settings):
    settings.CIVIC311_SUGGESTION_FLOOR = 0.99  # nothing is sure enough
    html = describe(client, "pothole on my street").content.decode()
    assert "not sure which service this is" in html
    assert "These might fit" in html
    assert "Services that fit your description" not in html
    assert suggested_links(html)[0] == "SR-ST01"


def test_a_spanish_description_finds_its_service(client, catalogue, jurisdiction):
    # The keyword baseline reads the catalogue in the visitor's language...
    html = describe(client, "hay un bache enorme en mi calle", HTTP_ACCEPT_LANGUAGE="es").content
    assert suggested_links(html.decode())[:1] == ["SR-ST01"]
    # ...a trained model knows every language of the catalogue, whatever the page's.
    training.train(jurisdiction)
    html = describe(client, "hay un bache enorme en mi calle").content.decode()
    assert suggested_links(html)[:1] == ["SR-ST01"]


def test_ten_thousand_characters_are_read_by_their_start_and_carried_capped(client, catalogue):
    text = "graffiti on the wall " + "x" * 10_000
    response = describe(client, text)
    html = response.content.decode()
    assert response.status_code == 200
    kept = re.search(r'<textarea[^>]*id="id_description"[^>]*>([^<]*)</textarea>', html)
    assert kept is not None and len(kept.group(1)) == service_suggestions.DESCRIBE_MAX_CHARS
    assert suggested_links(html)[:1] == ["SR-CL01"]


def test_the_words_are_escaped_never_run(client, catalogue):
    html = describe(client, "<script>alert(1)</script> graffiti").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; graffiti" in html


def test_without_the_suggester_the_keyword_baseline_answers(client, catalogue, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(suggesting, "suggest", broken)
    response = describe(client, "someone dumped tires in the lot")
    html = response.content.decode()
    assert response.status_code == 200
    assert suggested_links(html) == ["SR-ST02"]
    assert "Some of your words match this service." in html
    assert "not sure which service this is" in html  # the baseline has no confidence: never "sure"
    assert "% sure" not in html


def test_when_the_baseline_fails_too_the_ordinary_list_answers(client, catalogue, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("search index broken")

    monkeypatch.setattr(suggesting, "suggest", broken)
    monkeypatch.setattr(service_suggestions.keyword_baseline, "suggest_service", broken)
    response = describe(client, "someone dumped tires in the lot")
    html = response.content.decode()
    assert response.status_code == 200
    assert suggested_links(html) == []
    assert "not sure which service this is" in html
    for service in catalogue.values():
        assert f'href="/report/{service.code}/"' in html


def test_a_broken_explanation_still_shows_the_suggestion(client, catalogue, monkeypatch):
    def broken(suggestion):
        raise RuntimeError("no sentence")

    monkeypatch.setattr(suggesting, "explain", broken)
    html = describe(client, "graffiti on my fence").content.decode()
    assert suggested_links(html)[0] == "SR-CL01"
    assert "% sure" in html


def test_nothing_is_chosen_for_the_resident(client, catalogue):
    response = describe(client, "graffiti on my fence")
    assert response.status_code == 200  # never a redirect to a service's form
    block = re.search(r'<div id="service-suggestions".*?</div>', response.content.decode(), re.DOTALL)
    assert block is not None and "selected" not in block.group(0)


def test_the_search_still_works_beside_the_description(client, catalogue):
    html = client.get(URL, {"q": "graffiti"}).content.decode()
    assert "1 service matches “graffiti”" in html
    assert suggested_links(html) == []


# --- the words never travel in an address ---------------------------------------------------------------


def test_words_in_the_address_are_ignored(client, catalogue):
    """Old links (`?description=…`) are no longer read: the plain page, nothing described, nothing carried."""
    html = client.get(URL, {"description": "There is a huge pothole"}).content.decode()
    assert suggested_links(html) == []
    assert "huge pothole" not in html
    form = client.get(reverse("public:report", args=["SR-ST01"]), {"description": "pothole by the bus stop"})
    assert "pothole by the bus stop" not in form.content.decode()


def test_the_describe_form_refuses_a_post_without_its_csrf_token(catalogue):
    guarded = Client(enforce_csrf_checks=True)
    assert guarded.post(URL, {"description": "graffiti on my fence"}).status_code == 403
    assert guarded.post(URL, {"description": "graffiti"}, HTTP_HX_REQUEST="true").status_code == 403
    pick = reverse("public:start_report", args=["SR-CL01"])
    refused = guarded.post(pick, {"description": "graffiti on my fence"})
    assert refused.status_code == 403
    assert "civic311.public.described" not in guarded.session


def test_with_the_pages_token_the_whole_journey_posts(catalogue):
    """As a browser does it: the page's token with each post, the words only in bodies and the session."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(URL)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    words = "someone sprayed graffiti on my garage door, call me on 555 0100"
    answered = browser.post(URL, {"description": words, "csrfmiddlewaretoken": token.group(1)})
    assert answered.status_code == 200 and suggested_links(answered.content.decode())[0] == "SR-CL01"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answered.content.decode())
    assert token is not None
    picked = browser.post(
        reverse("public:start_report", args=["SR-CL01"]), {"description": words, "csrfmiddlewaretoken": token.group(1)}
    )
    assert picked.status_code == 302
    assert picked["Location"] == reverse("public:report", args=["SR-CL01"])  # no words in the redirect
    form = browser.get(picked["Location"]).content.decode()
    assert re.search(rf'<textarea[^>]*id="id_description"[^>]*>{re.escape(words)}</textarea>', form)


# --- the report form takes the words on, from the session, once -------------------------------------------


def pick(client, code, words):
    return client.post(reverse("public:start_report", args=[code]), {"description": words})


def description_on(client, code) -> str:
    html = client.get(reverse("public:report", args=[code])).content.decode()
    kept = re.search(r'<textarea[^>]*id="id_description"[^>]*>([^<]*)</textarea>', html)
    assert kept is not None
    return kept.group(1)


def test_the_report_form_starts_from_the_described_words_once(client, catalogue):
    response = pick(client, "SR-ST01", "pothole by the bus stop")
    assert response.status_code == 302
    assert response["Location"] == "/report/SR-ST01/"
    assert "pothole" not in response["Location"]
    assert client.session[service_suggestions.CARRIED_WORDS_KEY] == {
        "service": "SR-ST01",
        "text": "pothole by the bus stop",
    }
    assert description_on(client, "SR-ST01") == "pothole by the bus stop"
    assert service_suggestions.CARRIED_WORDS_KEY not in client.session
    assert description_on(client, "SR-ST01") == ""  # once: a reload, a later report start afresh


def test_words_kept_for_one_service_never_start_anothers_form(client, catalogue):
    pick(client, "SR-ST01", "pothole by the bus stop")
    assert description_on(client, "SR-CL01") == ""
    assert description_on(client, "SR-ST01") == ""  # taken by the first form that asked


def test_the_carried_words_are_capped_and_cleaned(client, catalogue):
    pick(client, "SR-ST01", "a\x00b " + "y" * 5000)
    kept = description_on(client, "SR-ST01")
    assert "\x00" not in kept
    assert kept.startswith("a b yyy")
    assert len(kept) == service_suggestions.DESCRIBE_MAX_CHARS


@pytest.mark.parametrize("words", ["", "   ", None])
def test_picking_without_words_carries_nothing(client, catalogue, words):
    pick(client, "SR-ST01", "words from before")
    response = client.post(
        reverse("public:start_report", args=["SR-ST01"]), {} if words is None else {"description": words}
    )
    assert response.status_code == 302 and response["Location"] == "/report/SR-ST01/"
    assert description_on(client, "SR-ST01") == ""


def test_picking_a_service_that_takes_no_reports_is_not_found(client, catalogue):
    assert pick(client, "INFO-TRASHDAY", "what is my collection day").status_code == 404
    assert pick(client, "NO-SUCH", "graffiti").status_code == 404
    assert pick(client, "SR-\x00", "graffiti").status_code == 404
    assert service_suggestions.CARRIED_WORDS_KEY not in client.session


def test_picking_is_a_post_only(client, catalogue):
    response = client.get(reverse("public:start_report", args=["SR-ST01"]), {"description": "pothole"})
    assert response.status_code == 405


def test_something_else_in_the_sessions_place_reads_as_no_words(client, catalogue):
    session = client.session
    session[service_suggestions.CARRIED_WORDS_KEY] = "pothole, not as kept"
    session.save()
    assert description_on(client, "SR-ST01") == ""


def test_without_carried_words_the_report_form_starts_empty(client, catalogue):
    assert description_on(client, "SR-ST01") == ""


# --- the read itself -----------------------------------------------------------------------------------


def test_described_keeps_the_words_tidy():
    assert service_suggestions.described(None) == ""
    assert service_suggestions.described("  pot\x00hole \n\n here ") == "pot hole here"
    assert len(service_suggestions.described("z" * 20_000)) == service_suggestions.DESCRIBE_MAX_CHARS


def test_no_words_no_read(jurisdiction, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the suggester was asked about nothing")

    monkeypatch.setattr(suggesting, "suggest", never)
    found = service_suggestions.suggested_services(jurisdiction, "")
    assert not found.answered and found.services == ()
