"""The social outbox: a post queued once, delivered through the job queue by the file backend, retried
with backoff, never taken by two workers, and the networks' length limits."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from civic311.social import providers, services, tasks
from civic311.social.models import OutboundPost

pytestmark = pytest.mark.django_db

State = OutboundPost.State


@pytest.fixture
def outbox_file(settings, tmp_path):
    settings.CIVIC311_SOCIAL_BACKEND = "civic311.social.providers.FileSocialBackend"
    settings.CIVIC311_SOCIAL_FILE = str(tmp_path / "social-outbox.jsonl")
    settings.CIVIC311_SOCIAL_ACCOUNTS = {"x": "@philly311", "facebook": "Philly311"}
    return tmp_path / "social-outbox.jsonl"


class FlakyBackend:
    """A network that is down for the first `failures` posts (a class attribute the test sets)."""

    failures = 1
    error: type[Exception] = providers.Transient
    posted: list[str] = []

    def post(self, network, account, text, reference):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise FlakyBackend.error("HTTP 503")
        FlakyBackend.posted.append(reference)
        return f"flaky-{reference}"


@pytest.fixture
def flaky(settings):
    settings.CIVIC311_SOCIAL_BACKEND = "tests.test_social.FlakyBackend"
    settings.CIVIC311_SOCIAL_ACCOUNTS = {"x": "@philly311"}
    FlakyBackend.failures, FlakyBackend.error, FlakyBackend.posted = 1, providers.Transient, []
    return FlakyBackend


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_a_post_is_delivered_through_the_job_queue_by_the_file_backend(
    jurisdiction, outbox_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = services.queue_post(jurisdiction, "x", "Snow emergency: move your car. ¡Muévalo!", dedup_key="e1:x")
        assert post is not None
    post.refresh_from_db()
    assert post.state == State.SENT and post.attempts == 1 and post.sent_at and post.provider_id.startswith("file-")
    [line] = _lines(outbox_file)
    assert line == {
        "id": post.provider_id,
        "network": "x",
        "account": "@philly311",
        "text": "Snow emergency: move your car. ¡Muévalo!",
        "reference": post.reference,
    }
    assert services.deliver(post.pk) == "not due"  # sent: never again
    assert len(_lines(outbox_file)) == 1


def test_the_same_event_is_queued_once(jurisdiction, outbox_file):
    first = services.queue_post(jurisdiction, "x", "One", dedup_key="emergency:1:social:x")
    assert first is not None
    assert services.queue_post(jurisdiction, "x", "One again", dedup_key="emergency:1:social:x") is None
    assert OutboundPost.objects.get().pk == first.pk


@pytest.mark.parametrize(
    ("network", "length", "accepted"),
    [
        ("x", 280, True),
        ("x", 281, False),
        ("facebook", 281, True),
        ("bluesky", 300, True),
        ("bluesky", 301, False),
    ],
)
def test_length_limits(jurisdiction, outbox_file, network, length, accepted):
    if accepted:
        queued = services.queue_post(jurisdiction, network, "a" * length, dedup_key="k")
        assert queued is not None
        assert queued.text == "a" * length
    else:
        with pytest.raises(ValidationError) as refused:
            services.queue_post(jurisdiction, network, "a" * length, dedup_key="k")
        assert "text" in refused.value.message_dict
        assert not OutboundPost.objects.exists()


@pytest.mark.parametrize(("network", "text"), [("myspace", "hello"), ("x", ""), ("x", "   ")])
def test_unknown_networks_and_empty_posts_are_refused(jurisdiction, outbox_file, network, text):
    with pytest.raises(ValidationError):
        services.queue_post(jurisdiction, network, text, dedup_key="k")
    assert not OutboundPost.objects.exists()


def test_a_failure_is_retried_with_backoff(jurisdiction, flaky):
    post = services.queue_post(jurisdiction, "x", "Snow emergency", dedup_key="k")
    assert post is not None
    now = timezone.now()
    assert services.deliver(post.pk, now=now) == "retry"
    post.refresh_from_db()
    assert post.state == State.QUEUED and post.attempts == 1 and post.last_error == "HTTP 503"
    assert post.next_attempt_at is not None
    assert now + dt.timedelta(seconds=47) <= post.next_attempt_at <= now + dt.timedelta(seconds=73)
    assert services.deliver(post.pk, now=now + dt.timedelta(seconds=10)) == "not due"
    assert services.sweep_due(now=now + dt.timedelta(seconds=10)) == 0
    later = post.next_attempt_at
    assert services.sweep_due(now=later) == 1
    assert services.deliver(post.pk, now=later) == "sent"
    post.refresh_from_db()
    assert post.state == State.SENT and post.attempts == 2 and flaky.posted == [post.reference]
    assert post.last_error == "" and post.provider_id == f"flaky-{post.reference}"


def test_the_wait_doubles_and_it_gives_up_after_the_last_attempt(jurisdiction, flaky, settings):
    settings.CIVIC311_SOCIAL_MAX_ATTEMPTS = 3
    flaky.failures = 10
    post = services.queue_post(jurisdiction, "x", "Snow emergency", dedup_key="k")
    assert post is not None
    now, waits = timezone.now(), []
    for expected in ["retry", "retry", "failed"]:
        assert services.deliver(post.pk, now=now) == expected
        post.refresh_from_db()
        if post.next_attempt_at:
            waits.append(post.next_attempt_at - now)
            now = post.next_attempt_at
    assert post.state == State.FAILED and post.attempts == 3 and post.next_attempt_at is None
    assert waits[1] > waits[0]
    assert services.deliver(post.pk, now=now + dt.timedelta(days=1)) == "not due"
    # Staff try it again from the admin: the schedule starts over.
    flaky.failures = 0
    assert services.retry_now(post)
    assert services.deliver(post.pk) == "sent"


def test_a_permanent_failure_is_not_retried(jurisdiction, flaky):
    flaky.error = providers.Permanent
    post = services.queue_post(jurisdiction, "x", "Snow emergency", dedup_key="k")
    assert post is not None
    assert services.deliver(post.pk) == "failed"
    post.refresh_from_db()
    assert post.state == State.FAILED and post.attempts == 1


def test_two_workers_never_post_the_same_row(jurisdiction, flaky):
    flaky.failures = 0
    post = services.queue_post(jurisdiction, "x", "Snow emergency", dedup_key="k")
    assert post is not None
    now = timezone.now()
    # Another worker holds the claim (it is posting right now): this one leaves the row alone.
    OutboundPost.objects.filter(pk=post.pk).update(claimed_until=now + dt.timedelta(minutes=5), attempts=1)
    assert services.deliver(post.pk, now=now) == "not due"
    assert services.sweep_due(now=now) == 0
    # That worker died: once its claim has expired the row is taken again and posted once.
    assert services.sweep_due(now=now + dt.timedelta(minutes=6)) == 1
    assert services.deliver(post.pk, now=now + dt.timedelta(minutes=6)) == "sent"
    assert services.deliver(post.pk, now=now + dt.timedelta(minutes=12)) == "not due"
    assert flaky.posted == [post.reference]


def test_the_periodic_sweep_delivers_what_is_due(jurisdiction, outbox_file, django_capture_on_commit_callbacks):
    post = services.queue_post(jurisdiction, "facebook", "Cooling centers open", dedup_key="k")  # job lost
    assert post is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_social_outbox.call_local() == 1
    post.refresh_from_db()
    assert post.state == State.SENT and [line["network"] for line in _lines(outbox_file)] == ["facebook"]


def test_the_accounts_setting(settings):
    settings.CIVIC311_SOCIAL_ACCOUNTS = "x=@philly311, facebook=Philly311,myspace=old"
    assert services.accounts() == {"x": "@philly311", "facebook": "Philly311"}
    settings.CIVIC311_SOCIAL_ACCOUNTS = ""
    assert services.accounts() == {}
    del settings.CIVIC311_SOCIAL_ACCOUNTS
    assert set(services.accounts()) == {"x", "facebook", "nextdoor"}  # the demo's


def test_the_console_backend_prints(capsys):
    assert providers.ConsoleSocialBackend().post("x", "@philly311", "Hello", "ref1") == "console-ref1"
    assert "Hello" in capsys.readouterr().out
    assert providers.ConsoleSocialBackend().post("x", "@philly311", "Hi", "ref2", in_reply_to="x:123") == "console-ref2"
    assert "in reply to x:123" in capsys.readouterr().out


def test_a_reply_is_delivered_with_the_post_it_answers(jurisdiction, outbox_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post = services.queue_post(jurisdiction, "x", "Thanks, fixed.", dedup_key="r1", in_reply_to="x:12345")
    assert post is not None
    post.refresh_from_db()
    assert post.in_reply_to == "x:12345" and post.state == State.SENT
    [line] = _lines(outbox_file)
    assert line["in_reply_to"] == "x:12345" and line["text"] == "Thanks, fixed."


def test_a_backend_that_never_answers_posts_still_sends_posts_of_our_own(jurisdiction, flaky):
    flaky.failures = 0
    post = services.queue_post(jurisdiction, "x", "Snow emergency", dedup_key="k")
    assert post is not None
    assert services.deliver(post.pk) == "sent" and flaky.posted == [post.reference]
