"""The surveyors' pages over HTTP: every role, anonymity of the list, a call, a transfer, its resolution."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from civic311.people.models import StaffRole
from civic311.surveys import services
from civic311.surveys.models import FollowUpTask, Response, WorkListEntry

from .factories import staff_in_role
from .roles_helpers import STAFF_ROLES
from .survey_helpers import contact, customer, supervisor, surveyor

pytestmark = pytest.mark.django_db

SURVEY_ROLES = {StaffRole.SURVEYOR, StaffRole.SUPERVISOR, StaffRole.ADMIN}
FOLLOW_UP_ROLES = {StaffRole.SUPERVISOR, StaffRole.ADMIN}


@pytest.fixture
def entry(jurisdiction):
    made = contact(jurisdiction, customer=customer(jurisdiction), phone="215-555-0142")
    services.build_work_list(jurisdiction, timezone.now())
    return WorkListEntry.objects.get(contact=made)


def signed_in(client, user):
    client.force_login(user)
    return client


def user_with(role, department):
    if role == StaffRole.SURVEYOR:
        return surveyor()  # trained
    return staff_in_role(role, department)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_role_against_the_pages(client, jurisdiction, department, entry, role):
    signed_in(client, user_with(role, department))
    expected = 200 if role in SURVEY_ROLES else 403
    assert client.get(reverse("surveys:home")).status_code == expected
    assert client.get(reverse("surveys:follow_ups")).status_code == (200 if role in FOLLOW_UP_ROLES else 403)
    claimed = client.post(reverse("surveys:claim", args=[entry.pk]))
    assert claimed.status_code == (302 if role in SURVEY_ROLES else 403)
    if role in SURVEY_ROLES:
        assert client.get(reverse("surveys:call", args=[entry.pk])).status_code == 200
    for name in ("record", "no_survey", "transfer", "release"):
        if role not in SURVEY_ROLES:
            assert client.post(reverse(f"surveys:{name}", args=[entry.pk])).status_code == 403


def test_anonymous_visitors_go_to_the_sign_in(client, entry):
    for url in (reverse("surveys:home"), reverse("surveys:follow_ups"), reverse("surveys:call", args=[entry.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert client.post(reverse("surveys:claim", args=[entry.pk])).status_code == 302
    assert WorkListEntry.objects.get().state == WorkListEntry.State.OPEN


def test_the_list_and_the_call_show_no_name_address_or_email(client, jurisdiction, entry):
    user = surveyor()
    signed_in(client, user)
    pages = [client.get(reverse("surveys:home")).content.decode()]
    assert "(215) 555-0142" in pages[0] and entry.agent.username in pages[0]
    client.post(reverse("surveys:claim", args=[entry.pk]))
    pages.append(client.get(reverse("surveys:call", args=[entry.pk])).content.decode())
    assert "(215) 555-0142" in pages[1]
    for html in pages:
        for secret in ("Philomena", "Quackenbush", "Zebrawood", "philomena.q@example.org"):
            assert secret not in html


def test_a_surveyor_records_the_six_answers_through_the_page(client, jurisdiction, entry):
    user = surveyor()
    signed_in(client, user)
    assert client.post(reverse("surveys:claim", args=[entry.pk]))["Location"] == reverse(
        "surveys:call", args=[entry.pk]
    )
    page = client.get(reverse("surveys:call", args=[entry.pk])).content.decode()
    assert "Were you satisfied with the service you received" in page
    refused = client.post(reverse("surveys:record", args=[entry.pk]), {"explained": "yes"})
    assert refused.status_code == 400 and "This question needs an answer." in refused.content.decode()
    assert not Response.objects.exists()
    done = client.post(
        reverse("surveys:record", args=[entry.pk]),
        {
            "explained": "yes",
            "informed": "no",
            "timely": "yes",
            "satisfied": "no",
            "feedback": "Took too long.",
            "contact_name": "",
            "contact_phone": "",
            "contact_email": "bad",
        },
    )
    assert done.status_code == 400 and "valid e-mail" in done.content.decode()
    done = client.post(
        reverse("surveys:record", args=[entry.pk]),
        {
            "explained": "yes",
            "informed": "no",
            "timely": "yes",
            "satisfied": "no",
            "feedback": "Took too long.",
        },
    )
    assert done.status_code == 302
    response = Response.objects.get()
    assert {a.question.code: a.value for a in response.answers.all()} == {
        "explained": True,
        "informed": False,
        "timely": True,
        "satisfied": False,
        "feedback": "Took too long.",
    }
    assert client.get(reverse("surveys:call", args=[entry.pk])).status_code == 302  # done: back to the list


def test_an_untrained_surveyor_is_refused_the_claim(client, entry):
    signed_in(client, surveyor(trained=False))
    assert "current survey training record" in client.get(reverse("surveys:home")).content.decode()
    assert client.post(reverse("surveys:claim", args=[entry.pk])).status_code == 403
    assert WorkListEntry.objects.get().state == WorkListEntry.State.OPEN


def test_another_surveyor_cannot_open_a_claimed_call(client, jurisdiction, entry):
    services.claim_entry(entry, surveyor())
    signed_in(client, surveyor())
    assert client.post(reverse("surveys:claim", args=[entry.pk])).status_code == 302
    assert client.get(reverse("surveys:call", args=[entry.pk])).status_code == 302
    assert client.post(reverse("surveys:no_survey", args=[entry.pk]), {"outcome": "no_answer"}).status_code == 302
    assert WorkListEntry.objects.get().state == WorkListEntry.State.CLAIMED and not Response.objects.exists()


def test_transfer_to_a_supervisor_and_resolution(client, jurisdiction, entry):
    boss, caller = supervisor(username="boss"), surveyor()
    signed_in(client, caller)
    client.post(reverse("surveys:claim", args=[entry.pk]))
    bad = client.post(
        reverse("surveys:transfer", args=[entry.pk]),
        {"transfer-owner": boss.pk, "transfer-deadline": "2001-01-01T09:00", "transfer-words": "Nobody came."},
    )
    assert bad.status_code == 400 and "deadline in the future" in bad.content.decode()
    deadline = timezone.localtime(timezone.now() + dt.timedelta(days=1), jurisdiction.zone)
    good = client.post(
        reverse("surveys:transfer", args=[entry.pk]),
        {
            "transfer-owner": boss.pk,
            "transfer-deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
            "transfer-words": "Nobody came, twice.",
        },
    )
    assert good.status_code == 302
    task = FollowUpTask.objects.get()
    assert (task.owner, task.created_by, task.words, task.entry, task.state) == (
        boss,
        caller,
        "Nobody came, twice.",
        entry,
        FollowUpTask.State.OPEN,
    )
    assert abs(task.deadline - deadline.replace(second=0, microsecond=0)) < dt.timedelta(seconds=1)

    signed_in(client, boss)
    page = client.get(reverse("surveys:follow_ups")).content.decode()
    assert "Nobody came, twice." in page and "Philomena" not in page
    assert (
        client.post(reverse("surveys:resolve", args=[task.pk]), {f"task-{task.pk}-resolution": ""}).status_code == 400
    )
    assert (
        client.post(
            reverse("surveys:resolve", args=[task.pk]), {f"task-{task.pk}-resolution": "Called back; crew sent."}
        ).status_code
        == 302
    )
    task.refresh_from_db()
    assert (task.state, task.resolution, task.resolved_by) == ("resolved", "Called back; crew sent.", boss)
    assert task.resolved_at is not None


def test_transfer_rules(jurisdiction, entry):
    from django.core.exceptions import PermissionDenied, ValidationError

    caller, boss = surveyor(), supervisor()
    soon = timezone.now() + dt.timedelta(hours=4)
    with pytest.raises(PermissionDenied):  # not claimed by the caller
        services.transfer_to_supervisor(entry, words="Upset", owner=boss, deadline=soon, actor=caller)
    services.claim_entry(entry, caller)
    with pytest.raises(ValidationError) as refused:
        services.transfer_to_supervisor(entry, words=" ", owner=surveyor(), deadline=soon, actor=caller)
    assert set(refused.value.message_dict) == {"words", "owner"}
    response = services.record_no_survey(entry, surveyor=caller, outcome=Response.Outcome.DECLINED)
    task = services.transfer_to_supervisor(response, words="Upset", owner=boss, deadline=soon, actor=caller)
    assert task.entry == entry and task.response == response
    with pytest.raises(PermissionDenied):  # a surveyor who is not the owner does not resolve
        services.resolve_follow_up(task, text="Done", actor=caller)
    services.resolve_follow_up(task, text="Done", actor=boss)
    with pytest.raises(ValidationError):
        services.resolve_follow_up(task, text="Again", actor=boss)


def test_supervisors_see_their_tasks_and_the_overdue_ones(client, jurisdiction, entry):
    boss, other = supervisor(), supervisor()
    caller = surveyor()
    services.claim_entry(entry, caller)
    now = timezone.now()
    mine = services.transfer_to_supervisor(
        entry, words="Mine to handle", owner=boss, deadline=now + dt.timedelta(hours=1), actor=caller
    )
    late = services.transfer_to_supervisor(
        entry, words="Someone else's, late", owner=other, deadline=now + dt.timedelta(minutes=1), actor=caller, now=now
    )
    FollowUpTask.objects.filter(pk=late.pk).update(deadline=now - dt.timedelta(hours=1))
    signed_in(client, boss)
    page = client.get(reverse("surveys:follow_ups")).content.decode()
    assert "Mine to handle" in page and "Someone else&#x27;s, late" in page
    assert mine.pk


def test_administrators_keep_training_records_in_the_admin(client, admin_user):
    signed_in(client, admin_user)
    assert client.get(reverse("admin:surveys_surveyortraining_changelist")).status_code == 200
    assert client.get(reverse("admin:surveys_surveyortraining_add")).status_code == 200
