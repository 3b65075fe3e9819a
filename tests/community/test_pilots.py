"""Pilot assessments: creating one with its default form, participants, sending each phase (invitations and
their e-mails in one transaction), answering through the link, focus groups, and the report's figures
against values worked out by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civic311.community.models import FocusGroup, Phase, PilotAssessment, PilotInvitation, PilotParticipant
from civic311.community.selectors import pilots as selected
from civic311.community.services import pilots
from civic311.notifications.models import OutboundMessage
from civic311.people.models import StaffRole
from civic311.surveys.models import InstrumentVersion, Question, Response
from tests.factories import DepartmentFactory, JurisdictionFactory, StaffFactory, staff_in_role

from .helpers import annotated, community_staff, make_liaison, pilot_data, pilot_with_people, rate_all

B, A = Phase.BEFORE, Phase.AFTER
DAY = dt.datetime(2026, 5, 4, 14, 0, tzinfo=dt.UTC)


# --- the assessment and its default form -----------------------------------------------------------------------


def test_creating_makes_the_default_form_published_with_six_rated_dimensions(jurisdiction):
    staff = community_staff()
    pilot = pilots.create_assessment(jurisdiction, pilot_data(), staff, now=DAY)
    assert (pilot.slug, pilot.technology, pilot.created_by) == ("tablets", "Field tablets", staff)
    [version] = InstrumentVersion.objects.filter(instrument=pilot.form)
    assert version.number == 1 and version.is_published
    questions = list(version.questions.order_by("order"))
    codes = [q.code for q in questions]
    assert codes == [
        "productivity",
        "productivity_comment",
        "processes",
        "processes_comment",
        "communication",
        "communication_comment",
        "organization",
        "organization_comment",
        "ease",
        "ease_comment",
        "impact",
        "impact_comment",
    ]
    assert [q.kind for q in questions] == [Question.Kind.SCALE_1_5, Question.Kind.FREE_TEXT] * 6
    assert all(q.required for q in questions[::2]) and not any(q.required for q in questions[1::2])
    assert "very poor" in questions[0].text and "muy mal" in questions[0].localized(language="es")
    assert questions[1].localized(language="es").startswith("Comentarios sobre productividad")


def test_an_existing_form_may_be_chosen_instead(jurisdiction):
    staff = community_staff()
    first = pilots.create_assessment(jurisdiction, pilot_data(), staff)
    second = pilots.create_assessment(jurisdiction, pilot_data(slug="phones", form_id=first.form_id), staff)
    assert second.form_id == first.form_id
    with pytest.raises(ValidationError) as error:
        pilots.create_assessment(jurisdiction, pilot_data(slug="other", form_id=999_999), staff)
    assert "form" in error.value.message_dict


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"slug": ""}, "slug"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "answer"}, "slug"),
        ({"slug": "new"}, "slug"),
        ({"technology": ""}, "technology"),
        ({"starts_on": None}, "starts_on"),
        ({"ends_on": dt.date(2026, 4, 30)}, "ends_on"),
    ],
)
def test_bad_assessments_are_refused_on_their_field(jurisdiction, changes, field):
    with pytest.raises(ValidationError) as error:
        pilots.create_assessment(jurisdiction, pilot_data(**changes), community_staff())
    assert field in error.value.message_dict
    assert not PilotAssessment.objects.exists()


def test_the_short_name_is_unique_in_the_city_only(jurisdiction):
    staff = community_staff()
    pilots.create_assessment(jurisdiction, pilot_data(), staff)
    with pytest.raises(ValidationError) as error:
        pilots.create_assessment(jurisdiction, pilot_data(), staff)
    assert "slug" in error.value.message_dict
    elsewhere = JurisdictionFactory(slug="elsewhere", jurisdiction_id="elsewhere.example.org", is_default=False)
    assert pilots.create_assessment(elsewhere, pilot_data(), staff).slug == "tablets"


def test_changing_keeps_the_form_once_the_before_phase_was_sent(jurisdiction):
    staff = community_staff()
    pilot, _people = pilot_with_people(jurisdiction, staff, 1)
    other = pilots.create_assessment(jurisdiction, pilot_data(slug="phones"), staff)
    changed = pilots.change_assessment(pilot, pilot_data(name="Tablets for inspectors", form_id=other.form_id), staff)
    assert changed.name == "Tablets for inspectors" and changed.form_id == other.form_id
    pilots.send_phase(changed, B, staff, now=DAY)
    with pytest.raises(ValidationError) as error:
        pilots.change_assessment(changed, pilot_data(form_id=pilot.form_id), staff)
    assert "form" in error.value.message_dict


@pytest.mark.parametrize("kind", ["agent", "department staff", "leadership", "resident", "anonymous"])
def test_only_community_staff_run_pilots(jurisdiction, center_city, kind):
    staff = community_staff()
    pilot, people = pilot_with_people(jurisdiction, staff, 1)
    actor = {
        "agent": lambda: staff_in_role(StaffRole.AGENT, username="agent-e"),
        "department staff": lambda: staff_in_role(StaffRole.DEPARTMENT_STAFF, username="crew-e"),
        "leadership": lambda: staff_in_role(StaffRole.LEADERSHIP, username="boss-e"),
        "resident": lambda: make_liaison([center_city], email="resident-e@example.org").user,
        "anonymous": lambda: None,
    }[kind]()
    for attempt in (
        lambda: pilots.create_assessment(jurisdiction, pilot_data(slug="x"), actor),
        lambda: pilots.change_assessment(pilot, pilot_data(), actor),
        lambda: pilots.add_participants(pilot, [StaffFactory(username="more")], actor),
        lambda: pilots.remove_participant(people[0], actor),
        lambda: pilots.send_phase(pilot, B, actor),
        lambda: pilots.record_focus_group(pilot, focus(held_on=dt.date(2026, 5, 1)), actor),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert not PilotInvitation.objects.exists() and not OutboundMessage.objects.exists()


# --- participants --------------------------------------------------------------------------------------------


def test_participants_are_the_citys_active_staff_with_an_e_mail(jurisdiction, center_city):
    staff = community_staff()
    pilot = pilots.create_assessment(jurisdiction, pilot_data(), staff)
    ours = StaffFactory(username="ours", department=DepartmentFactory(jurisdiction=jurisdiction))
    floating = StaffFactory(username="floating")  # no home department: staff of every city
    elsewhere = JurisdictionFactory(slug="elsewhere", jurisdiction_id="elsewhere.example.org", is_default=False)
    theirs = StaffFactory(username="theirs", department=DepartmentFactory(jurisdiction=elsewhere))
    gone = StaffFactory(username="gone", is_active=False)
    resident = make_liaison([center_city], email="res@example.org").user
    silent = StaffFactory(username="silent", email="")
    offered = set(pilots.eligible_accounts(pilot))
    assert {ours, floating, staff} <= offered and not offered & {theirs, gone, resident}
    for refused in (theirs, gone, resident, silent):
        with pytest.raises(ValidationError) as error:
            pilots.add_participants(pilot, [refused], staff)
        assert "users" in error.value.message_dict
    assert pilots.add_participants(pilot, [ours, floating, ours], staff) == 2
    assert pilots.add_participants(pilot, [ours], staff) == 0  # taking part already
    assert set(pilot.participants.values_list("user__username", flat=True)) == {"ours", "floating"}
    assert ours not in pilots.eligible_accounts(pilot)


def test_participants_change_until_the_after_phase_is_sent(jurisdiction):
    staff = community_staff()
    pilot, people = pilot_with_people(jurisdiction, staff, 3)
    pilots.send_phase(pilot, B, staff, now=DAY)
    pilots.answer(invitation(people[0], B).token, rate_all(3))
    with pytest.raises(ValidationError):  # answered: their answers stay in the report
        pilots.remove_participant(people[0], staff)
    pilots.remove_participant(people[1], staff)
    assert not PilotParticipant.objects.filter(pk=people[1].pk).exists()
    pilots.add_participants(pilot, [StaffFactory(username="late")], staff)
    pilots.send_phase(pilot, A, staff, now=DAY)
    with pytest.raises(ValidationError):
        pilots.add_participants(pilot, [StaffFactory(username="later")], staff)
    with pytest.raises(ValidationError):
        pilots.remove_participant(people[2], staff)


# --- sending -------------------------------------------------------------------------------------------------


def test_sending_a_phase_pins_the_version_and_e_mails_one_invitation_each(jurisdiction):
    staff = community_staff()
    pilot, people = pilot_with_people(jurisdiction, staff, 3)
    sent = pilots.send_phase(pilot, B, staff, now=DAY)
    pilot.refresh_from_db()
    assert pilot.before_version == InstrumentVersion.objects.get(instrument=pilot.form, number=1)
    assert pilot.after_version is None
    assert (sent.invited, sent.reminded, sent.answered, sent.already_today) == (3, 0, 0, 0)
    invitations = list(PilotInvitation.objects.filter(phase=B))
    assert len(invitations) == 3 and len({i.token for i in invitations}) == 3
    assert all(len(i.token) >= 40 for i in invitations)
    messages = {m.recipient: m for m in OutboundMessage.objects.all()}
    assert set(messages) == {p.user.email for p in people}
    for invitation in invitations:
        message = messages[invitation.participant.user.email]
        assert f"/community/pilots/answer/{invitation.token}/" in message.body
        assert "Field tablets" in message.subject and "Before" in message.subject
        assert other_tokens(invitations, invitation).isdisjoint(message.body.split())


def other_tokens(invitations, invitation):
    return {i.token for i in invitations if i.pk != invitation.pk}


def test_invitations_and_e_mails_are_written_all_or_nothing(jurisdiction):
    staff = community_staff()
    pilot, _people = pilot_with_people(jurisdiction, staff, 3)
    real = pilots._invite
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the mail template broke")
        return real(*args, **kwargs)

    with mock.patch.object(pilots, "_invite", failing), pytest.raises(RuntimeError):
        pilots.send_phase(pilot, B, staff, now=DAY)
    pilot.refresh_from_db()
    assert pilot.before_version is None
    assert not PilotInvitation.objects.exists() and not OutboundMessage.objects.exists()


def test_sending_again_reminds_with_the_same_link_once_a_day_and_not_who_answered(jurisdiction):
    staff = community_staff()
    pilot, people = pilot_with_people(jurisdiction, staff, 3)
    pilots.send_phase(pilot, B, staff, now=DAY)
    tokens = {i.participant_id: i.token for i in PilotInvitation.objects.all()}
    pilots.answer(tokens[people[0].pk], rate_all(4))
    again = pilots.send_phase(pilot, B, staff, now=DAY + dt.timedelta(hours=1))
    assert (again.invited, again.reminded, again.answered, again.already_today) == (0, 0, 1, 2)
    assert OutboundMessage.objects.count() == 3
    next_day = pilots.send_phase(pilot, B, staff, now=DAY + dt.timedelta(days=1))
    assert (next_day.invited, next_day.reminded, next_day.answered) == (0, 2, 1)
    assert OutboundMessage.objects.count() == 5
    assert {i.participant_id: i.token for i in PilotInvitation.objects.all()} == tokens  # the same links
    reminded = OutboundMessage.objects.filter(recipient=people[1].user.email).order_by("pk")
    assert [tokens[people[1].pk] in m.body for m in reminded] == [True, True]
    assert not OutboundMessage.objects.filter(recipient=people[0].user.email).exclude(
        dedup_key__endswith=DAY.date().isoformat()
    )


def test_a_participant_added_later_is_invited_when_the_phase_is_sent_again(jurisdiction):
    staff = community_staff()
    pilot, _people = pilot_with_people(jurisdiction, staff, 2)
    pilots.send_phase(pilot, B, staff, now=DAY)
    pilots.add_participants(pilot, [StaffFactory(username="late")], staff)
    sent = pilots.send_phase(pilot, B, staff, now=DAY + dt.timedelta(minutes=5))
    assert (sent.invited, sent.already_today) == (1, 2)
    assert PilotInvitation.objects.filter(phase=B).count() == 3


def test_the_after_phase_only_after_the_before_phase(jurisdiction):
    staff = community_staff()
    pilot, _people = pilot_with_people(jurisdiction, staff, 2)
    with pytest.raises(ValidationError) as error:
        pilots.send_phase(pilot, A, staff, now=DAY)
    assert "phase" in error.value.message_dict
    assert not PilotInvitation.objects.exists() and not OutboundMessage.objects.exists()
    pilots.send_phase(pilot, B, staff, now=DAY)
    pilots.send_phase(pilot, A, staff, now=DAY + dt.timedelta(days=30))
    pilot.refresh_from_db()
    assert pilot.after_version_id == pilot.before_version_id
    assert PilotInvitation.objects.filter(phase=A).count() == 2
    after_mail = OutboundMessage.objects.filter(dedup_key__endswith="2026-06-03").first()
    assert after_mail is not None and "After" in after_mail.subject
    with pytest.raises(ValidationError):  # the before phase is closed now
        pilots.send_phase(pilot, B, staff, now=DAY + dt.timedelta(days=31))


def test_nothing_is_sent_without_participants_or_to_an_unknown_phase(jurisdiction):
    staff = community_staff()
    pilot = pilots.create_assessment(jurisdiction, pilot_data(), staff)
    for phase in (B, "during"):
        with pytest.raises(ValidationError):
            pilots.send_phase(pilot, phase, staff, now=DAY)
    assert not OutboundMessage.objects.exists()


def test_each_phase_keeps_the_version_it_was_first_sent_with(jurisdiction):
    from civic311.surveys import services as surveys

    staff = community_staff()
    pilot, _people = pilot_with_people(jurisdiction, staff, 1)
    pilots.send_phase(pilot, B, staff, now=DAY)
    draft = surveys.new_draft_version(pilot.form)
    surveys.add_question(draft, code="training", kind="yes_no", text="Was the training enough?", order=99)
    surveys.publish_version(draft)
    pilots.send_phase(pilot, B, staff, now=DAY + dt.timedelta(days=1))  # a reminder: still version 1
    pilot.refresh_from_db()
    assert pilot.before_version.number == 1
    pilots.send_phase(pilot, A, staff, now=DAY + dt.timedelta(days=30))
    pilot.refresh_from_db()
    assert pilot.after_version.number == 2


# --- answering -----------------------------------------------------------------------------------------------


def test_answering_records_the_response_and_the_invitation_together(jurisdiction):
    staff = community_staff()
    pilot, people = pilot_with_people(jurisdiction, staff, 2)
    pilots.send_phase(pilot, B, staff, now=DAY)
    token = invitation(people[0], B).token
    answered = pilots.answer(token, {**rate_all(2), "ease_comment": "Slow"}, now=DAY + dt.timedelta(hours=2))
    assert answered.answered_at == DAY + dt.timedelta(hours=2)
    response = answered.response
    assert response is not None
    assert (response.channel, response.outcome, response.version_id) == ("web", "completed", pilot.before_version_id)
    assert response.jurisdiction_id == jurisdiction.pk
    values = dict(response.answers.values_list("question__code", "value"))
    assert values["productivity"] == 2 and values["ease_comment"] == "Slow" and len(values) == 7


def test_one_answer_per_phase(jurisdiction):
    staff = community_staff()
    pilot, people = pilot_with_people(jurisdiction, staff, 1)
    pilots.send_phase(pilot, B, staff, now=DAY)
    token = invitation(people[0], B).token
    pilots.answer(token, rate_all(3))
    with pytest.raises(ValidationError) as error:
        pilots.answer(token, rate_all(5))
    assert error.value.code == pilots.ALREADY_ANSWERED
    assert Response.objects.count() == 1


def test_unknown_links_and_bad_answers_record_nothing(jurisdiction):
    staff = community_staff()
    pilot, people = pilot_with_people(jurisdiction, staff, 1)
    pilots.send_phase(pilot, B, staff, now=DAY)
    for token in ("", "not-a-token", "x" * 200):
        with pytest.raises(ValidationError) as error:
            pilots.answer(token, rate_all(3))
        assert error.value.code == pilots.UNKNOWN_LINK
    token = invitation(people[0], B).token
    with pytest.raises(ValidationError) as error:
        pilots.answer(token, {**rate_all(3), "productivity": 6, "impact": ""})
    assert set(error.value.message_dict) == {"productivity", "impact"}
    assert not Response.objects.exists() and invitation(people[0], B).answered_at is None


def test_a_before_link_closes_when_the_after_phase_is_sent(jurisdiction):
    staff = community_staff()
    pilot, people = pilot_with_people(jurisdiction, staff, 1)
    pilots.send_phase(pilot, B, staff, now=DAY)
    pilots.send_phase(pilot, A, staff, now=DAY + dt.timedelta(days=30))
    with pytest.raises(ValidationError) as error:
        pilots.answer(invitation(people[0], B).token, rate_all(3))
    assert error.value.code == pilots.PHASE_CLOSED
    assert pilots.answer(invitation(people[0], A).token, rate_all(3)).phase == A


# --- focus groups --------------------------------------------------------------------------------------------


def focus(**changes):
    fields = pilots.FocusGroupData(
        held_on=dt.date(2026, 6, 1), phase=A, facilitator="Fran", notes="Fewer trips to the office."
    )
    return dataclasses.replace(fields, **changes)


def test_focus_groups_are_recorded_and_changed_with_attendees_among_participants(jurisdiction):
    staff = community_staff()
    pilot, people = pilot_with_people(jurisdiction, staff, 3)
    group = pilots.record_focus_group(pilot, focus(attendee_ids=[people[0].pk, people[1].pk]), staff)
    assert set(group.attendees.all()) == {people[0], people[1]} and group.recorded_by == staff
    pilots.change_focus_group(group, focus(phase=B, notes="Changed", attendee_ids=[people[2].pk]), staff)
    group.refresh_from_db()
    assert (group.phase, group.notes, list(group.attendees.all())) == (B, "Changed", [people[2]])
    _other, strangers = pilot_with_people(jurisdiction, staff, 1, slug="phones", first="z")
    for bad, field in (
        (focus(attendee_ids=[strangers[0].pk]), "attendees"),
        (focus(notes="  "), "notes"),
        (focus(held_on=None), "held_on"),
        (focus(phase="during"), "phase"),
    ):
        with pytest.raises(ValidationError) as error:
            pilots.record_focus_group(pilot, bad, staff)
        assert field in error.value.message_dict
    assert FocusGroup.objects.count() == 1


# --- the report, against figures worked out by hand -----------------------------------------------------------

# productivity, before → after; every other dimension 3 → 3. Eve answers before only.
RATINGS = {"ana": (2, 4), "ben": (3, 3), "cal": (4, 2), "dee": (1, 5), "eve": (5, None)}


@pytest.fixture
def answered_pilot(jurisdiction):
    staff = community_staff()
    pilot, _people = pilot_with_people(jurisdiction, staff, 0)
    users = [StaffFactory(username=name, first_name=name.title(), last_name="Tester") for name in RATINGS]
    pilots.add_participants(pilot, users, staff)
    pilots.send_phase(pilot, B, staff, now=DAY)
    by_name = {p.user.username: p for p in pilot.participants.select_related("user")}
    comments = {"ana": ("Too many clicks", '=HYPERLINK("http://evil.example")')}
    for name, (before, _after) in RATINGS.items():
        extra = {"productivity_comment": comments[name][0]} if name in comments else {}
        pilots.answer(invitation(by_name[name], B).token, {**rate_all(3), "productivity": before, **extra})
    pilots.send_phase(pilot, A, staff, now=DAY + dt.timedelta(days=30))
    for name, (_before, after) in RATINGS.items():
        if after is not None:
            extra = {"productivity_comment": comments[name][1]} if name in comments else {}
            pilots.answer(invitation(by_name[name], A).token, {**rate_all(3), "productivity": after, **extra})
    pilots.record_focus_group(pilot, focus(attendee_ids=[by_name["ana"].pk]), staff)
    pilot.refresh_from_db()
    return pilot


def test_the_dimension_figures(answered_pilot):
    report = selected.report(answered_pilot)
    assert [d.code for d in report.dimensions] == [
        "productivity",
        "processes",
        "communication",
        "organization",
        "ease",
        "impact",
    ]
    productivity = report.dimensions[0].figures
    assert (productivity.before_answers, productivity.after_answers) == (5, 4)
    assert productivity.mean_before == pytest.approx(15 / 5)  # 2+3+4+1+5
    assert productivity.mean_after == pytest.approx(14 / 4)  # 4+3+2+5
    paired = productivity.paired
    # Differences +2, 0, -2, +4: mean 1; deviations 1, -1, -3, 3 → squares 20, over n-1 = 3.
    assert (paired.pairs, paired.improved, paired.unchanged, paired.worse) == (4, 2, 1, 1)
    assert (paired.improved_percent, paired.unchanged_percent, paired.worse_percent) == (50.0, 25.0, 25.0)
    assert paired.mean_difference == pytest.approx(1.0)
    assert paired.spread == pytest.approx(math.sqrt(20 / 3))
    ease = report.dimensions[4].figures
    assert (ease.mean_before, ease.mean_after, ease.paired.unchanged, ease.paired.mean_difference) == (3, 3, 4, 0)
    assert ease.paired.spread == 0


def test_all_dimensions_pool_every_rating(answered_pilot):
    pooled = selected.report(answered_pilot).pooled
    assert pooled is not None
    # Before: 30 ratings (5 people, 6 each), 15 + 25 * 3 = 90; after: 24 ratings, 14 + 20 * 3 = 74.
    assert (pooled.before_answers, pooled.after_answers) == (30, 24)
    assert pooled.mean_before == pytest.approx(90 / 30)
    assert pooled.mean_after == pytest.approx(74 / 24)
    # 24 pairs: +2, 0, -2, +4 and twenty zeros. Mean 4/24; Σd² = 24, so Σ(d - m)² = 24 - 24 (1/6)² = 70/3.
    assert (pooled.paired.pairs, pooled.paired.improved, pooled.paired.unchanged, pooled.paired.worse) == (24, 2, 21, 1)
    assert pooled.paired.mean_difference == pytest.approx(1 / 6)
    assert pooled.paired.spread == pytest.approx(math.sqrt((70 / 3) / 23))


def test_per_participant_figures(answered_pilot):
    people = {p.name: p for p in selected.report(answered_pilot).participants}
    assert list(people) == ["Ana Tester", "Ben Tester", "Cal Tester", "Dee Tester", "Eve Tester"]
    ana = people["Ana Tester"]
    assert ana.ratings[0] == ("productivity", 2, 4) and ana.ratings[1] == ("processes", 3, 3)
    assert ana.figures.mean_before == pytest.approx(17 / 6) and ana.figures.mean_after == pytest.approx(19 / 6)
    assert (ana.figures.paired.improved, ana.figures.paired.unchanged, ana.figures.paired.worse) == (1, 5, 0)
    assert ana.figures.paired.mean_difference == pytest.approx(2 / 6)
    cal = people["Cal Tester"].figures
    assert cal.paired.mean_difference == pytest.approx(-2 / 6) and cal.paired.worse == 1
    eve = people["Eve Tester"]
    assert eve.ratings[0] == ("productivity", 5, None)
    assert eve.figures.mean_after is None and eve.figures.paired.pairs == 0


def test_rates_comments_and_focus_groups(answered_pilot):
    report = selected.report(answered_pilot)
    before, after = report.rates
    assert (before.phase, before.invited, before.answered, before.percent) == (B, 5, 5, 100.0)
    assert (after.phase, after.invited, after.answered, after.percent) == (A, 5, 4, 80.0)
    productivity = report.dimensions[0]
    assert productivity.comments_before == ["Too many clicks"]
    assert productivity.comments_after == ['=HYPERLINK("http://evil.example")']
    assert report.dimensions[1].comments_before == []
    assert report.others == []
    [group] = report.focus_groups
    assert group.notes == "Fewer trips to the office."


def test_an_empty_report(jurisdiction):
    pilot = pilots.create_assessment(jurisdiction, pilot_data(), community_staff())
    report = selected.report(pilot)
    assert report.dimensions == [] and report.pooled is None and report.participants == []
    assert [(r.invited, r.answered, r.percent) for r in report.rates] == [(0, 0, None), (0, 0, None)]
    assert not report.has_answers


def test_the_list_counts_answers_per_phase(answered_pilot):
    [row] = selected.assessments(answered_pilot.jurisdiction)
    assert annotated(row, "participant_count", "before_answers", "after_answers") == (5, 5, 4)


def invitation(participant, phase):
    return PilotInvitation.objects.get(participant=participant, phase=phase)
