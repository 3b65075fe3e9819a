"""The "was it fixed?" e-mail survey: sent once per close, answered once, "no" reopens and tells the department."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import ValidationError

from civic311.notifications.models import OutboundMessage
from civic311.people.models import Customer, StaffRole
from civic311.service_requests import services as requests_services
from civic311.service_requests.lifecycle import Status
from civic311.service_requests.models import HistoryEntry
from civic311.surveys import fixed
from civic311.surveys.models import Answer, Response

from .factories import StaffFactory, filed_request, with_role

CLOSED_AT = dt.datetime(2025, 3, 3, 15, tzinfo=dt.UTC)


@pytest.fixture
def closer(department):
    return with_role(StaffFactory(username="worker"), StaffRole.DEPARTMENT_STAFF, department)


def close(service_request, actor, *, when=CLOSED_AT, status=Status.CLOSED, capture=None, **extra):
    with time_machine.travel(when, tick=False), capture(execute=True):
        return requests_services.change_status(
            service_request, status, actor=actor, public_reason=extra.pop("reason", "Issue Resolved"), now=when, **extra
        )


def surveys_sent(service_request) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(service_request=service_request, dedup_key__startswith="fixed:").order_by("pk")
    )


def link_token(message: OutboundMessage) -> str:
    match = re.search(r"/surveys/fixed/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def closed(service, closer, django_capture_on_commit_callbacks):
    service_request = filed_request(service, email="pat@example.org")
    return close(service_request, closer, capture=django_capture_on_commit_callbacks)


def answer(closed, fixed_answer, comment="", *, after=dt.timedelta(days=1), token=None, capture=None):
    token = link_token(surveys_sent(closed)[-1]) if token is None else token
    with time_machine.travel(CLOSED_AT + after, tick=False), capture(execute=True):
        return fixed.record_fixed_answer(closed, token, fixed_answer, comment, now=CLOSED_AT + after)


# --- asking ---------------------------------------------------------------------------------------------


def test_one_email_when_a_request_closes_with_a_requester_email(closed, service):
    [message] = surveys_sent(closed)
    assert message.channel == OutboundMessage.Channel.EMAIL and message.recipient == "pat@example.org"
    assert closed.tracking_number in message.subject and "fixed" in message.subject
    assert "Issue Resolved" in message.body and "/surveys/fixed/" in message.body
    # The same close processed again (the receiver twice) makes no second e-mail.
    assert fixed.queue_fixed_survey(closed) is None
    assert len(surveys_sent(closed)) == 1
    version = fixed.ensure_fixed_survey(closed.jurisdiction)
    assert [q.code for q in version.questions.all()] == ["fixed", "comment"] and version.is_published
    assert fixed.ensure_fixed_survey(closed.jurisdiction) == version


def test_no_email_without_a_requester_email(service, closer, django_capture_on_commit_callbacks):
    service_request = filed_request(service, phone="215-555-0100")
    close(service_request, closer, capture=django_capture_on_commit_callbacks)
    assert surveys_sent(service_request) == []


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.REFERRED])
def test_no_email_for_a_cancelled_or_referred_request(service, closer, django_capture_on_commit_callbacks, status):
    service_request = filed_request(service, email="pat@example.org")
    close(service_request, closer, status=status, capture=django_capture_on_commit_callbacks)
    assert surveys_sent(service_request) == []


def test_no_email_for_a_duplicate(service, closer, django_capture_on_commit_callbacks):
    original = filed_request(service)
    duplicate = filed_request(service, email="pat@example.org")
    close(
        duplicate,
        closer,
        status=Status.DUPLICATE,
        duplicate_of=original,
        reason="",
        capture=django_capture_on_commit_callbacks,
    )
    duplicate.refresh_from_db()
    assert duplicate.status == Status.DUPLICATE and surveys_sent(duplicate) == []


def test_the_email_is_in_the_requesters_language(service, closer, django_capture_on_commit_callbacks):
    service_request = filed_request(service, email="ana@example.org")
    customer = Customer.objects.create(jurisdiction=service.jurisdiction, preferred_language="es")
    requester = service_request.requester
    assert requester is not None
    requester.customer = customer
    requester.save()
    close(service_request, closer, capture=django_capture_on_commit_callbacks)
    [message] = surveys_sent(service_request)
    # The survey's own strings are translated by the lead at the end; a line already translated shows it.
    assert "Vea la solicitud y su historial:" in message.body


# --- answering ------------------------------------------------------------------------------------------


def test_yes_records_a_response_and_changes_nothing(closed, django_capture_on_commit_callbacks):
    history = closed.history.count()
    outbox = OutboundMessage.objects.count()
    response = answer(closed, True, "Thanks!", capture=django_capture_on_commit_callbacks)
    assert response.channel == "email" and response.outcome == Response.Outcome.COMPLETED
    assert response.service_request == closed and response.request_closed_at == CLOSED_AT
    assert response.version.instrument.slug == fixed.SLUG
    assert {a.question.code: a.value for a in response.answers.all()} == {"fixed": True, "comment": "Thanks!"}
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED and closed.history.count() == history
    assert OutboundMessage.objects.count() == outbox


def test_no_reopens_with_the_comment_and_tells_the_department(
    closed, department, closer, django_capture_on_commit_callbacks
):
    response = answer(closed, False, "The mattresses are still there.", capture=django_capture_on_commit_callbacks)
    assert {a.question.code: a.value for a in response.answers.all()} == {
        "fixed": False,
        "comment": "The mattresses are still there.",
    }
    closed.refresh_from_db()
    assert closed.status == Status.REOPENED and closed.closed_at is None
    status = closed.history.filter(kind=HistoryEntry.Kind.STATUS).last()
    assert status.is_public and status.to_status == Status.REOPENED and status.actor_label == "Resident"
    assert "Reopened by the resident" in status.text and "mattresses" not in status.text
    note = closed.history.filter(kind=HistoryEntry.Kind.NOTE).last()
    assert not note.is_public and "The mattresses are still there." in note.text
    told = OutboundMessage.objects.filter(dedup_key__startswith=f"staff:not-fixed:{response.pk}:")
    assert department.contact_email in {message.recipient for message in told}
    [to_department] = [m for m in told if m.recipient == department.contact_email]
    assert closed.tracking_number in to_department.subject and "mattresses are still there" in to_department.body


def test_no_without_a_comment_still_reopens(closed, django_capture_on_commit_callbacks):
    answer(closed, False, "", capture=django_capture_on_commit_callbacks)
    closed.refresh_from_db()
    assert closed.status == Status.REOPENED
    assert "without a comment" in closed.history.filter(kind=HistoryEntry.Kind.NOTE).last().text


def test_a_second_answer_is_refused(closed, django_capture_on_commit_callbacks):
    answer(closed, True, capture=django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as error:
        answer(closed, False, "changed my mind", capture=django_capture_on_commit_callbacks)
    assert "already answered" in str(error.value)
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED and Response.objects.count() == 1


def test_an_expired_link_is_refused(closed, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError):
        answer(
            closed, False, "late", after=dt.timedelta(days=14, seconds=1), capture=django_capture_on_commit_callbacks
        )
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED and not Response.objects.exists()


def test_tampered_and_foreign_tokens_are_refused(closed, service, closer, django_capture_on_commit_callbacks):
    good = link_token(surveys_sent(closed)[0])
    other = close(filed_request(service, email="x@example.org"), closer, capture=django_capture_on_commit_callbacks)
    forged = [
        "",
        "nonsense",
        good[:-1] + ("A" if good[-1] != "A" else "B"),
        signing.dumps({"r": closed.pk, "c": CLOSED_AT.isoformat()}, salt="another.salt", compress=True),
        requests_services.resident_link_token(closed),
        fixed.make_fixed_token(other),
        "x" * 600,
    ]
    for token in forged:
        with pytest.raises(ValidationError):
            answer(closed, False, "x", token=token, capture=django_capture_on_commit_callbacks)
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED and not Answer.objects.exists()


def test_bad_yes_no_value_writes_nothing(closed, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError):
        answer(closed, "perhaps", capture=django_capture_on_commit_callbacks)
    assert not Response.objects.exists()


def test_closing_again_later_sends_a_new_survey_and_the_old_link_is_stale(
    closed, closer, django_capture_on_commit_callbacks
):
    first = link_token(surveys_sent(closed)[0])
    answer(closed, False, "Not fixed", capture=django_capture_on_commit_callbacks)
    closed.refresh_from_db()
    again = CLOSED_AT + dt.timedelta(days=3)
    close(closed, closer, when=again, capture=django_capture_on_commit_callbacks)
    sent = surveys_sent(closed)
    assert len(sent) == 2 and link_token(sent[1]) != first
    # The old link names the old close: refused; the new one is answered once.
    with pytest.raises(ValidationError):
        answer(closed, True, token=first, after=dt.timedelta(days=4), capture=django_capture_on_commit_callbacks)
    response = answer(
        closed, True, token=link_token(sent[1]), after=dt.timedelta(days=4), capture=django_capture_on_commit_callbacks
    )
    assert response.request_closed_at == again and Response.objects.count() == 2


# --- the page -------------------------------------------------------------------------------------------


def test_the_page_shows_the_public_summary_and_a_form(closed, client):
    token = link_token(surveys_sent(closed)[0])
    with time_machine.travel(CLOSED_AT + dt.timedelta(days=1), tick=False):
        page = client.get(f"/surveys/fixed/{token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert closed.tracking_number in html and "Illegal Dumping" in html and "Issue Resolved" in html
    assert 'name="fixed" value="yes"' in html and 'name="fixed" value="no"' in html and 'name="comment"' in html
    assert "pat@example.org" not in html and "Pat" not in html and "Mattresses" not in html
    assert "<script>" not in html and "style=" not in html


def test_answering_no_on_the_page_reopens(closed, client, django_capture_on_commit_callbacks):
    token = link_token(surveys_sent(closed)[0])
    with (
        time_machine.travel(CLOSED_AT + dt.timedelta(days=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        page = client.post(f"/surveys/fixed/{token}/", {"fixed": "no", "comment": "Still there"})
    assert page.status_code == 200 and 'id="fixed-thanks"' in page.content.decode()
    closed.refresh_from_db()
    assert closed.status == Status.REOPENED
    with time_machine.travel(CLOSED_AT + dt.timedelta(days=1), tick=False):
        again = client.post(f"/surveys/fixed/{token}/", {"fixed": "yes"})
        shown = client.get(f"/surveys/fixed/{token}/")
    assert again.status_code == 409 and 'id="fixed-answered"' in again.content.decode()
    assert shown.status_code == 200 and 'id="fixed-answered"' in shown.content.decode()
    assert Response.objects.count() == 1


def test_the_page_refuses_a_missing_answer(closed, client):
    token = link_token(surveys_sent(closed)[0])
    with time_machine.travel(CLOSED_AT + dt.timedelta(days=1), tick=False):
        page = client.post(f"/surveys/fixed/{token}/", {"comment": "hm"})
    assert page.status_code == 400 and "Choose" in page.content.decode() and not Response.objects.exists()


@pytest.mark.parametrize("token", ["nonsense", "a" * 600, "x:y:z"])
def test_a_bad_link_shows_a_clear_page(closed, client, token):
    page = client.get(f"/surveys/fixed/{token}/")
    assert page.status_code == 404 and 'id="fixed-bad-link"' in page.content.decode()
    post = client.post(f"/surveys/fixed/{token}/", {"fixed": "no"})
    assert post.status_code == 404


def test_an_expired_link_shows_a_clear_page(closed, client):
    token = link_token(surveys_sent(closed)[0])
    with time_machine.travel(CLOSED_AT + dt.timedelta(days=15), tick=False):
        page = client.post(f"/surveys/fixed/{token}/", {"fixed": "no"})
    assert page.status_code == 404 and 'id="fixed-bad-link"' in page.content.decode()
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED
