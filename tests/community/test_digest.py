"""The liaisons' weekly digest (community.services.digests): figures checked by hand, one a week per liaison
(dedup per ISO week), from Monday 07:00 city time, in the liaison's language; opted-out and lapsed skipped."""

from __future__ import annotations

import datetime as dt

import pytest

from civic311.community.models import Liaison, LiaisonFiling
from civic311.community.services import digests
from civic311.notifications import services as notifications
from civic311.notifications.models import OutboundMessage
from civic311.service_requests.models import ServiceRequest
from tests.factories import NeighborhoodFactory, box, filed_request

from .helpers import make_liaison

UTC = dt.UTC
# Monday 16 February 2026; Philadelphia is on EST (UTC-5). The week summarised: Monday 9 February 00:00 EST
# (05:00 UTC) to Monday 16 February 00:00 EST; the digest is due from Monday 16 February 07:00 EST.
WEEK_START = dt.datetime(2026, 2, 9, 5, 0, tzinfo=UTC)
WEEK_END = dt.datetime(2026, 2, 16, 5, 0, tzinfo=UTC)
DUE_FROM = dt.datetime(2026, 2, 16, 12, 0, tzinfo=UTC)
SEND_AT = DUE_FROM + dt.timedelta(minutes=30)
MONDAY = dt.date(2026, 2, 16)


@pytest.fixture
def places(jurisdiction):
    return NeighborhoodFactory(jurisdiction=jurisdiction, name="Fishtown"), NeighborhoodFactory(
        jurisdiction=jurisdiction, name="Kensington", boundary=box(-75.10, 39.97, -75.06, 40.00)
    )


@pytest.fixture
def liaison(places):
    return make_liaison([places[0]])


def _request(service, neighborhood, *, requested_at, status="new", closed_at=None, expected_at=None, **fields):
    service_request = filed_request(service, **fields)
    ServiceRequest.objects.filter(pk=service_request.pk).update(
        neighborhood=neighborhood,
        requested_at=requested_at,
        updated_at=closed_at or requested_at,
        status=status,
        closed_at=closed_at,
        expected_at=expected_at,
    )
    return ServiceRequest.objects.get(pk=service_request.pk)


def _digests():
    return OutboundMessage.objects.filter(dedup_key__startswith="liaison-digest:")


def _week(jurisdiction, now=SEND_AT):
    return digests.digest_week(jurisdiction, now)


def test_the_week_starts_on_monday_at_seven_city_time(jurisdiction):
    week = _week(jurisdiction, DUE_FROM)
    assert (week.monday, week.start, week.end, week.key) == (MONDAY, WEEK_START, WEEK_END, "2026-W08")
    before = _week(jurisdiction, DUE_FROM - dt.timedelta(seconds=1))
    assert before.monday == MONDAY - dt.timedelta(days=7)


def test_figures_checked_by_hand(liaison, places, service):
    fishtown, kensington = places
    day = dt.timedelta(days=1)
    # New in the week: a (open) and b (filed Sunday 23:00 EST, closed after the week ended).
    a = _request(service, fishtown, requested_at=WEEK_START + day)
    _request(
        service, fishtown, requested_at=WEEK_END - dt.timedelta(hours=1), status="closed",
        closed_at=WEEK_END + dt.timedelta(hours=1),
    )  # fmt: skip
    # Closed in the week: c, filed before it.
    _request(service, fishtown, requested_at=WEEK_START - 8 * day, status="closed", closed_at=WEEK_START + 3 * day)
    # Open and overdue: d, filed before the week.
    d = _request(service, fishtown, requested_at=WEEK_START - 8 * day, expected_at=WEEK_START - 4 * day)
    # Filed after the week ended: open now, not new in the week.
    _request(service, fishtown, requested_at=WEEK_END + dt.timedelta(minutes=30))
    # Not counted: private, another neighborhood.
    _request(service, fishtown, requested_at=WEEK_START + day, is_private=True)
    _request(service, kensington, requested_at=WEEK_START + day)
    # The liaison's own filings (in Kensington, so they do not change Fishtown's figures).
    changed = _request(service, kensington, requested_at=WEEK_START - 8 * day)
    ServiceRequest.objects.filter(pk=changed.pk).update(status="in_progress", updated_at=WEEK_START + 2 * day)
    quiet = _request(service, kensington, requested_at=WEEK_START - 8 * day)
    fresh = _request(service, kensington, requested_at=WEEK_START + 2 * day)
    LiaisonFiling.objects.create(service_request=changed, liaison=liaison, filed_at=changed.requested_at)
    LiaisonFiling.objects.create(service_request=quiet, liaison=liaison, filed_at=quiet.requested_at)
    LiaisonFiling.objects.create(service_request=fresh, liaison=liaison, filed_at=fresh.requested_at)

    digest = digests.digest_for(liaison, WEEK_START, WEEK_END)
    [week] = digest.neighborhoods
    assert (week.neighborhood, week.new, week.closed, week.open, week.overdue) == (fishtown, 2, 1, 3, 1)
    assert [row.tracking_number for row in digest.changed_filings] == [changed.tracking_number]
    assert digest.filed_this_week == 1

    assert digests.send_due_digests(now=SEND_AT) == 1
    message = _digests().get()
    assert message.recipient == "lee@example.org"
    assert message.dedup_key == f"liaison-digest:{liaison.pk}:2026-W08"
    for line in ("- 2 new requests", "- 1 request closed", "- 3 open now", "- 1 overdue", "You filed 1 request"):
        assert line in message.body
    assert changed.tracking_number in message.body and quiet.tracking_number not in message.body
    assert "/liaison/" in message.body and "://" in message.body
    assert a.tracking_number not in message.body and d.tracking_number not in message.body  # figures, not lists
    for detail in ("Pat", "pat@example.org"):  # the requesters' (RequesterFactory-like) details never appear
        assert detail not in message.body


def test_one_digest_a_week(liaison):
    assert digests.send_due_digests(now=SEND_AT) == 1
    assert digests.send_due_digests(now=SEND_AT + dt.timedelta(hours=1)) == 0
    assert digests.send_due_digests(now=SEND_AT + dt.timedelta(days=6)) == 0
    liaison.refresh_from_db()
    assert liaison.last_digest_on == MONDAY
    assert digests.send_due_digests(now=SEND_AT + dt.timedelta(days=7)) == 1
    assert sorted(_digests().values_list("dedup_key", flat=True)) == [
        f"liaison-digest:{liaison.pk}:2026-W08",
        f"liaison-digest:{liaison.pk}:2026-W09",
    ]


def test_the_outbox_dedup_holds_even_if_the_date_is_lost(liaison):
    digests.send_due_digests(now=SEND_AT)
    Liaison.objects.filter(pk=liaison.pk).update(last_digest_on=None)
    assert digests.send_due_digests(now=SEND_AT + dt.timedelta(hours=1)) == 0
    assert _digests().count() == 1


def test_not_before_monday_seven_city_time(liaison):
    Liaison.objects.filter(pk=liaison.pk).update(last_digest_on=MONDAY - dt.timedelta(days=7))
    assert digests.send_due_digests(now=DUE_FROM - dt.timedelta(minutes=1)) == 0
    assert digests.send_due_digests(now=DUE_FROM) == 1


def test_a_missed_monday_is_made_up(liaison):
    Liaison.objects.filter(pk=liaison.pk).update(last_digest_on=MONDAY - dt.timedelta(days=7))
    assert digests.send_due_digests(now=SEND_AT + dt.timedelta(days=1)) == 1
    assert _digests().get().dedup_key.endswith("2026-W08")


@pytest.mark.parametrize(("language", "rendered_in"), [("es", "es"), ("", "en"), ("xx", "en")])
def test_written_in_the_liaisons_language(places, monkeypatch, language, rendered_in):
    make_liaison([places[0]], language=language)
    languages = []
    real = notifications.render

    def spy(template, context, language):
        languages.append((template, language))
        return real(template, context, language)

    monkeypatch.setattr(notifications, "render", spy)
    digests.send_due_digests(now=SEND_AT)
    assert languages == [("liaison_digest", rendered_in)]


def test_opted_out_liaisons_are_skipped(places):
    make_liaison([places[0]], weekly_digest=False)
    assert digests.send_due_digests(now=SEND_AT) == 0


@pytest.mark.parametrize("status", ["lapsed", "withdrawn", "accepted"])
def test_only_active_liaisons_get_it(places, status):
    liaison = make_liaison([places[0]], status=status)
    assert digests.send_due_digests(now=SEND_AT) == 0
    liaison.refresh_from_db()
    assert liaison.last_digest_on is None


def test_a_closed_account_gets_none(liaison):
    type(liaison.user).objects.filter(pk=liaison.user.pk).update(is_active=False)
    assert digests.send_due_digests(now=SEND_AT) == 0


def test_a_liaison_serving_no_neighborhood_gets_none(places):
    from civic311.people.services import set_liaison_neighborhoods

    liaison = make_liaison([places[0]])
    set_liaison_neighborhoods(liaison.user, [])
    assert digests.send_due_digests(now=SEND_AT) == 0


def test_several_neighborhoods_each_summarised(places):
    make_liaison(list(places))
    digests.send_due_digests(now=SEND_AT)
    body = _digests().get().body
    assert "Fishtown" in body and "Kensington" in body
