"""What the inbox does with the text intelligence (issue 19): the reading stored on a new item from its first
message (kind, sentiment, the sure suggestion, the place: the one shared, else the one named, and its
neighborhood), never on a reply or an auto-reply, never stopping a message when a reader fails; the list's
badges and filters; the item page's reading panel (services and why, mood and why, places, possible
duplicates, "not sure"); the SMS door taking a place named in the words instead of asking WHERE; and the
real readers on bad input (empty, 10,000 characters, only emoji, another language)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.urls import reverse

from civic311.inbox.models import InboxItem, TextConversation
from civic311.inbox.services import Incoming, receive, receiving, sms
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import StaffRole
from civic311.text_intelligence import suggesting
from civic311.text_intelligence.duplicates import PossibleDuplicate
from civic311.text_intelligence.models import Sentiment, TextKind
from civic311.text_intelligence.suggesting import ServiceSuggestion, Suggestions

from ..factories import NeighborhoodFactory, ServiceFactory, StaffFactory, box, filed_request, with_role
from ..text_intelligence.fake_readings import corner, named, reading

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 4, 15, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def mail(**fields: Any) -> Incoming:
    defaults = {
        "channel": "email",
        "external_id": f"<r{next(_ids)}@example.org>",
        "sender": "rosa@example.org",
        "subject": "Pothole again",
        "body": "The pothole at Broad and Market is back, third time I write.",
    }
    return Incoming(**{**defaults, **fields})


class Reader:
    """Stands in for `read_text`: answers `answer` and remembers what it was asked."""

    def __init__(self, answer=None, error: Exception | None = None) -> None:
        self.answer, self.error = answer, error
        self.calls: list[dict[str, Any]] = []

    def __call__(self, jurisdiction, text, *, lat=None, long=None, language=None, limit=3):
        self.calls.append({"text": text, "lat": lat, "long": long, "language": language})
        if self.error is not None:
            raise self.error
        return self.answer


@pytest.fixture
def streets(jurisdiction, department):
    return ServiceFactory(jurisdiction=jurisdiction, department=department, code="SR-ST01", name="Street Defect")


@pytest.fixture
def kensington(jurisdiction):
    return NeighborhoodFactory(
        jurisdiction=jurisdiction, slug="kensington", name="Kensington", boundary=box(-75.14, 39.97, -75.11, 39.99)
    )


def use_reader(monkeypatch, reader: Reader) -> Reader:
    monkeypatch.setattr(receiving, "read_text", reader)
    return reader


# --- stored at receive ----------------------------------------------------------------------------------------------


def test_a_new_item_keeps_the_reading_of_its_first_message(monkeypatch, jurisdiction, streets, center_city):
    reader = use_reader(monkeypatch, Reader(reading((streets, 0.86, ("pothole",)), places=(corner(center_city),))))
    item = receive(jurisdiction, mail(language="en"), now=NOW).item
    item.refresh_from_db()
    assert (item.text_kind, item.sentiment, item.sentiment_score) == (TextKind.COMPLAINT, Sentiment.NEGATIVE, -0.62)
    assert item.suggested_service == streets and item.suggestion_confidence == 0.86
    assert (item.lat, item.long, item.neighborhood) == (39.9526, -75.1635, center_city)
    # The subject and the body are read together, in the message's language, with no point of its own.
    assert reader.calls == [
        {
            "text": "Pothole again. The pothole at Broad and Market is back, third time I write.",
            "lat": None,
            "long": None,
            "language": "en",
        }
    ]


def test_an_unsure_reading_suggests_no_service(monkeypatch, jurisdiction, streets):
    use_reader(monkeypatch, Reader(reading((streets, 0.31, ("hole",)), unsure=True, kind=TextKind.QUESTION)))
    item = receive(jurisdiction, mail(), now=NOW).item
    item.refresh_from_db()
    assert item.suggested_service is None and item.suggestion_confidence is None
    assert item.text_kind == TextKind.QUESTION
    assert item.lat is None and item.neighborhood is None


def test_a_shared_point_wins_over_a_place_in_the_words(monkeypatch, jurisdiction, streets, center_city, kensington):
    reader = use_reader(monkeypatch, Reader(reading((streets, 0.9, ()), places=(corner(center_city),))))
    item = receive(jurisdiction, mail(lat=39.98, long=-75.12), now=NOW).item
    item.refresh_from_db()
    assert (item.lat, item.long, item.neighborhood) == (39.98, -75.12, kensington)
    assert reader.calls[0]["lat"] == 39.98 and reader.calls[0]["long"] == -75.12


def test_a_neighborhood_named_without_a_point_is_kept(monkeypatch, jurisdiction, streets, kensington):
    use_reader(monkeypatch, Reader(reading((streets, 0.9, ()), places=(named(kensington),))))
    item = receive(jurisdiction, mail(body="Trash everywhere in kensington"), now=NOW).item
    item.refresh_from_db()
    assert item.lat is None and item.long is None and item.neighborhood == kensington


def test_a_point_outside_every_neighborhood_has_no_neighborhood(monkeypatch, jurisdiction, streets, center_city):
    use_reader(monkeypatch, Reader(reading((streets, 0.9, ()), places=(corner(None, lat=40.1, long=-75.0),))))
    item = receive(jurisdiction, mail(), now=NOW).item
    item.refresh_from_db()
    assert (item.lat, item.long, item.neighborhood) == (40.1, -75.0, None)


def test_a_reply_is_not_read_again(monkeypatch, jurisdiction, streets):
    reader = use_reader(monkeypatch, Reader(reading((streets, 0.9, ()))))
    first = receive(jurisdiction, mail(external_id="<first@example.org>"), now=NOW)
    reader.answer = reading(kind=TextKind.PRAISE, sentiment=Sentiment.POSITIVE, score=0.8)
    again = receive(jurisdiction, mail(body="Thanks, it is fixed!", in_reply_to=["<first@example.org>"]), now=NOW)
    assert again.item.pk == first.item.pk and not again.new_item
    again.item.refresh_from_db()
    assert len(reader.calls) == 1
    assert again.item.text_kind == TextKind.COMPLAINT and again.item.suggested_service == streets


def test_an_auto_reply_is_not_read(monkeypatch, jurisdiction, streets):
    reader = use_reader(monkeypatch, Reader(reading((streets, 0.9, ()))))
    item = receive(jurisdiction, mail(automatic=True, body="I am out of the office"), now=NOW).item
    item.refresh_from_db()
    assert reader.calls == [] and item.text_kind == "" and item.suggested_service is None


def test_a_reader_that_fails_never_loses_the_message(monkeypatch, jurisdiction, caplog):
    use_reader(monkeypatch, Reader(error=RuntimeError("model file unreadable")))
    receipt = receive(jurisdiction, mail(body="My phone is 215-555-0100, the light is out"), now=NOW)
    item = InboxItem.objects.get(pk=receipt.item.pk)
    assert receipt.created and item.messages.count() == 1
    assert item.text_kind == "" and item.sentiment == "" and item.sentiment_score is None
    # Logged without the resident's words.
    assert "reading a message failed" in caplog.text and "215-555-0100" not in caplog.text


# --- the list ---------------------------------------------------------------------------------------------------


@pytest.fixture
def three_items(monkeypatch, jurisdiction, streets, mailbox):
    answers = iter(
        [
            reading((streets, 0.9, ()), kind=TextKind.COMPLAINT, sentiment=Sentiment.NEGATIVE),
            reading(kind=TextKind.PRAISE, sentiment=Sentiment.POSITIVE, score=0.7, unsure=True),
            reading(kind=TextKind.QUESTION, sentiment=Sentiment.NEUTRAL, score=0.0, unsure=True),
        ]
    )
    monkeypatch.setattr(receiving, "read_text", lambda *args, **kwargs: next(answers))
    subjects = ["Broken again", "Thank you!", "When is trash day?"]
    return [receive(jurisdiction, mail(subject=subject, mailbox=mailbox), now=NOW).item for subject in subjects]


def test_the_list_shows_kind_and_sentiment_badges(client, three_items, agent):
    client.force_login(agent)
    page = client.get(reverse("console:inbox"), {"status": "all"}).content.decode()
    assert "inbox-kind--complaint" in page and "Complaint</span>" in page
    assert "inbox-sentiment--negative" in page and "inbox-sentiment--positive" in page
    assert "Sentiment, as read" in page


def test_the_list_filters_by_kind_and_sentiment(client, three_items, agent):
    client.force_login(agent)
    page = client.get(reverse("console:inbox"), {"status": "all", "sentiment": "negative"}).content.decode()
    assert "Broken again" in page and "Thank you!" not in page and "When is trash day?" not in page
    page = client.get(reverse("console:inbox"), {"status": "all", "kind": "question"}).content.decode()
    assert "When is trash day?" in page and "Broken again" not in page
    both = {"status": "all", "kind": "praise", "sentiment": "positive"}
    page = client.get(reverse("console:inbox"), both).content.decode()
    assert "Thank you!" in page and "Broken again" not in page
    # An unknown value is no filter, not an error.
    page = client.get(reverse("console:inbox"), {"status": "all", "kind": "rant", "sentiment": "x"}).content.decode()
    assert "Broken again" in page and "Thank you!" in page
    # The live list keeps the filters.
    live = client.get(reverse("console:inbox_live"), {**both, "version": "old"}, HTTP_HX_REQUEST="true")
    assert "Thank you!" in live.content.decode() and "Broken again" not in live.content.decode()


# --- the item page ----------------------------------------------------------------------------------------------


def test_the_item_page_shows_the_reading_and_why(monkeypatch, client, jurisdiction, streets, center_city, agent):
    other = ServiceFactory(jurisdiction=jurisdiction, code="SR-ST08", name="Complaint (Streets)")
    answer = reading((streets, 0.86, ("pothole",)), (other, 0.07, ("third", "time")), places=(corner(center_city),))
    use_reader(monkeypatch, Reader(answer))
    open_request = filed_request(streets, description="Pothole")
    found = PossibleDuplicate(
        service_request=open_request,
        metres=40,
        age=dt.timedelta(days=2),
        same_service=True,
        text_similarity=0.7,
        score=0.8,
    )
    asked: dict[str, Any] = {}

    def duplicates(jurisdiction, **kwargs):
        asked.update(kwargs)
        return [found]

    monkeypatch.setattr("civic311.inbox.selectors.possible_duplicates", duplicates)
    item = receive(jurisdiction, mail(), now=NOW).item
    client.force_login(agent)
    page = client.get(reverse("console:inbox_item", args=[item.pk])).content.decode()
    assert "What the message says" in page
    assert "Street Defect" in page and "Suggested because of the word “pothole” (86 % sure)." in page
    assert "Complaint (Streets)" in page and "“third”, “time”" in page
    assert "N Broad St &amp; Market St" in page and "written “Broad and Market”" in page
    assert open_request.tracking_number in page and "40 m away" in page
    assert "Not sure which service" not in page
    # The duplicates asked of the agent's view, near the item's place, for the suggested service.
    assert asked["user"] == agent and asked["service"] == streets
    assert (asked["lat"], asked["long"]) == (39.9526, -75.1635) and "pothole" in asked["text"]


def test_the_item_page_says_when_it_is_not_sure(monkeypatch, client, jurisdiction, streets, agent):
    unlikely = ServiceFactory(jurisdiction=jurisdiction, code="SR-ST18", name="Salting")
    use_reader(monkeypatch, Reader(reading((streets, 0.2, ("hole",)), (unlikely, 0.01, ("street",)), unsure=True)))
    monkeypatch.setattr("civic311.inbox.selectors.possible_duplicates", lambda *args, **kwargs: [])
    item = receive(jurisdiction, mail(), now=NOW).item
    client.force_login(agent)
    page = client.get(reverse("console:inbox_item", args=[item.pk])).content.decode()
    assert "Not sure which service this is: pick it yourself." in page
    assert "Street Defect" in page and "Salting" not in page  # a 1 % alternative is noise
    assert "No open request nearby looks like this one." in page and "None found in the words." in page


def test_the_item_page_works_when_the_reader_fails(monkeypatch, client, jurisdiction, agent):
    reader = use_reader(monkeypatch, Reader(error=RuntimeError("broken")))
    item = receive(jurisdiction, mail(), now=NOW).item
    client.force_login(agent)
    response = client.get(reverse("console:inbox_item", args=[item.pk]))
    assert response.status_code == 200 and len(reader.calls) == 2
    assert "The message could not be read just now." in response.content.decode()


def test_the_item_page_in_spanish(monkeypatch, client, jurisdiction, streets, agent):
    streets.translations = {"es": {"name": "Defecto de la calle"}}
    streets.save()
    use_reader(monkeypatch, Reader(reading((streets, 0.86, ("bache",)))))
    found = PossibleDuplicate(
        service_request=filed_request(streets, description="Bache"),
        metres=None,
        age=dt.timedelta(hours=3),
        same_service=True,
        text_similarity=0.9,
        score=0.9,
    )
    monkeypatch.setattr("civic311.inbox.selectors.possible_duplicates", lambda *args, **kwargs: [found])
    item = receive(jurisdiction, mail(body="Hay un bache otra vez"), now=NOW).item
    client.force_login(agent)
    page = client.get(reverse("console:inbox_item", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert page.count("Defecto de la calle") == 2  # the suggestion and the possible duplicate
    assert "Street Defect" not in page


def test_whoever_may_not_work_the_inbox_sees_no_reading(client, jurisdiction, department, mailbox, monkeypatch):
    reader = use_reader(monkeypatch, Reader(reading()))
    item = receive(jurisdiction, mail(mailbox=mailbox), now=NOW).item
    worker = with_role(StaffFactory(username="wes"), StaffRole.DEPARTMENT_STAFF, department)
    client.force_login(worker)
    assert client.get(reverse("console:inbox_item", args=[item.pk])).status_code == 403
    assert client.get(reverse("console:inbox"), {"kind": "complaint"}).status_code == 403
    assert len(reader.calls) == 1  # only at receive


# --- the SMS door: a place named in the words -------------------------------------------------------------------


@pytest.fixture
def quiet_reader(monkeypatch):
    return use_reader(monkeypatch, Reader(reading(unsure=True, kind=TextKind.REQUEST, sentiment=Sentiment.NEUTRAL)))


def suggests(monkeypatch, service) -> None:
    """The SMS door's suggester is sure of `service` (the suggester is tested in its own module)."""
    sure = Suggestions(services=(ServiceSuggestion(service, 0.9, ()),), unsure=False, method="model")
    monkeypatch.setattr(suggesting, "suggest", lambda *args, **kwargs: sure)


def _text(number, body: str):
    return sms.receive_text(number, sender="+12155550100", body=body, external_id=f"SM{next(_ids)}", now=NOW)


def test_a_text_naming_a_corner_is_not_asked_where(monkeypatch, jurisdiction, sms_number, streets, quiet_reader):
    asked: list[str] = []

    def places(city: Jurisdiction, text: str):
        asked.append(text)
        return [corner(None, lat=39.99, long=-75.14)]

    monkeypatch.setattr(sms, "places_in_text", places)
    suggests(monkeypatch, streets)
    receipt = _text(sms_number, "Big pothole at 5th and Lehigh")
    _text(sms_number, "YES")
    conversation = TextConversation.objects.get(item=receipt.item)
    assert (conversation.lat, conversation.long) == (39.99, -75.14)
    assert conversation.address == "N Broad St & Market St"
    assert conversation.step == TextConversation.Step.PHOTO  # WHERE was skipped
    assert asked == ["Big pothole at 5th and Lehigh"]


def test_a_neighborhood_alone_is_not_a_place_for_a_crew(monkeypatch, jurisdiction, sms_number, streets, kensington):
    use_reader(monkeypatch, Reader(reading(unsure=True)))
    monkeypatch.setattr(sms, "places_in_text", lambda city, text: [named(kensington)])
    suggests(monkeypatch, streets)
    receipt = _text(sms_number, "Pothole in kensington")
    _text(sms_number, "YES")
    conversation = TextConversation.objects.get(item=receipt.item)
    assert conversation.lat is None and conversation.address == ""
    assert conversation.step == TextConversation.Step.WHERE


def test_an_address_answered_in_words_gets_its_point(monkeypatch, jurisdiction, sms_number, streets, quiet_reader):
    suggests(monkeypatch, streets)
    monkeypatch.setattr(sms, "places_in_text", lambda city, text: [corner(None)] if "broad" in text.lower() else [])
    receipt = _text(sms_number, "Big pothole")
    _text(sms_number, "YES")
    _text(sms_number, "broad & market, by the subway stairs")
    conversation = TextConversation.objects.get(item=receipt.item)
    assert (conversation.lat, conversation.long) == (39.9526, -75.1635)
    assert conversation.address == "broad & market, by the subway stairs"  # what the resident wrote


def test_a_place_reader_that_fails_asks_where_as_before(monkeypatch, jurisdiction, sms_number, streets, quiet_reader):
    suggests(monkeypatch, streets)

    def broken(city, text):
        raise RuntimeError("street index unreadable")

    monkeypatch.setattr(sms, "places_in_text", broken)
    receipt = _text(sms_number, "Big pothole at 5th and Lehigh")
    _text(sms_number, "YES")
    assert TextConversation.objects.get(item=receipt.item).step == TextConversation.Step.WHERE


# --- the real readers, on anything a resident may send ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "",
        "x" * 10_000,
        "🙂🙂🔥🔥",
        "Hay basura tirada en la esquina de mi casa desde hace una semana, nadie viene a recogerla",
        "Bonjour, la lumière de la rue est cassée depuis deux semaines",
        "Thank you so much for fixing the street light so fast!",
    ],
    ids=["empty", "10000-chars", "only-emoji", "spanish", "french", "praise"],
)
def test_the_real_readers_store_a_sensible_reading(jurisdiction, streets, body):
    item = receive(jurisdiction, mail(subject="", body=body), now=NOW).item
    item.refresh_from_db()
    assert item.messages.count() == 1
    assert item.text_kind in TextKind.values and item.sentiment in Sentiment.values
    assert item.sentiment_score is not None and -1 <= item.sentiment_score <= 1
    if body in ("", "🙂🙂🔥🔥"):
        assert item.suggested_service is None and item.text_kind == TextKind.OTHER
        assert item.sentiment == Sentiment.NEUTRAL or body
    if item.suggested_service is not None:
        assert item.suggestion_confidence is not None and 0 < item.suggestion_confidence <= 1
    if body.startswith("Thank you"):
        assert item.sentiment == Sentiment.POSITIVE
