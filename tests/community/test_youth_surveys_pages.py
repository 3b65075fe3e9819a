"""The pages of the youth surveys and the survey editor: staff pages refused to everyone but community
staff, the public page (pick a name, answer, thank you, back to the names; closed and unknown links;
rate-limited), paper entry, errors shown by question, the editor's actions."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from civic311.community.models import Phase, YouthSurveyResponse
from civic311.community.services import survey_forms, youth_surveys
from civic311.people.models import StaffRole
from civic311.surveys.models import Question, Response
from tests.factories import StaffFactory, staff_in_role

from .helpers import YOUTH_ANSWERS, community_staff, survey_cohort


@pytest.fixture
def casey(db):
    return community_staff()


@pytest.fixture
def cohort(jurisdiction):
    return survey_cohort(jurisdiction)


def _post_data(answers=YOUTH_ANSWERS):
    return dict(answers)


def _staff_pages(cohort, people, instrument):
    question = instrument.versions.get(number=1).questions.first()
    return [
        ("get", reverse("community:survey_forms")),
        ("post", reverse("community:survey_forms")),
        ("get", reverse("community:survey_form", args=[instrument.pk])),
        ("get", reverse("community:survey_form_version", args=[instrument.pk, 1])),
        ("post", reverse("community:survey_form_draft", args=[instrument.pk])),
        ("post", reverse("community:survey_form_publish", args=[instrument.pk])),
        ("post", reverse("community:survey_form_question_new", args=[instrument.pk])),
        ("get", reverse("community:survey_form_question", args=[instrument.pk, question.pk])),
        ("post", reverse("community:survey_form_question_remove", args=[instrument.pk, question.pk])),
        ("post", reverse("community:survey_form_question_move", args=[instrument.pk, question.pk])),
        ("post", reverse("community:survey_form_dimension_new", args=[instrument.pk])),
        ("post", reverse("community:survey_form_dimension_remove", args=[instrument.pk, "x"])),
        ("get", reverse("community:youth_survey", args=[cohort.slug])),
        ("post", reverse("community:youth_survey_attach", args=[cohort.slug])),
        ("post", reverse("community:youth_survey_open", args=[cohort.slug, "before"])),
        ("post", reverse("community:youth_survey_close", args=[cohort.slug, "before"])),
        ("get", reverse("community:youth_survey_enter", args=[cohort.slug, "before", people[0].pk])),
        ("post", reverse("community:youth_survey_enter", args=[cohort.slug, "before", people[0].pk])),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "resident", "agent", "department staff", "leadership"])
def test_staff_pages_refuse_everyone_but_community_staff(client, cohort, who):
    cohort, people = cohort
    instrument = survey_forms.ensure_youth_survey(cohort.jurisdiction)
    user = {
        "anonymous": lambda: None,
        "resident": lambda: StaffFactory(username="resident", is_staff=False),
        "agent": lambda: staff_in_role(StaffRole.AGENT, username="agent"),
        "department staff": lambda: staff_in_role(StaffRole.DEPARTMENT_STAFF, username="crew"),
        "leadership": lambda: staff_in_role(StaffRole.LEADERSHIP, username="boss"),
    }[who]()
    if user is not None:
        client.force_login(user)
    for method, url in _staff_pages(cohort, people, instrument):
        response = getattr(client, method)(url, YOUTH_ANSWERS if method == "post" else None)
        if user is None or who == "resident":
            assert response.status_code in {302, 403}, url
            if response.status_code == 302:
                assert "/admin/login/" in response["Location"]
        else:
            assert response.status_code == 403, url
    cohort.refresh_from_db()
    assert (cohort.before_survey_token, instrument.versions.count(), Response.objects.count()) == ("", 1, 0)


@pytest.mark.django_db
def test_staff_open_a_survey_and_see_who_has_not_answered(client, cohort, casey):
    cohort, _people = cohort
    client.force_login(casey)
    page = client.get(reverse("community:youth_survey", args=[cohort.slug]))
    assert page.status_code == 200 and b"0 of 3 answered" in page.content
    opened = client.post(reverse("community:youth_survey_open", args=[cohort.slug, "before"]))
    assert opened.status_code == 302
    cohort.refresh_from_db()
    token = cohort.before_survey_token
    page = client.get(reverse("community:youth_survey", args=[cohort.slug]))
    text = page.content.decode()
    assert reverse("community:youth_survey_take", args=[token]) in text
    assert "Maria R." in text and "Jamal T." in text and "Ana L." in text
    assert client.post(reverse("community:youth_survey_open", args=[cohort.slug, "sometime"])).status_code == 404
    assert client.get(reverse("community:youth_survey", args=["no-such-cohort"])).status_code == 404


@pytest.mark.django_db
def test_a_participant_picks_their_name_answers_and_is_taken_back_to_the_names(client, cohort, casey):
    cohort, people = cohort
    token = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey).before_survey_token
    names = client.get(reverse("community:youth_survey_take", args=[token]))
    text = names.content.decode()
    assert names.status_code == 200 and all(p.display_name in text for p in people)
    assert "guardian" not in text.lower() and "11-13" not in text
    assert names["Cache-Control"].startswith("max-age=0") or "no-cache" in names["Cache-Control"]
    step = reverse("community:youth_survey_take_participant", args=[token, people[0].pk])
    form = client.get(step)
    assert form.status_code == 200 and "Do you know what Philly311 is?" in form.content.decode()
    sent = client.post(step, _post_data())
    assert sent.status_code == 302 and sent["Location"].endswith("?thanks=1")
    back = client.get(sent["Location"])
    text = back.content.decode()
    assert "Thank you! Your answers are saved." in text and "Maria R." not in text and "Jamal T." in text
    link = YouthSurveyResponse.objects.get()
    assert (link.participant, link.phase, link.response.channel) == (people[0], "before", "web")
    # Her name is gone: her page sends back to the names, and a second answer is not written.
    again = client.post(step, _post_data())
    assert again.status_code == 302 and YouthSurveyResponse.objects.count() == 1


@pytest.mark.django_db
def test_the_public_page_in_spanish(client, cohort, casey):
    cohort, people = cohort
    token = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey).before_survey_token
    client.cookies["django_language"] = "es"
    step = client.get(reverse("community:youth_survey_take_participant", args=[token, people[0].pk]))
    text = step.content.decode()
    assert "¿Sabes qué es Philly311?" in text and "Recolección de basura" in text


@pytest.mark.django_db
def test_bad_answers_show_errors_by_question_and_keep_what_was_typed(client, cohort, casey):
    cohort, people = cohort
    token = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey).before_survey_token
    step = reverse("community:youth_survey_take_participant", args=[token, people[0].pk])
    data = {**YOUTH_ANSWERS, "want_to_learn": "Parks"}
    del data["knows_311"]
    response = client.post(step, data)
    text = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_knows_311_error"' in text and "This question needs an answer." in text
    assert ">Parks</textarea>" in text
    assert not Response.objects.exists()


@pytest.mark.django_db
def test_closed_and_unknown_links_say_so_and_are_rate_limited(client, cohort, casey):
    cohort, people = cohort
    opened = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey)
    token = opened.before_survey_token
    youth_surveys.close_phase(opened, Phase.BEFORE, actor=casey)
    for url in (
        reverse("community:youth_survey_take", args=[token]),
        reverse("community:youth_survey_take_participant", args=[token, people[0].pk]),
        reverse("community:youth_survey_take", args=["made-up"]),
    ):
        response = client.get(url)
        assert response.status_code == 404 and b"This survey is not open" in response.content
        assert b"Maria" not in response.content
    posted = client.post(reverse("community:youth_survey_take_participant", args=[token, people[0].pk]), YOUTH_ANSWERS)
    assert posted.status_code == 404 and not Response.objects.exists()
    with override_settings(CIVIC311_YOUTH_SURVEY_BAD_LINKS_PER_HOUR=2):
        statuses = [
            client.get(reverse("community:youth_survey_take", args=[f"guess-{n}"])).status_code for n in range(3)
        ]
    assert statuses[-1] == 429


@pytest.mark.django_db
def test_answers_are_rate_limited_per_device(client, cohort, casey):
    cohort, people = cohort
    token = youth_surveys.open_phase(cohort, Phase.BEFORE, actor=casey).before_survey_token
    with override_settings(CIVIC311_YOUTH_SURVEY_ANSWERS_PER_HOUR=1):
        first = client.post(
            reverse("community:youth_survey_take_participant", args=[token, people[0].pk]), YOUTH_ANSWERS
        )
        second = client.post(
            reverse("community:youth_survey_take_participant", args=[token, people[1].pk]), YOUTH_ANSWERS
        )
    assert (first.status_code, second.status_code) == (302, 429)
    assert YouthSurveyResponse.objects.count() == 1


@pytest.mark.django_db
def test_staff_type_a_paper_form(client, cohort, casey):
    cohort, people = cohort
    client.force_login(casey)
    url = reverse("community:youth_survey_enter", args=[cohort.slug, "after", people[1].pk])
    page = client.get(url)
    assert page.status_code == 200 and "Jamal T." in page.content.decode()
    bad = client.post(url, {**YOUTH_ANSWERS, "app_comfort": "9"})
    assert bad.status_code == 400 and not Response.objects.exists()
    saved = client.post(url, YOUTH_ANSWERS)
    assert saved.status_code == 302
    link = YouthSurveyResponse.objects.get()
    assert (link.entered_by, link.phase, link.response.channel) == (casey, "after", "paper")
    done = client.get(url)
    assert b"has already answered" in done.content
    assert client.get(reverse("community:youth_survey_enter", args=[cohort.slug, "after", 99999])).status_code == 404


@pytest.mark.django_db
def test_the_editor_pages(client, jurisdiction, casey):
    client.force_login(casey)
    assert b"Make the default youth survey" in client.get(reverse("community:survey_forms")).content
    made = client.post(reverse("community:survey_forms"))
    instrument = survey_forms.ensure_youth_survey(jurisdiction)
    assert made["Location"] == reverse("community:survey_form", args=[instrument.pk])
    page = client.get(made["Location"]).content.decode()
    assert "Version 1 is published and frozen." in page and "contact_details" not in page
    client.post(reverse("community:survey_form_draft", args=[instrument.pk]))
    draft = instrument.versions.get(number=2)
    page = client.get(reverse("community:survey_form", args=[instrument.pk])).content.decode()
    assert 'value="contact_details"' not in page and 'value="multiple_choice"' in page
    added = client.post(
        reverse("community:survey_form_question_new", args=[instrument.pk]),
        {
            "code": "fav",
            "kind": "single_choice",
            "text": "Favorite session?",
            "text_es": "¿Sesión favorita?",
            "choices": "The walk | La caminata\napp = The app",
        },
    )
    assert added.status_code == 302
    question = draft.questions.get(code="fav")
    assert question.choices == [{"key": "the_walk", "label": "The walk"}, {"key": "app", "label": "The app"}]
    refused = client.post(
        reverse("community:survey_form_question_new", args=[instrument.pk]),
        {"code": "phone", "kind": "contact_details", "text": "Phone?"},
    )
    assert refused.status_code == 400 and not draft.questions.filter(code="phone").exists()
    edit_url = reverse("community:survey_form_question", args=[instrument.pk, question.pk])
    assert "the_walk = The walk | La caminata" in client.get(edit_url).content.decode()
    client.post(edit_url, {"text": "Best session?", "text_es": "", "choices": "the_walk = The walk\napp = The app"})
    question.refresh_from_db()
    assert question.text == "Best session?" and question.translations == {}
    client.post(reverse("community:survey_form_question_move", args=[instrument.pk, question.pk]), {"direction": "up"})
    assert [q.code for q in draft.questions.order_by("order")][-2:] == ["fav", "want_to_learn"]
    client.post(reverse("community:survey_form_question_remove", args=[instrument.pk, question.pk]))
    assert not draft.questions.filter(code="fav").exists()
    client.post(reverse("community:survey_form_publish", args=[instrument.pk]))
    draft.refresh_from_db()
    assert draft.is_published
    version_page = client.get(reverse("community:survey_form_version", args=[instrument.pk, 2]))
    assert version_page.status_code == 200
    assert client.get(reverse("community:survey_form", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_the_satisfaction_survey_is_not_in_the_editor(client, jurisdiction, casey):
    from civic311.surveys import services as engine

    satisfaction = engine.ensure_baseline(jurisdiction).instrument
    client.force_login(casey)
    assert client.get(reverse("community:survey_form", args=[satisfaction.pk])).status_code == 404
    assert client.post(reverse("community:survey_form_draft", args=[satisfaction.pk])).status_code == 404
    assert satisfaction.versions.count() == 1
    assert Question.objects.filter(version__instrument=satisfaction).count() == 6
