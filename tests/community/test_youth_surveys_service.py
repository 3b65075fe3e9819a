"""A youth cohort's before and after surveys: the default survey, opening and closing a phase (pinned to
its version), one answer per participant per phase, paper entry, closed and unknown links, nothing
half-written, and completion brought up to date."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civic311.community.models import Participant, Phase, YouthSurveyResponse
from civic311.community.selectors import youth_surveys as selectors
from civic311.community.services import survey_forms, youth, youth_surveys
from civic311.people.models import StaffRole
from civic311.surveys.models import Answer, Question, Response
from tests.factories import JurisdictionFactory, StaffFactory, staff_in_role

from .helpers import YOUTH_ANSWERS, community_staff, survey_cohort

NOW = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def casey(db):
    return community_staff()


@pytest.fixture
def cohort(jurisdiction):
    return survey_cohort(jurisdiction)


def _counts():
    return (Response.objects.count(), Answer.objects.count(), YouthSurveyResponse.objects.count())


@pytest.mark.django_db
def test_the_default_youth_survey_is_made_once_in_english_and_spanish(jurisdiction):
    instrument = survey_forms.ensure_youth_survey(jurisdiction, now=NOW)
    assert survey_forms.ensure_youth_survey(jurisdiction) == instrument
    (version,) = instrument.versions.all()
    assert (version.number, version.published_at) == (1, NOW)
    questions = list(version.questions.all())
    assert [(q.code, q.kind) for q in questions] == [
        ("knows_311", Question.Kind.YES_NO),
        ("knows_jbc", Question.Kind.YES_NO),
        ("wants_jbc", Question.Kind.YES_NO),
        ("app_comfort", Question.Kind.SCALE_1_5),
        ("city_does", Question.Kind.MULTIPLE_CHOICE),
        ("want_to_learn", Question.Kind.FREE_TEXT),
    ]
    assert all(q.translations["es"]["text"] for q in questions)
    assert questions[0].text == "Do you know what Philly311 is?"  # the test city is Philadelphia
    city_does = questions[4]
    assert [key for key, _label in city_does.localized_choices("es")] == [
        "trash",
        "snow",
        "schools",
        "police",
        "parks",
        "dont_know",
    ]
    assert dict(city_does.localized_choices("es"))["dont_know"] == "No sé"
    assert not any(q.kind == Question.Kind.CONTACT_DETAILS for q in questions)


@pytest.mark.django_db
def test_another_city_is_asked_about_311_not_philly311(db):
    camden = JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camdennj.gov", is_default=False)
    version = survey_forms.ensure_youth_survey(camden).versions.get()
    texts = " ".join(q.text + q.translations["es"]["text"] for q in version.questions.all())
    assert "Philly311" not in texts
    assert version.questions.get(code="knows_311").text == "Do you know what 311 is?"


@pytest.mark.django_db
def test_opening_pins_the_newest_published_version_and_a_random_link(cohort, casey):
    cohort, _people = cohort
    opened = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)
    assert opened.survey is not None and opened.before_version is not None
    assert opened.survey.slug == "youth-survey"  # the default, chosen on first use
    assert opened.before_version.number == 1 and opened.after_version is None
    assert len(opened.before_survey_token) >= 32 and not opened.after_survey_token
    assert youth_surveys.cohort_for_token(opened.before_survey_token) == (opened, Phase.BEFORE)
    with pytest.raises(ValidationError, match="already open"):
        youth_surveys.open_phase(opened, Phase.BEFORE, actor=casey)
    closed = youth_surveys.close_phase(opened, Phase.BEFORE, actor=casey)
    assert closed.before_survey_token == "" and closed.before_version_id == opened.before_version_id
    assert youth_surveys.cohort_for_token(opened.before_survey_token) is None
    with pytest.raises(ValidationError, match="not open"):
        youth_surveys.close_phase(closed, Phase.BEFORE, actor=casey)
    reopened = youth_surveys.open_phase(closed, Phase.BEFORE, actor=casey)
    assert reopened.before_survey_token != opened.before_survey_token


@pytest.mark.django_db
def test_a_phase_stays_on_its_version_after_a_new_one_is_published(cohort, casey):
    cohort, people = cohort
    opened = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)
    v1 = opened.before_version
    assert opened.survey is not None
    survey_forms.open_draft(opened.survey, actor=casey)
    survey_forms.add_question(opened.survey, actor=casey, code="favorite_park", kind="free_text", text="Favorite park?")
    v2 = survey_forms.publish(opened.survey, actor=casey)
    link = youth_surveys.record_on_link(opened.before_survey_token, people[0], YOUTH_ANSWERS, now=NOW)
    assert link.response.version == v1
    # Staff typing a paper form for the same phase: the same version; a new answer for v2's question refused.
    with pytest.raises(ValidationError) as error:
        youth_surveys.record_paper(
            opened, Phase.BEFORE, people[1], {**YOUTH_ANSWERS, "favorite_park": "x"}, actor=casey
        )
    assert "__all__" in error.value.message_dict
    youth_surveys.record_paper(opened, Phase.BEFORE, people[1], YOUTH_ANSWERS, actor=casey)
    # Closing and reopening after answers keeps version 1; the after phase, opened now, asks version 2.
    youth_surveys.close_phase(opened, Phase.BEFORE, actor=casey)
    again = youth_surveys.open_phase(opened, Phase.BEFORE, actor=casey)
    after = youth_surveys.open_phase(again, Phase.AFTER, actor=casey)
    assert (after.before_version, after.after_version) == (v1, v2)


@pytest.mark.django_db
def test_reopening_a_phase_nobody_answered_moves_to_the_newest_version(cohort, casey):
    cohort, _people = cohort
    opened = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)
    assert opened.survey is not None
    survey_forms.open_draft(opened.survey, actor=casey)
    v2 = survey_forms.publish(opened.survey, actor=casey)
    youth_surveys.close_phase(opened, Phase.BEFORE, actor=casey)
    assert youth_surveys.open_phase(opened, Phase.BEFORE, actor=casey).before_version == v2


@pytest.mark.django_db
def test_an_answer_on_the_link_writes_response_answers_and_link_and_completes(cohort, casey):
    cohort, people = cohort
    opened = youth_surveys.open_phase(cohort, Phase.AFTER, actor=casey)
    maria = people[0]
    link = youth_surveys.record_on_link(opened.after_survey_token, maria, YOUTH_ANSWERS, now=NOW)
    assert (link.participant, link.phase, link.entered_by) == (maria, Phase.AFTER, None)
    response = link.response
    assert (response.channel, response.outcome, response.finished_at, response.jurisdiction_id) == (
        "web",
        Response.Outcome.COMPLETED,
        NOW,
        cohort.jurisdiction_id,
    )
    assert {a.question.code: a.value for a in response.answers.all()} == {
        "knows_311": False,
        "knows_jbc": False,
        "wants_jbc": True,
        "app_comfort": 2,
        "city_does": ["trash", "parks"],
        "want_to_learn": "How the city fixes potholes.",
    }
    # The cohort's rule: no sessions needed, the after survey completes it.
    assert Participant.objects.get(pk=maria.pk).completed_at == NOW
    assert [p.pk for p in selectors.waiting(cohort, Phase.AFTER)] == [people[2].pk, people[1].pk]  # Ana, Jamal


@pytest.mark.django_db
def test_one_answer_per_participant_per_phase(cohort, casey):
    cohort, people = cohort
    opened = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)
    youth_surveys.record_on_link(opened.before_survey_token, people[0], YOUTH_ANSWERS)
    before = _counts()
    with pytest.raises(ValidationError, match=r"Maria R\. has already answered"):
        youth_surveys.record_on_link(opened.before_survey_token, people[0], YOUTH_ANSWERS)
    with pytest.raises(ValidationError, match="already answered"):
        youth_surveys.record_paper(opened, Phase.BEFORE, people[0], YOUTH_ANSWERS, actor=casey)
    assert _counts() == before
    # The after phase is another answer.
    youth_surveys.record_paper(opened, Phase.AFTER, people[0], YOUTH_ANSWERS, actor=casey)
    assert YouthSurveyResponse.objects.filter(participant=people[0]).count() == 2


@pytest.mark.django_db
def test_the_database_refuses_a_second_answer_a_race_let_through(cohort, casey):
    cohort, people = cohort
    opened = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)
    youth_surveys.record_on_link(opened.before_survey_token, people[0], YOUTH_ANSWERS)
    before = _counts()
    fake = mock.MagicMock()
    fake.objects.filter.return_value.exists.return_value = False  # the friendly check missed it
    fake.objects.create.side_effect = YouthSurveyResponse.objects.create
    with mock.patch.object(youth_surveys, "YouthSurveyResponse", fake), pytest.raises(ValidationError) as error:
        youth_surveys.record_on_link(opened.before_survey_token, people[0], YOUTH_ANSWERS)
    assert "already answered" in str(error.value)
    assert _counts() == before


@pytest.mark.django_db
def test_paper_entry_by_staff_is_marked_and_works_on_a_closed_phase(cohort, casey):
    cohort, people = cohort
    link = youth_surveys.record_paper(cohort, Phase.BEFORE, people[1], YOUTH_ANSWERS, actor=casey, now=NOW)
    cohort.refresh_from_db()
    assert (link.entered_by, link.response.channel) == (casey, "paper")
    assert cohort.before_version.number == 1 and cohort.before_survey_token == ""
    state = selectors.phase_state(cohort, Phase.BEFORE)
    assert (state.answered, state.participants, state.on_paper, state.is_open) == (1, 3, 1, False)


@pytest.mark.django_db
def test_closed_and_unknown_links_are_refused(cohort, casey):
    cohort, people = cohort
    opened = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)
    token = opened.before_survey_token
    youth_surveys.close_phase(opened, Phase.BEFORE, actor=casey)
    for bad in (token, "", "nope", "x" * 200):
        assert youth_surveys.cohort_for_token(bad) is None
        with pytest.raises(ValidationError, match="closed"):
            youth_surveys.record_on_link(bad, people[0], YOUTH_ANSWERS)
    assert _counts() == (0, 0, 0)


@pytest.mark.django_db
def test_a_participant_of_another_cohort_or_anonymised_is_refused(jurisdiction, casey):
    cohort, people = survey_cohort(jurisdiction)
    _other, strangers = survey_cohort(jurisdiction, slug="other", names=(("Lee", "K"),))
    opened = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)
    with pytest.raises(ValidationError) as error:
        youth_surveys.record_on_link(opened.before_survey_token, strangers[0], YOUTH_ANSWERS)
    assert "participant" in error.value.message_dict
    Participant.objects.filter(pk=people[2].pk).update(anonymised_at=NOW, first_name="")
    with pytest.raises(ValidationError):
        youth_surveys.record_on_link(opened.before_survey_token, people[2], YOUTH_ANSWERS)
    assert [p.pk for p in selectors.waiting(cohort, Phase.BEFORE)] == [people[1].pk, people[0].pk]
    assert _counts() == (0, 0, 0)


@pytest.mark.django_db
def test_bad_answers_are_errors_keyed_by_question_and_nothing_is_written(cohort, casey):
    cohort, people = cohort
    opened = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)
    bad = {**YOUTH_ANSWERS, "knows_311": "maybe", "app_comfort": "7", "city_does": ["trash", "aliens"]}
    del bad["wants_jbc"]
    with pytest.raises(ValidationError) as error:
        youth_surveys.record_on_link(opened.before_survey_token, people[0], bad)
    assert set(error.value.message_dict) == {"knows_311", "app_comfort", "city_does", "wants_jbc"}
    assert _counts() == (0, 0, 0)
    assert Participant.objects.get(pk=people[0].pk).completed_at is None


@pytest.mark.django_db
def test_nothing_half_written_when_completion_fails(cohort, casey):
    cohort, people = cohort
    opened = youth_surveys.open_phase(cohort, Phase.AFTER, actor=casey)
    with (
        mock.patch.object(youth, "update_completion", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        youth_surveys.record_on_link(opened.after_survey_token, people[0], YOUTH_ANSWERS)
    assert _counts() == (0, 0, 0)


@pytest.mark.django_db
def test_contact_details_are_never_asked_of_a_cohort(cohort, casey):
    cohort, _people = cohort
    instrument = survey_forms.ensure_youth_survey(cohort.jurisdiction)
    draft = survey_forms.open_draft(instrument, actor=casey)
    with pytest.raises(ValidationError) as error:
        survey_forms.add_question(instrument, actor=casey, code="phone", kind="contact_details", text="Your phone?")
    assert "kind" in error.value.message_dict
    # Even slipped in through the engine, publishing and opening refuse it.
    from civic311.surveys import services as engine

    engine.add_question(draft, code="phone", kind="contact_details", text="Your phone?")
    with pytest.raises(ValidationError, match="minors"):
        survey_forms.publish(instrument, actor=casey)
    engine.publish_version(draft)
    with pytest.raises(ValidationError, match="minors"):
        youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)


@pytest.mark.django_db
def test_choosing_the_cohorts_survey(cohort, casey):
    cohort, people = cohort
    chosen = youth_surveys.attach_survey(cohort, None, actor=casey)
    assert chosen.survey is not None
    assert chosen.survey.slug == "youth-survey"
    other = _another_survey(chosen.survey)
    switched = youth_surveys.attach_survey(chosen, other, actor=casey)
    assert switched.survey == other
    back = youth_surveys.attach_survey(switched, None, actor=casey)
    opened = youth_surveys.open_phase(back, Phase.BEFORE, actor=casey)
    with pytest.raises(ValidationError, match="Close the open survey"):
        youth_surveys.attach_survey(opened, other, actor=casey)
    youth_surveys.record_on_link(opened.before_survey_token, people[0], YOUTH_ANSWERS)
    youth_surveys.close_phase(opened, Phase.BEFORE, actor=casey)
    with pytest.raises(ValidationError, match="already answered"):
        youth_surveys.attach_survey(opened, other, actor=casey)


def _another_survey(instrument):
    from civic311.surveys.models import Instrument, InstrumentVersion

    other = Instrument.objects.create(jurisdiction=instrument.jurisdiction, slug="other-youth", name="Other")
    version = InstrumentVersion.objects.create(instrument=other, number=1, published_at=NOW)
    Question.objects.create(version=version, code="q", kind="yes_no", text="Q?")
    return other


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "resident", "agent", "department staff", "leadership"])
def test_refused_roles(cohort, who):
    cohort, people = cohort
    actor = {
        "anonymous": lambda: None,
        "resident": lambda: StaffFactory(username="resident", is_staff=False),
        "agent": lambda: staff_in_role(StaffRole.AGENT, username="agent"),
        "department staff": lambda: staff_in_role(StaffRole.DEPARTMENT_STAFF, username="crew"),
        "leadership": lambda: staff_in_role(StaffRole.LEADERSHIP, username="boss"),
    }[who]()
    for call in (
        lambda: youth_surveys.open_phase(cohort, Phase.BEFORE, actor=actor),
        lambda: youth_surveys.close_phase(cohort, Phase.BEFORE, actor=actor),
        lambda: youth_surveys.attach_survey(cohort, None, actor=actor),
        lambda: youth_surveys.record_paper(cohort, Phase.BEFORE, people[0], YOUTH_ANSWERS, actor=actor),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert _counts() == (0, 0, 0)


@pytest.mark.django_db
def test_a_survey_asking_contact_details_or_another_citys_is_not_a_cohorts_survey(cohort, casey):
    from civic311.surveys import services as engine

    cohort, _people = cohort
    satisfaction = engine.ensure_baseline(cohort.jurisdiction).instrument
    with pytest.raises(ValidationError) as error:
        youth_surveys.attach_survey(cohort, satisfaction, actor=casey)
    assert "minors" in str(error.value.message_dict["survey"])
    camden = JurisdictionFactory(slug="camden", name="Camden", jurisdiction_id="camdennj.gov", is_default=False)
    with pytest.raises(ValidationError) as error:
        youth_surveys.attach_survey(cohort, survey_forms.ensure_youth_survey(camden), actor=casey)
    assert "survey" in error.value.message_dict
    cohort.refresh_from_db()
    assert cohort.survey is None
