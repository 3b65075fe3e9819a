"""The meeting-notes splitter shows each item's suggested service with how sure (and why), and "not sure"
instead of a silent guess: an unsure item gets no service chosen for it. The suggestion travels with the
item through adding, going back and the review (display only: the service the liaison picks is filed)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from civic311.community import filing_forms
from civic311.community.filing_forms import Item, ItemSuggestion
from civic311.service_requests.models import ServiceRequest
from civic311.text_intelligence import suggesting, training

from ..text_intelligence.suggester_helpers import page_services
from .helpers import make_liaison

pytestmark = pytest.mark.django_db

NOTES = "1. Graffiti on the wall of the rec centre\n2. Tires dumped in the lot\n3. Thanks to everyone who came"


@pytest.fixture
def catalogue(jurisdiction, department):
    return page_services(
        jurisdiction,
        department,
        [
            ("SR-CL01", "Graffiti Removal", "graffiti, tagging, spray paint", "Eliminación de grafiti", "grafiti"),
            ("SR-ST02", "Illegal Dumping", "dumping, dumped, tires, mattress", "Vertido ilegal", "basura, llantas"),
            ("SR-ST01", "Street Defect", "pothole, hole in the road", "Defecto de la calle", "bache"),
        ],
    )


@pytest.fixture
def liaison(center_city):
    return make_liaison([center_city])


def meeting_post(**fields):
    held_on = (timezone.now() - dt.timedelta(days=1)).date()
    return {
        "meeting-name": "Block meeting",
        "meeting-held_on": held_on.isoformat(),
        "meeting-neighborhood": "center-city",
        "meeting-place": "",
        "meeting-notes": NOTES,
        "filing_key": "k1",
        **fields,
    }


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def chosen(html: str, index: int) -> str:
    select = re.search(rf'<select[^>]*name="items-{index}-service_code".*?</select>', html, re.DOTALL)
    assert select is not None
    found = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return found.group(1) if found else ""


def suggestion_text(html: str, index: int) -> str:
    found = re.search(
        rf'<p class="form-text item-suggestion[^"]*" id="id_items-{index}-suggestion">(.*?)</p>', html, re.DOTALL
    )
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split()) if found else ""


def test_each_item_shows_its_suggestion_and_an_unsure_one_is_left_to_the_liaison(client, catalogue, liaison):
    client.force_login(liaison.user)
    html = client.post("/liaison/meeting/", meeting_post(action="split")).content.decode()
    assert chosen(html, 0) == "SR-CL01"
    assert suggestion_text(html, 0).startswith("Suggested: Graffiti Removal.")
    assert "“graffiti”" in suggestion_text(html, 0) and "% sure" in suggestion_text(html, 0)
    assert chosen(html, 1) == "SR-ST02"
    # "Thanks to everyone who came" is no problem: not sure, and nothing chosen for it.
    assert chosen(html, 2) == ""
    assert "Not sure which service this is: choose one." in suggestion_text(html, 2)
    assert 'aria-describedby="id_items-2-suggestion"' in html


def test_below_the_floor_the_best_guess_is_offered_as_perhaps(client, catalogue, liaison, settings):
    settings.CIVIC311_SUGGESTION_FLOOR = 0.99
    client.force_login(liaison.user)
    html = client.post("/liaison/meeting/", meeting_post(action="split")).content.decode()
    assert chosen(html, 0) == ""
    assert "Not sure which service this is: choose one. Perhaps Graffiti Removal." in suggestion_text(html, 0)


def test_the_suggestion_travels_with_the_item_through_the_steps(client, catalogue, liaison):
    client.force_login(liaison.user)
    split = client.post("/liaison/meeting/", meeting_post(action="split")).content.decode()
    carried = hidden(split)
    assert carried["items-0-suggested-code"] == "SR-CL01"
    assert carried["items-2-suggested-unsure"] == "yes"
    # Adding an item keeps the others' suggestions; the new one has none.
    form = {
        **meeting_post(),
        **{name: value for name, value in carried.items() if name.startswith("items-")},
        "items-total": "3",
        "items-0-service_code": "SR-CL01",
        "items-0-description": "Graffiti on the wall of the rec centre",
        "items-1-service_code": "SR-ST02",
        "items-1-description": "Tires dumped in the lot",
        "items-2-service_code": "",
        "items-2-description": "Thanks to everyone who came",
        "items-2-remove": "yes",
        **{f"items-{index}-neighborhood": "center-city" for index in range(3)},
        "action": "add",
    }
    added = client.post("/liaison/meeting/", form).content.decode()
    assert suggestion_text(added, 0).startswith("Suggested: Graffiti Removal.")
    assert "Not sure" in suggestion_text(added, 2)
    assert suggestion_text(added, 3) == ""
    # The review says which services were the suggested ones, and carries the suggestions back.
    form["action"] = "review"
    review = client.post("/liaison/meeting/", form).content.decode()
    assert review.count("suggested, ") == 2
    assert hidden(review)["items-1-suggested-code"] == "SR-ST02"  # renumbered with its item
    # Filing files the services picked, whatever was suggested.
    form.update(
        {
            "action": "file",
            "items-0-service_code": "SR-ST01",  # the liaison knows better
            "items-0-address": "1 Main St",
            "items-1-address": "2 Main St",
        }
    )
    response = client.post("/liaison/meeting/", form)
    assert response.status_code == 302
    assert sorted(ServiceRequest.objects.values_list("service__code", flat=True)) == ["SR-ST01", "SR-ST02"]


def test_a_tampered_suggestion_is_only_text(client, catalogue, liaison):
    posted = {
        "items-0-suggested-code": "SR-ST01",
        "items-0-suggested-name": "<b>Street</b>",
        "items-0-suggested-percent": "9000",
        "items-0-suggested-why": "x" * 10_000,
        "items-0-suggested-unsure": "",
    }
    suggestion = ItemSuggestion.posted(lambda part: posted.get(f"items-0-{part}", ""))
    assert suggestion is not None
    assert suggestion.percent == 100
    assert len(suggestion.explanation) == filing_forms.SUGGESTION_TEXT_MAX
    odd = ItemSuggestion.posted(lambda part: {"suggested-percent": "lots", "suggested-code": "X"}.get(part, ""))
    assert odd is not None and odd.percent == 0
    assert ItemSuggestion.posted(lambda part: "") is None
    client.force_login(liaison.user)
    form = {
        **meeting_post(action="edit"),
        "items-total": "1",
        "items-0-service_code": "",
        "items-0-description": "Graffiti",
        **posted,
    }
    html = client.post("/liaison/meeting/", form).content.decode()
    assert "<b>Street</b>" not in html and "&lt;b&gt;Street&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "text", ["🙂🙂🙂", "x" * 10_000, "Bonjour, merci pour la réunion", "hay basura y llantas tiradas en el lote"]
)
def test_odd_items_never_break_the_split(jurisdiction, catalogue, text):
    items = filing_forms.items_from_notes(jurisdiction, text, "center-city")
    assert len(items) == 1
    item = items[0]
    assert item.suggestion is not None
    if item.suggestion.unsure:
        assert item.service_code == ""
    else:
        assert item.service_code == item.suggestion.service_code


def test_a_trained_model_suggests_with_its_confidence(jurisdiction, catalogue):
    training.train(jurisdiction)
    items = filing_forms.items_from_notes(jurisdiction, "Someone sprayed graffiti on the school wall", "")
    suggestion = items[0].suggestion
    assert suggestion is not None and suggestion.service_code == "SR-CL01"
    assert 0 <= suggestion.percent <= 100 and f"{suggestion.percent} % sure" in suggestion.explanation


def test_when_the_suggester_fails_the_keyword_baseline_is_offered_as_perhaps(jurisdiction, catalogue, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(suggesting, "suggest_many", broken)
    items = filing_forms.items_from_notes(jurisdiction, "- tires dumped in the lot\n- hello", "")
    assert [item.service_code for item in items] == ["", ""]  # never chosen without a confidence
    assert items[0].suggestion == ItemSuggestion("SR-ST02", "Illegal Dumping", 0, "", unsure=True)
    assert items[1].suggestion == ItemSuggestion("", "", 0, "", unsure=True)


def test_when_everything_fails_the_liaison_picks_every_service(jurisdiction, catalogue, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr(suggesting, "suggest_many", broken)
    monkeypatch.setattr(filing_forms.keyword_baseline, "suggest_services", broken)
    items = filing_forms.items_from_notes(jurisdiction, "- tires dumped\n- graffiti", "")
    assert [(item.service_code, item.suggestion) for item in items] == [("", None), ("", None)]


def test_an_item_the_liaison_added_has_no_suggestion():
    item = Item(0, "")
    assert item.suggestion is None and item.suggestion_fields() == [] and not item.suggestion_followed


def test_an_item_without_an_active_liaison_is_refused(client, catalogue, center_city):
    response = client.post("/liaison/meeting/", meeting_post(action="split"))
    assert response.status_code in {302, 403}
    assert "item-suggestion" not in response.content.decode()
