"""The survey engine: the baseline version, immutability once published, answers checked by kind."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from civic311.surveys import services
from civic311.surveys.models import Instrument, InstrumentVersion, Question

pytestmark = pytest.mark.django_db


def test_the_baseline_is_made_once_with_six_questions_in_english_and_spanish(jurisdiction):
    version = services.ensure_baseline(jurisdiction)
    assert services.ensure_baseline(jurisdiction) == version
    assert InstrumentVersion.objects.count() == 1 and version.number == 1 and version.is_published
    questions = list(version.questions.all())
    assert [q.code for q in questions] == ["explained", "informed", "timely", "satisfied", "feedback", "contact"]
    assert questions[3].text.startswith("Were you satisfied with the service you received")
    with translation.override("es"):
        assert questions[3].localized().startswith("¿Quedó satisfecho")
    with translation.override("fr"):  # no French: English
        assert questions[0].localized() == questions[0].text


def test_a_published_version_never_changes(jurisdiction):
    version = services.ensure_baseline(jurisdiction)
    question = version.questions.get(code="satisfied")
    with pytest.raises(ValidationError, match="published"):
        services.change_question(question, text="Were you happy?")
    with pytest.raises(ValidationError, match="published"):
        services.add_question(version, code="extra", kind=Question.Kind.YES_NO, text="Extra?")
    with pytest.raises(ValidationError, match="published"):
        services.remove_question(question)
    with pytest.raises(ValidationError, match="published"):
        services.publish_version(version)
    question.refresh_from_db()
    assert question.text.startswith("Were you satisfied") and version.questions.count() == 6


def test_a_draft_changes_until_published(jurisdiction):
    instrument = Instrument.objects.create(jurisdiction=jurisdiction, slug="pre-post", name="Pre/post")
    draft = InstrumentVersion.objects.create(instrument=instrument, number=1)
    with pytest.raises(ValidationError):
        services.publish_version(draft)  # no questions yet
    question = services.add_question(draft, code="q1", kind=Question.Kind.YES_NO, text="Helpful?")
    services.change_question(question, text="Was it helpful?")
    with pytest.raises(ValidationError):
        services.add_question(draft, code="q2", kind=Question.Kind.SINGLE_CHOICE, text="Which?")  # no choices
    services.publish_version(draft)
    with pytest.raises(ValidationError):
        services.change_question(question, text="Again?")


@pytest.fixture
def every_kind(jurisdiction):
    instrument = Instrument.objects.create(jurisdiction=jurisdiction, slug="kinds", name="Every kind")
    version = InstrumentVersion.objects.create(instrument=instrument, number=1)
    choices = [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}, {"key": "c", "label": "C"}]
    services.add_question(version, code="yn", kind=Question.Kind.YES_NO, text="?", required=True)
    services.add_question(version, code="scale", kind=Question.Kind.SCALE_1_5, text="?")
    services.add_question(version, code="one", kind=Question.Kind.SINGLE_CHOICE, text="?", choices=choices)
    services.add_question(version, code="many", kind=Question.Kind.MULTIPLE_CHOICE, text="?", choices=choices)
    services.add_question(version, code="words", kind=Question.Kind.FREE_TEXT, text="?")
    services.add_question(version, code="reach", kind=Question.Kind.CONTACT_DETAILS, text="?")
    services.publish_version(version)
    return version


def codes(raw, version):
    return {question.code: value for question, value in services.validate_answers(version, raw).items()}


def test_good_answers_of_every_kind(every_kind):
    assert codes(
        {
            "yn": "no",
            "scale": "4",
            "one": "b",
            "many": ["a", "c"],
            "words": "  Fine.  ",
            "reach": {"name": "Pat", "phone": "215 555 0100", "email": ""},
        },
        every_kind,
    ) == {
        "yn": False,
        "scale": 4,
        "one": "b",
        "many": ["a", "c"],
        "words": "Fine.",
        "reach": {"name": "Pat", "phone": "+12155550100"},  # E.164
    }
    assert codes({"yn": True}, every_kind) == {"yn": True}  # blanks are left out


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("yn", "perhaps"),
        ("scale", "0"),
        ("scale", "6"),
        ("scale", "three"),
        ("scale", True),
        ("one", "z"),
        ("many", ["a", "z"]),
        ("many", ["a", "a"]),
        ("words", 42),
        ("words", "x" * 2001),
        ("reach", "call me"),
        ("reach", {"email": "not an address"}),
        ("reach", {"phone": "12"}),
        ("reach", {"address": "1 Main St"}),
    ],
)
def test_bad_answers_are_refused_by_kind(every_kind, code, value):
    with pytest.raises(ValidationError) as refused:
        services.validate_answers(every_kind, {"yn": "yes", code: value})
    assert code in refused.value.message_dict


def test_a_required_answer_and_unknown_codes(every_kind):
    with pytest.raises(ValidationError) as refused:
        services.validate_answers(every_kind, {"scale": 3, "nonsense": 1})
    assert set(refused.value.message_dict) == {"yn", "__all__"}
