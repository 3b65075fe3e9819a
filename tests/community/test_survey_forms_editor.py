"""The editor of the community programs' surveys: drafts copy the latest version, published versions are
frozen, the six kinds with English and Spanish text, moving and removing, a pilot form's dimensions (a
rating and its comment, together), the satisfaction survey is not the community's to edit, refused roles."""

from __future__ import annotations

import datetime as dt
from typing import NotRequired, TypedDict

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civic311.community.models import PilotAssessment
from civic311.community.selectors import survey_forms as selectors
from civic311.community.services import survey_forms
from civic311.people.models import StaffRole
from civic311.surveys import services as engine
from civic311.surveys.models import Instrument, InstrumentVersion, Question
from tests.factories import StaffFactory, staff_in_role

from .helpers import community_staff

NOW = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)


class _QuestionFields(TypedDict):
    """What `survey_forms.add_question` is given besides the instrument and the actor."""

    code: str
    kind: str
    text: str
    choices: NotRequired[list[survey_forms.Choice]]


@pytest.fixture
def casey(db):
    return community_staff()


@pytest.fixture
def youth(jurisdiction):
    return survey_forms.ensure_youth_survey(jurisdiction, now=NOW)


@pytest.fixture
def pilot_form(jurisdiction):
    form = Instrument.objects.create(jurisdiction=jurisdiction, slug="pilot-crm", name="CRM pilot feedback")
    version = InstrumentVersion.objects.create(instrument=form, number=1)
    engine.add_question(version, code="productivity", kind="scale_1_5", text="Productivity", order=1)
    engine.add_question(version, code="productivity_comment", kind="free_text", text="Any comment?", order=2)
    engine.publish_version(version, now=NOW)
    PilotAssessment.objects.create(
        jurisdiction=jurisdiction,
        name="CRM pilot",
        slug="crm",
        technology="CRM",
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 6, 1),
        form=form,
    )
    return form


def _codes(version):
    return [q.code for q in version.questions.order_by("order", "pk")]


@pytest.mark.django_db
def test_edit_a_draft_then_publish_it_frozen(youth, casey):
    draft = survey_forms.open_draft(youth, actor=casey)
    assert draft.number == 2 and _codes(draft) == _codes(youth.versions.get(number=1))
    with pytest.raises(ValidationError, match="already has a draft"):
        survey_forms.open_draft(youth, actor=casey)
    added = survey_forms.add_question(
        youth,
        actor=casey,
        code="best_session",
        kind="single_choice",
        text="Which session did you like best?",
        text_es="¿Qué sesión te gustó más?",
        choices=[("walk", "The field walk", "La caminata"), ("app", "The app", "")],
        required=True,
    )
    assert (added.order, added.required) == (7, True)
    assert added.choices == [{"key": "walk", "label": "The field walk"}, {"key": "app", "label": "The app"}]
    assert added.translations == {"es": {"text": "¿Qué sesión te gustó más?", "choices": {"walk": "La caminata"}}}
    assert added.localized("text", "es") == "¿Qué sesión te gustó más?"
    changed = survey_forms.change_question(
        draft.questions.get(code="want_to_learn"), actor=casey, text="What do you want to learn next?", text_es=""
    )
    assert changed.text == "What do you want to learn next?" and changed.translations == {}
    survey_forms.remove_question(draft.questions.get(code="wants_jbc"), actor=casey)
    survey_forms.move_question(added, actor=casey, up=True)
    assert _codes(draft) == [
        "knows_311",
        "knows_jbc",
        "app_comfort",
        "city_does",
        "best_session",
        "want_to_learn",
    ]
    assert [q.order for q in draft.questions.order_by("order")] == [1, 2, 3, 4, 5, 6]
    published = survey_forms.publish(youth, actor=casey, now=NOW)
    assert published.published_at == NOW
    # Version 1 untouched, version 2 frozen, no draft to edit.
    assert _codes(youth.versions.get(number=1))[2] == "wants_jbc"
    for call in (
        lambda: survey_forms.add_question(youth, actor=casey, code="x", kind="yes_no", text="X?"),
        lambda: survey_forms.publish(youth, actor=casey),
    ):
        with pytest.raises(ValidationError, match="Open a draft"):
            call()
    with pytest.raises(ValidationError, match="published"):
        survey_forms.change_question(published.questions.get(code="knows_311"), actor=casey, text="Changed?")
    with pytest.raises(ValidationError, match="published"):
        survey_forms.remove_question(published.questions.get(code="knows_311"), actor=casey)


@pytest.mark.django_db
def test_each_of_the_six_kinds_except_contact_details_for_a_youth_survey(youth, pilot_form, casey):
    survey_forms.open_draft(youth, actor=casey)
    survey_forms.open_draft(pilot_form, actor=casey)
    for kind in Question.Kind.values:
        choices = [("a", "A", "A"), ("b", "B", "B")] if "choice" in kind else []
        if kind == Question.Kind.CONTACT_DETAILS:
            with pytest.raises(ValidationError) as error:
                survey_forms.add_question(youth, actor=casey, code=f"k_{kind}", kind=kind, text="Q?")
            assert "minors" in str(error.value.message_dict["kind"])
        else:
            survey_forms.add_question(youth, actor=casey, code=f"k_{kind}", kind=kind, text="Q?", choices=choices)
        survey_forms.add_question(pilot_form, actor=casey, code=f"k_{kind}", kind=kind, text="Q?", choices=choices)
    draft = selectors.draft_of(pilot_form)
    assert draft is not None
    assert draft.questions.filter(kind=Question.Kind.CONTACT_DETAILS).count() == 1


@pytest.mark.django_db
def test_bad_questions_are_errors_keyed_by_field(youth, casey):
    draft = survey_forms.open_draft(youth, actor=casey)
    before = draft.questions.count()
    cases: list[tuple[_QuestionFields, set[str]]] = [
        ({"code": "Bad Code!", "kind": "yes_no", "text": "Q?"}, {"code"}),
        ({"code": "knows_311", "kind": "yes_no", "text": "Q?"}, {"code"}),
        ({"code": "q", "kind": "essay", "text": "Q?"}, {"kind"}),
        ({"code": "q", "kind": "yes_no", "text": "  "}, {"text"}),
        ({"code": "q", "kind": "yes_no", "text": "x" * 501}, {"text"}),
        ({"code": "q", "kind": "single_choice", "text": "Q?", "choices": [("a", "A", "")]}, {"choices"}),
        (
            {"code": "q", "kind": "single_choice", "text": "Q?", "choices": [("a", "A", ""), ("a", "B", "")]},
            {"choices"},
        ),
        ({"code": "q", "kind": "single_choice", "text": "Q?", "choices": [("a", "A", ""), ("b", "", "")]}, {"choices"}),
        ({"code": "q", "kind": "yes_no", "text": "Q?", "choices": [("a", "A", ""), ("b", "B", "")]}, {"choices"}),
    ]
    for fields, keys in cases:
        with pytest.raises(ValidationError) as error:
            survey_forms.add_question(youth, actor=casey, **fields)
        assert set(error.value.message_dict) == keys, fields
    assert draft.questions.count() == before


@pytest.mark.django_db
def test_a_pilot_dimension_is_a_rating_and_its_comment_added_moved_and_removed_together(pilot_form, casey):
    draft = survey_forms.open_draft(pilot_form, actor=casey)
    rating, comment = survey_forms.add_dimension(
        pilot_form, actor=casey, code="ease", text="Ease of the job", text_es="Facilidad del trabajo"
    )
    assert (rating.code, rating.kind, rating.required, rating.order) == ("ease", "scale_1_5", True, 3)
    assert (comment.code, comment.kind, comment.order) == ("ease_comment", "free_text", 4)
    assert comment.translations == {"es": {"text": "¿Algún comentario?"}}
    assert selectors.dimension_codes(draft) == ["productivity", "ease"]
    with pytest.raises(ValidationError) as error:
        survey_forms.add_dimension(pilot_form, actor=casey, code="ease", text="Again")
    assert set(error.value.message_dict) == {"code"}
    with pytest.raises(ValidationError) as error:
        survey_forms.add_dimension(pilot_form, actor=casey, code="x" * 33, text="Long")
    assert set(error.value.message_dict) == {"code"}
    survey_forms.move_question(rating, actor=casey, up=True)
    assert _codes(draft) == ["ease", "ease_comment", "productivity", "productivity_comment"]
    # Removing the comment removes its rating too, and the other way round.
    survey_forms.remove_question(draft.questions.get(code="ease_comment"), actor=casey)
    assert _codes(draft) == ["productivity", "productivity_comment"]
    survey_forms.remove_dimension(pilot_form, "productivity", actor=casey)
    assert _codes(draft) == []
    with pytest.raises(ValidationError, match="no such dimension"):
        survey_forms.remove_dimension(pilot_form, "productivity", actor=casey)
    with pytest.raises(ValidationError, match="at least one question"):
        survey_forms.publish(pilot_form, actor=casey)


@pytest.mark.django_db
def test_a_youth_survey_has_no_dimensions(youth, casey):
    survey_forms.open_draft(youth, actor=casey)
    with pytest.raises(ValidationError, match="Only a pilot"):
        survey_forms.add_dimension(youth, actor=casey, code="ease", text="Ease")


@pytest.mark.django_db
def test_the_satisfaction_survey_is_not_the_community_editors(jurisdiction, casey):
    satisfaction = engine.ensure_baseline(jurisdiction).instrument
    with pytest.raises(ValidationError, match="not one of the community"):
        survey_forms.open_draft(satisfaction, actor=casey)
    assert satisfaction not in selectors.community_instruments(jurisdiction)
    assert satisfaction.versions.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "resident", "agent", "department staff", "leadership"])
def test_refused_roles(youth, who):
    actor = {
        "anonymous": lambda: None,
        "resident": lambda: StaffFactory(username="resident", is_staff=False),
        "agent": lambda: staff_in_role(StaffRole.AGENT, username="agent"),
        "department staff": lambda: staff_in_role(StaffRole.DEPARTMENT_STAFF, username="crew"),
        "leadership": lambda: staff_in_role(StaffRole.LEADERSHIP, username="boss"),
    }[who]()
    question = youth.versions.get().questions.first()
    for call in (
        lambda: survey_forms.open_draft(youth, actor=actor),
        lambda: survey_forms.add_question(youth, actor=actor, code="x", kind="yes_no", text="X?"),
        lambda: survey_forms.change_question(question, actor=actor, text="X?"),
        lambda: survey_forms.remove_question(question, actor=actor),
        lambda: survey_forms.move_question(question, actor=actor, up=False),
        lambda: survey_forms.add_dimension(youth, actor=actor, code="x", text="X"),
        lambda: survey_forms.publish(youth, actor=actor),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert youth.versions.count() == 1


@pytest.mark.django_db
def test_a_code_keeps_its_kind_across_versions(youth, pilot_form, casey):
    """The reports compare answers by code: a removed yes-or-no question's code cannot come back as a rating
    (the impact report would compare "yes" with "4"); as the same kind it may."""
    draft = survey_forms.open_draft(youth, actor=casey)
    survey_forms.remove_question(draft.questions.get(code="knows_311"), actor=casey)
    with pytest.raises(ValidationError) as refused:
        survey_forms.add_question(youth, actor=casey, code="knows_311", kind="scale_1_5", text="How well?")
    assert "code" in refused.value.message_dict
    assert survey_forms.add_question(youth, actor=casey, code="knows_311", kind="yes_no", text="Heard of 311?")
    form_draft = survey_forms.open_draft(pilot_form, actor=casey)
    survey_forms.remove_dimension(pilot_form, "productivity", actor=casey)
    assert not form_draft.questions.exists()
    with pytest.raises(ValidationError):
        survey_forms.add_question(pilot_form, actor=casey, code="productivity_comment", kind="yes_no", text="OK?")
    assert survey_forms.add_dimension(pilot_form, actor=casey, code="productivity", text="Productivity")
