"""The pilot assessment pages: community staff's pages (and everyone they refuse), the public answer page
through a link (no account), the report's PDF and its formula-safe CSV."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io

import pytest
from django.urls import NoReverseMatch, reverse

from civic311.community.models import FocusGroup, Phase, PilotAssessment, PilotInvitation
from civic311.community.services import pilots
from civic311.notifications.models import OutboundMessage
from civic311.people.models import StaffRole
from civic311.surveys.models import Response
from tests.factories import StaffFactory, staff_in_role

from .helpers import community_staff, make_liaison, pilot_with_people, rate_all

B, A = Phase.BEFORE, Phase.AFTER
DAY = dt.datetime(2026, 5, 4, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(db):
    return community_staff()


@pytest.fixture
def pilot(jurisdiction, staff):
    found, _people = pilot_with_people(jurisdiction, staff, 2)
    return found


def staff_pages(pilot):
    group = FocusGroup.objects.create(assessment=pilot, held_on=dt.date(2026, 5, 2), phase=B, notes="Notes")
    slug = pilot.slug
    return [
        ("get", reverse("community:pilots")),
        ("get", reverse("community:pilot_new")),
        ("get", reverse("community:pilot", args=[slug])),
        ("get", reverse("community:pilot_edit", args=[slug])),
        ("get", reverse("community:pilot_participants", args=[slug])),
        ("post", reverse("community:pilot_send", args=[slug, B])),
        ("get", reverse("community:pilot_focus_group_new", args=[slug])),
        ("get", reverse("community:pilot_focus_group", args=[slug, group.pk])),
        ("get", reverse("community:pilot_report", args=[slug])),
        ("get", reverse("community:pilot_report_pdf", args=[slug])),
        ("get", reverse("community:pilot_report_csv", args=[slug])),
    ]


@pytest.mark.parametrize("kind", ["anonymous", "resident", "agent", "department staff", "leadership"])
def test_staff_pages_refuse_everyone_else(client, pilot, center_city, kind):
    user = {
        "anonymous": lambda: None,
        "resident": lambda: make_liaison([center_city], email="resident-pages@example.org").user,
        "agent": lambda: staff_in_role(StaffRole.AGENT, username="agent-pages"),
        "department staff": lambda: staff_in_role(StaffRole.DEPARTMENT_STAFF, username="crew-pages"),
        "leadership": lambda: staff_in_role(StaffRole.LEADERSHIP, username="boss-pages"),
    }[kind]()
    if user is not None:
        client.force_login(user)
    for method, url in staff_pages(pilot):
        response = getattr(client, method)(url)
        if user is None:
            assert response.status_code == 302 and "login" in response["Location"], url
        else:
            assert response.status_code == 403, url
    assert not PilotInvitation.objects.exists() and not OutboundMessage.objects.exists()


def test_community_staff_open_every_page(client, pilot, staff):
    client.force_login(staff)
    for method, url in staff_pages(pilot):
        if method == "get":
            assert client.get(url).status_code == 200, url
    assert client.get(reverse("community:staff_home")).content.decode().count(reverse("community:pilots")) == 1


def test_creating_and_changing_through_the_pages(client, jurisdiction, staff):
    client.force_login(staff)
    form = {
        "name": "Phones pilot",
        "slug": "phones",
        "technology": "Smartphones",
        "goals": "Answer from the field",
        "starts_on": "2026-05-01",
        "ends_on": "2026-05-31",
        "form": "",
    }
    response = client.post(reverse("community:pilot_new"), form)
    assert response.status_code == 302 and response["Location"] == reverse("community:pilot", args=["phones"])
    created = PilotAssessment.objects.get(slug="phones")
    assert created.form is not None and created.form.versions.get().is_published
    bad = client.post(reverse("community:pilot_new"), {**form, "ends_on": "2026-04-01"})
    assert bad.status_code == 200 and "The last day cannot be before the first day." in bad.content.decode()
    changed = client.post(
        reverse("community:pilot_edit", args=["phones"]), {**form, "slug": "smartphones", "form": str(created.form_id)}
    )
    assert changed["Location"] == reverse("community:pilot", args=["smartphones"])
    page = client.get(reverse("community:pilot", args=["smartphones"])).content.decode()
    assert "Smartphones" in page and "Answer from the field" in page
    with contextlib.suppress(NoReverseMatch):  # the form editor's page, when the site has it
        assert reverse("community:survey_form", args=[created.form_id]) in page


def test_participants_send_and_focus_groups_through_the_pages(client, pilot, staff):
    client.force_login(staff)
    newcomer = StaffFactory(username="newcomer", first_name="Nia", last_name="New")
    url = reverse("community:pilot_participants", args=[pilot.slug])
    assert "Nia New" in client.get(url, {"q": "nia"}).content.decode()
    assert "Nia New" not in client.get(url, {"q": "zzz"}).content.decode()
    assert client.post(url, {"users": [newcomer.pk]}).status_code == 302
    assert pilot.participants.count() == 3
    newcomer_row = pilot.participants.get(user=newcomer)
    assert client.post(url, {"remove": newcomer_row.pk}).status_code == 302
    assert pilot.participants.count() == 2
    # The after phase first is refused, with a message; then before, then after.
    response = client.post(reverse("community:pilot_send", args=[pilot.slug, A]), follow=True)
    assert "Send the before phase first" in response.content.decode() and not PilotInvitation.objects.exists()
    response = client.post(reverse("community:pilot_send", args=[pilot.slug, B]), follow=True)
    assert "2 invitations sent." in response.content.decode()
    assert OutboundMessage.objects.count() == 2
    assert client.post(reverse("community:pilot_send", args=[pilot.slug, "during"])).status_code == 404
    person = pilot.participants.first()
    response = client.post(
        reverse("community:pilot_focus_group_new", args=[pilot.slug]),
        {"held_on": "2026-05-03", "phase": B, "facilitator": "Fran", "attendees": [person.pk], "notes": "Hopeful."},
    )
    assert response.status_code == 302
    group = FocusGroup.objects.get()
    assert list(group.attendees.all()) == [person]
    response = client.post(
        reverse("community:pilot_focus_group", args=[pilot.slug, group.pk]),
        {"held_on": "2026-05-03", "phase": B, "facilitator": "Fran", "notes": ""},
    )
    assert response.status_code == 200 and "Write down what the group said." in response.content.decode()


# --- the public page -------------------------------------------------------------------------------------------


@pytest.fixture
def sent(pilot, staff):
    pilots.send_phase(pilot, B, staff, now=DAY)
    return {i.participant.user.username: i for i in PilotInvitation.objects.select_related("participant__user")}


def answers(rating=4, **more):
    return {**{code: str(value) for code, value in rate_all(rating).items()}, **more}


def test_the_answer_page_works_without_an_account_and_shows_only_the_pilot(client, sent):
    mine, theirs = sent["p0"], sent["p1"]
    page = client.get(reverse("community:pilot_answer", args=[mine.token]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Pilot of Field tablets" in text and "Before the pilot" in text
    assert "How would you rate your productivity" in text and 'name="productivity_comment"' in text
    for private in (theirs.participant.user.get_full_name(), theirs.participant.user.email, theirs.token):
        assert private not in text
    assert mine.participant.user.email not in text and mine.participant.user.get_full_name() not in text
    assert "Field tablets pilot" not in text  # nor the assessment's own name or goals
    assert "Inspectors file from the street" not in text


def test_answering_once_then_already_answered(client, sent):
    url = reverse("community:pilot_answer", args=[sent["p0"].token])
    response = client.post(url, answers(4, productivity_comment="Good"))
    assert response.status_code == 200 and "Thank you: your answers were recorded." in response.content.decode()
    again = client.post(url, answers(1))
    assert again.status_code == 409 and "You have already answered this form." in again.content.decode()
    assert "You have already answered this form." in client.get(url).content.decode()
    assert Response.objects.count() == 1
    stored = dict(Response.objects.get().answers.values_list("question__code", "value"))
    assert stored["productivity"] == 4 and stored["productivity_comment"] == "Good"


def test_missing_ratings_are_shown_on_their_question(client, sent):
    url = reverse("community:pilot_answer", args=[sent["p0"].token])
    response = client.post(url, {**answers(3), "impact": ""})
    assert response.status_code == 400
    assert "This question needs an answer." in response.content.decode()
    assert not Response.objects.exists()


def test_the_answer_page_in_spanish(client, sent):
    url = reverse("community:pilot_answer", args=[sent["p0"].token])
    text = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "¿Cómo calificaría su productividad en el trabajo actualmente?" in text


def test_an_unknown_link_says_so_and_too_many_are_refused(client, sent, settings):
    settings.CIVIC311_SIGN_IN_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        response = client.get(reverse("community:pilot_answer", args=[f"guess-{n}"]))
        assert response.status_code == 404 and "This link is not valid." in response.content.decode()
    refused = client.get(reverse("community:pilot_answer", args=[sent["p0"].token]))
    assert refused.status_code == 429
    assert client.post(reverse("community:pilot_answer", args=[sent["p0"].token]), answers()).status_code == 429
    assert not Response.objects.exists()


def test_valid_links_never_count_towards_the_limit(client, sent, settings):
    settings.CIVIC311_SIGN_IN_FAILURES_PER_ADDRESS = 2
    for _n in range(5):
        assert client.get(reverse("community:pilot_answer", args=[sent["p0"].token])).status_code == 200


def test_a_closed_before_link(client, pilot, staff, sent):
    pilots.send_phase(pilot, A, staff, now=DAY + dt.timedelta(days=30))
    url = reverse("community:pilot_answer", args=[sent["p0"].token])
    assert "the after-pilot form was sent" in client.get(url).content.decode()
    assert client.post(url, answers()).status_code == 410
    after = PilotInvitation.objects.get(participant=sent["p0"].participant, phase=A)
    page = client.get(reverse("community:pilot_answer", args=[after.token])).content.decode()
    assert "After the pilot" in page


# --- the report: HTML, PDF, CSV ----------------------------------------------------------------------------------


@pytest.fixture
def reported(pilot, staff, sent):
    pilots.answer(sent["p0"].token, {**rate_all(2), "productivity_comment": "=cmd|' /C calc'!A0"})
    pilots.answer(sent["p1"].token, rate_all(3))
    pilots.send_phase(pilot, A, staff, now=DAY + dt.timedelta(days=30))
    for invitation, rating in zip(
        PilotInvitation.objects.filter(phase=A).order_by("participant__user__username"), (4, 3), strict=True
    ):
        pilots.answer(invitation.token, rate_all(rating))
    return pilot


def test_the_report_page(client, staff, reported):
    client.force_login(staff)
    text = client.get(reverse("community:pilot_report", args=[reported.slug])).content.decode()
    assert "Pilot report: Field tablets pilot" in text
    assert "P0 Pilot" in text and "P1 Pilot" in text
    assert "2 → 4" in text and "+2.00" in text  # P0's productivity, and their mean difference
    assert "=cmd|" in text  # the comment, escaped by the template
    assert "100%" in text


def test_the_report_pdf_renders(client, staff, reported):
    client.force_login(staff)
    response = client.get(reverse("community:pilot_report_pdf", args=[reported.slug]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 2000


def test_the_report_csv_is_formula_safe(client, staff, reported):
    client.force_login(staff)
    response = client.get(reverse("community:pilot_report_csv", args=[reported.slug]))
    assert response["Content-Disposition"] == 'attachment; filename="pilot-tablets.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "participant", "dimension", "measure", "before", "after", "value"]
    by_key = {(r[0], r[1], r[2], r[3]): r[4:] for r in rows[1:]}
    # Productivity: before 2 and 3 (mean 2.5), after 4 and 3 (mean 3.5); differences +2 and 0.
    assert by_key[("dimension", "", "productivity", "mean")] == ["2.5", "3.5", ""]
    assert by_key[("dimension", "", "productivity", "improved")][2] == "1"
    assert by_key[("dimension", "", "productivity", "improved_percent")][2] == "50.0"
    assert by_key[("dimension", "", "productivity", "mean_difference")][2] == "1.0"
    # The sample standard deviation of +2 and 0: √2.
    assert by_key[("dimension", "", "productivity", "difference_sd")][2] == "1.41"
    assert by_key[("participant", "P0 Pilot", "productivity", "rating")] == ["2", "4", "2"]
    assert by_key[("response_rate", "", "", "after_percent")][2] == "100.0"
    [comment] = [r for r in rows if r[0] == "comment"]
    assert comment[6].startswith("'=cmd")  # guarded: a spreadsheet shows it as text
