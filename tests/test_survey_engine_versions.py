"""The survey engine's versions and recorded responses: a new draft copies the latest version (published
versions stay frozen), one draft at a time, and `record_response` writes a completed response to a
published version only, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from civic311.surveys import services
from civic311.surveys.models import Answer, Instrument, InstrumentVersion, Question, Response

from .factories import JurisdictionFactory

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def _published(jurisdiction) -> InstrumentVersion:
    version = services.ensure_instrument(
        jurisdiction,
        "pre-post",
        name="Before and after",
        purpose="",
        questions=(
            ("knows", Question.Kind.YES_NO, True, "Do you know 311?", "¿Conoce el 311?"),
            ("comfort", Question.Kind.SCALE_1_5, False, "How comfortable?", "¿Qué tan cómodo?"),
        ),
        now=NOW,
    )
    return version


@pytest.mark.django_db
def test_new_draft_copies_the_latest_version_and_leaves_it_frozen(jurisdiction):
    v1 = _published(jurisdiction)
    v1.questions.filter(code="knows").update(choices=[], translations={"es": {"text": "¿Conoce el 311?"}})
    draft = services.new_draft_version(v1.instrument)
    assert (draft.number, draft.is_published) == (2, False)
    copied = {q.code: (q.kind, q.text, q.translations, q.required, q.order) for q in draft.questions.all()}
    original = {q.code: (q.kind, q.text, q.translations, q.required, q.order) for q in v1.questions.all()}
    assert copied == original
    assert not set(draft.questions.values_list("pk", flat=True)) & set(v1.questions.values_list("pk", flat=True))
    # Editing the draft leaves version 1 as it was.
    services.change_question(draft.questions.get(code="knows"), text="Do you know what 311 is?")
    assert v1.questions.get(code="knows").text == "Do you know 311?"
    with pytest.raises(ValidationError):
        services.change_question(v1.questions.get(code="knows"), text="changed")


@pytest.mark.django_db
def test_choices_and_translations_are_copied_not_shared(jurisdiction):
    instrument = Instrument.objects.create(jurisdiction=jurisdiction, slug="x", name="X")
    first = services.new_draft_version(instrument)
    assert first.number == 1 and not first.questions.exists()
    services.add_question(
        first,
        code="does",
        kind=Question.Kind.MULTIPLE_CHOICE,
        text="What does the city do?",
        choices=[{"key": "trash", "label": "Trash"}, {"key": "parks", "label": "Parks"}],
        translations={"es": {"text": "¿Qué hace la ciudad?", "choices": {"trash": "Basura"}}},
    )
    services.publish_version(first, now=NOW)
    second = services.new_draft_version(instrument)
    question = second.questions.get(code="does")
    assert question.choices == [{"key": "trash", "label": "Trash"}, {"key": "parks", "label": "Parks"}]
    assert question.translations["es"]["choices"] == {"trash": "Basura"}


@pytest.mark.django_db
def test_only_one_draft_at_a_time(jurisdiction):
    v1 = _published(jurisdiction)
    services.new_draft_version(v1.instrument)
    with pytest.raises(ValidationError, match="already has a draft"):
        services.new_draft_version(v1.instrument)
    assert InstrumentVersion.objects.filter(instrument=v1.instrument).count() == 2


@pytest.mark.django_db
def test_record_response_writes_a_completed_response_with_its_answers(jurisdiction):
    v1 = _published(jurisdiction)
    response = services.record_response(
        v1, {"knows": "yes", "comfort": "4"}, jurisdiction=jurisdiction, channel="paper", now=NOW
    )
    response.refresh_from_db()
    assert (response.outcome, response.channel, response.finished_at, response.version_id) == (
        Response.Outcome.COMPLETED,
        "paper",
        NOW,
        v1.pk,
    )
    assert {a.question.code: a.value for a in response.answers.all()} == {"knows": True, "comfort": 4}


@pytest.mark.django_db
def test_record_response_refuses_a_draft_bad_answers_and_another_city(jurisdiction):
    v1 = _published(jurisdiction)
    draft = services.new_draft_version(v1.instrument)
    with pytest.raises(ValidationError, match="not published"):
        services.record_response(draft, {"knows": "yes"}, jurisdiction=jurisdiction, channel="web")
    with pytest.raises(ValidationError) as error:
        services.record_response(v1, {"knows": "maybe", "comfort": "9"}, jurisdiction=jurisdiction, channel="web")
    assert set(error.value.message_dict) == {"knows", "comfort"}
    with pytest.raises(ValidationError) as error:
        services.record_response(v1, {"comfort": "3"}, jurisdiction=jurisdiction, channel="web")
    assert set(error.value.message_dict) == {"knows"}
    with pytest.raises(ValidationError, match="another city"):
        services.record_response(
            v1,
            {"knows": "no"},
            jurisdiction=JurisdictionFactory(
                slug="camden", name="Camden", jurisdiction_id="camdennj.gov", is_default=False
            ),
            channel="web",
        )
    assert not Response.objects.exists() and not Answer.objects.exists()
