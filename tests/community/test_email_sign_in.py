"""Signing in without a password: the e-mailed link (people.email_sign_in) and the public pages around it
(public.sign_in_views): short-lived, single use, only a hash stored, rate-limited, no enumeration."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.urls import reverse

from civic311.community.models import Liaison
from civic311.jurisdictions.models import Jurisdiction
from civic311.notifications.models import OutboundMessage
from civic311.people import email_sign_in
from civic311.people.models import EmailSignInLink
from civic311.people.services import set_liaison_neighborhoods
from civic311.privacy import retention
from civic311.service_requests.models import ServiceRequest
from tests.factories import NeighborhoodFactory, ServiceFactory, StaffFactory, filed_request

from .helpers import make_liaison

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


def _link_messages():
    return OutboundMessage.objects.filter(dedup_key__startswith="sign-in-link:")


def _token_from(message: OutboundMessage) -> str:
    line = next(line for line in message.body.splitlines() if "/sign-in/" in line)
    return line.strip().rstrip("/").rsplit("/", 1)[-1]


def _page(response, email: str) -> str:
    """The page without the address asked about and the (per-request) CSRF tokens."""
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", response.content.decode().replace(email, "X"))


def _ask(client, email: str, **extra):
    return client.post(reverse("public:sign_in"), {"email": email}, **extra)


# --- the link ------------------------------------------------------------------------------------------------


def test_only_the_hash_of_the_token_is_stored(db):
    token = email_sign_in.issue_link("pat@example.org")
    link = EmailSignInLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {link.token_hash, link.email}
    assert len(token) >= 43  # 32 random bytes


def test_link_expires_after_the_setting(db, settings):
    settings.CIVIC311_SIGN_IN_LINK_MINUTES = 15
    with time_machine.travel(NOW, tick=False):
        first = email_sign_in.issue_link("pat@example.org")
        second = email_sign_in.issue_link("pat@example.org")
    with time_machine.travel(NOW + dt.timedelta(minutes=15) - SECOND, tick=False):
        assert email_sign_in.redeem(first) is not None
    with time_machine.travel(NOW + dt.timedelta(minutes=15), tick=False):
        assert email_sign_in.find(second) is None
        assert email_sign_in.redeem(second) is None


def test_a_link_is_used_once(db):
    token = email_sign_in.issue_link("pat@example.org")
    link = email_sign_in.redeem(token, now=NOW)
    assert link is not None and link.used_at == NOW and link.email == "pat@example.org"
    assert email_sign_in.redeem(token, now=NOW + SECOND) is None
    assert email_sign_in.find(token, now=NOW + SECOND) is None


def test_two_redeems_of_one_link_succeed_once(db):
    token = email_sign_in.issue_link("pat@example.org")
    results = [email_sign_in.redeem(token, now=NOW), email_sign_in.redeem(token, now=NOW)]
    assert [result is not None for result in results] == [True, False]
    assert EmailSignInLink.objects.filter(used_at__isnull=False).count() == 1


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 500])
def test_unknown_tokens_redeem_nothing(db, token):
    email_sign_in.issue_link("pat@example.org")
    assert email_sign_in.redeem(token) is None
    assert email_sign_in.find(token) is None
    assert not EmailSignInLink.objects.filter(used_at__isnull=False).exists()


def test_the_retention_sweep_deletes_expired_links(db):
    with time_machine.travel(NOW, tick=False):
        email_sign_in.issue_link("pat@example.org")
    later = NOW + email_sign_in.lifetime()
    assert retention.anonymise_expired(now=later)["sign_in_links"] == 0  # expires_at is not yet < now
    assert retention.anonymise_expired(now=later + SECOND)["sign_in_links"] == 1
    assert not EmailSignInLink.objects.exists()


def test_forget_expired_keeps_live_links(db):
    email_sign_in.issue_link("old@example.org", now=NOW - dt.timedelta(hours=1))
    email_sign_in.issue_link("new@example.org", now=NOW)
    assert email_sign_in.forget_expired(NOW) == 1
    assert list(EmailSignInLink.objects.values_list("email", flat=True)) == ["new@example.org"]


# --- asking for a link ---------------------------------------------------------------------------------------


@pytest.fixture
def pats_request(service):
    return filed_request(service, email="Pat@Example.org", first_name="Pat")


def test_a_resident_with_requests_is_sent_a_link(client, pats_request):
    response = _ask(client, "pat@example.org")
    assert response.status_code == 200
    message = _link_messages().get()
    assert message.recipient == "pat@example.org"
    assert message.channel == "email"
    link = EmailSignInLink.objects.get()
    assert link.user is None
    assert link.token_hash == email_sign_in.token_hash(_token_from(message))
    assert "://" in message.body  # an absolute link


def test_unknown_addresses_get_the_same_answer_and_no_e_mail(client, pats_request):
    known = _ask(client, "pat@example.org")
    unknown = _ask(client, "nobody@example.org")
    assert unknown.status_code == known.status_code == 200
    assert _page(unknown, "nobody@example.org") == _page(known, "pat@example.org")
    assert _link_messages().count() == 1
    assert EmailSignInLink.objects.count() == 1


def test_a_bad_address_is_refused(client, pats_request):
    response = _ask(client, "not an address")
    assert response.status_code == 400
    assert not EmailSignInLink.objects.exists()


def test_the_link_is_written_in_the_visitors_language(client, pats_request, monkeypatch):
    from civic311.notifications import services as notifications

    languages = []
    real = notifications.render

    def spy(template, context, language):
        languages.append((template, language))
        return real(template, context, language)

    monkeypatch.setattr(notifications, "render", spy)
    _ask(client, "pat@example.org", HTTP_ACCEPT_LANGUAGE="es")
    assert languages == [("sign_in_link", "es")]


def test_asking_is_limited_per_e_mail_address(client, pats_request, settings):
    settings.CIVIC311_SIGN_IN_LINKS_PER_EMAIL = 2
    assert [_ask(client, "pat@example.org").status_code for _ in range(3)] == [200, 200, 429]
    assert _link_messages().count() == 2
    # Another address from the same client is not held back by this one's limit.
    assert _ask(client, "someone@example.org").status_code == 200


def test_asking_is_limited_per_client_address(client, pats_request, settings):
    settings.CIVIC311_SIGN_IN_LINKS_PER_ADDRESS = 2
    statuses = [_ask(client, f"person{n}@example.org").status_code for n in range(2)]
    refused = _ask(client, "pat@example.org")
    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert "try again" in refused.content.decode()
    assert not _link_messages().exists()
    # Another client is not.
    assert _ask(client, "pat@example.org", REMOTE_ADDR="203.0.113.9").status_code == 200


# --- using a link --------------------------------------------------------------------------------------------


def test_opening_a_link_does_not_use_it_up(client, pats_request):
    token = email_sign_in.issue_link("pat@example.org")
    url = reverse("public:sign_in_link", args=[token])
    for _ in range(2):  # a mail scanner, then the resident
        response = client.get(url)
        assert response.status_code == 200
        assert 'method="post"' in response.content.decode()
    assert not EmailSignInLink.objects.filter(used_at__isnull=False).exists()
    assert client.post(url).status_code == 302


def test_a_used_or_expired_link_offers_a_new_one(client, pats_request):
    token = email_sign_in.issue_link("pat@example.org")
    url = reverse("public:sign_in_link", args=[token])
    client.post(url)
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert reverse("public:sign_in") in response.content.decode()
    expired = email_sign_in.issue_link("pat@example.org", now=NOW - dt.timedelta(days=1))
    assert client.get(reverse("public:sign_in_link", args=[expired])).status_code == 400


def test_a_resident_sees_only_their_requests_in_this_city(client, service, pats_request):
    mine_too = filed_request(service, email="pat@example.org")
    someone_elses = filed_request(service, email="sam@example.org")
    other_city = Jurisdiction.objects.create(
        slug="camden", name="Camden", jurisdiction_id="camden.gov", time_zone="America/New_York",
        min_lat=39.87, max_lat=40.14, min_long=-75.28, max_long=-74.96,
    )  # fmt: skip
    elsewhere = filed_request(ServiceFactory(jurisdiction=other_city), email="pat@example.org")
    token = email_sign_in.issue_link("pat@example.org")
    response = client.post(reverse("public:sign_in_link", args=[token]))
    assert response.status_code == 302 and response["Location"] == reverse("public:my_requests")
    page = client.get(reverse("public:my_requests")).content.decode()
    assert pats_request.tracking_number in page and mine_too.tracking_number in page
    assert page.index(mine_too.tracking_number) < page.index(pats_request.tracking_number)  # newest first
    assert someone_elses.tracking_number not in page
    assert reverse("public:track_request", args=[pats_request.tracking_number]) in page
    assert ServiceRequest.objects.filter(requester__email__iexact="pat@example.org").count() == 3
    assert elsewhere.jurisdiction == other_city
    assert page.count('class="border-bottom py-2"') == 2  # Camden's request is not listed in Philadelphia


def test_my_requests_needs_a_link_and_signing_out_ends_it(client, pats_request):
    assert client.get(reverse("public:my_requests"))["Location"] == reverse("public:sign_in")
    token = email_sign_in.issue_link("pat@example.org")
    client.post(reverse("public:sign_in_link", args=[token]))
    assert client.get(reverse("public:my_requests")).status_code == 200
    assert client.post(reverse("public:sign_out")).status_code == 302
    assert client.get(reverse("public:my_requests"))["Location"] == reverse("public:sign_in")


def test_the_resident_link_starts_a_new_session(client, pats_request):
    client.get(reverse("public:sign_in"))
    client.session.save()
    before = client.session.session_key
    token = email_sign_in.issue_link("pat@example.org")
    client.post(reverse("public:sign_in_link", args=[token]))
    assert client.session.session_key != before


# --- liaisons ---------------------------------------------------------------------------------------------


@pytest.fixture
def liaison(jurisdiction):
    return make_liaison([NeighborhoodFactory(jurisdiction=jurisdiction)], email="lee@example.org")


def test_a_liaison_is_sent_a_link_to_their_account(client, liaison):
    _ask(client, "LEE@example.org")
    link = EmailSignInLink.objects.get()
    assert link.user == liaison.user
    assert "dashboard" in _link_messages().get().body


def test_a_liaisons_link_signs_them_in(client, liaison):
    token = email_sign_in.issue_link("lee@example.org", user=liaison.user)
    response = client.post(reverse("public:sign_in_link", args=[token]))
    assert response["Location"] == reverse("liaison:dashboard")
    assert int(client.session["_auth_user_id"]) == liaison.user.pk
    assert client.get(reverse("liaison:dashboard")).status_code == 200


def test_an_accepted_liaison_not_yet_trained_gets_a_liaison_link(client, jurisdiction):
    accepted = make_liaison([NeighborhoodFactory(jurisdiction=jurisdiction)], status="accepted")
    _ask(client, accepted.email)
    assert EmailSignInLink.objects.get().user == accepted.user


def test_an_accepted_liaisons_link_opens_their_trainings(client, jurisdiction):
    accepted = make_liaison([NeighborhoodFactory(jurisdiction=jurisdiction)], status="accepted")
    token = email_sign_in.issue_link(accepted.email, user=accepted.user)
    response = client.post(reverse("public:sign_in_link", args=[token]))
    assert response["Location"] == reverse("liaison:trainings")
    assert int(client.session["_auth_user_id"]) == accepted.user.pk


def test_a_withdrawn_liaison_gets_no_account_link(client, liaison):
    Liaison.objects.filter(pk=liaison.pk).update(status=Liaison.Status.WITHDRAWN)
    set_liaison_neighborhoods(liaison.user, [])
    _ask(client, "lee@example.org")
    assert not EmailSignInLink.objects.exists()  # no requests either: nothing is sent


def test_a_link_sent_before_withdrawal_signs_nobody_in(client, liaison):
    token = email_sign_in.issue_link("lee@example.org", user=liaison.user)
    Liaison.objects.filter(pk=liaison.pk).update(status=Liaison.Status.WITHDRAWN)
    set_liaison_neighborhoods(liaison.user, [])
    response = client.post(reverse("public:sign_in_link", args=[token]))
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_inactive_account_is_refused(client, liaison):
    token = email_sign_in.issue_link("lee@example.org", user=liaison.user)
    type(liaison.user).objects.filter(pk=liaison.user.pk).update(is_active=False)
    response = client.post(reverse("public:sign_in_link", args=[token]))
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    _ask(client, "lee@example.org")
    assert not EmailSignInLink.objects.filter(user__isnull=False, used_at__isnull=True).exists()


def test_a_staff_account_never_signs_in_by_link(client, jurisdiction, service):
    StaffFactory(username="dana", email="dana@example.org")  # staff: password and second factor only
    filed_request(service, email="dana@example.org")
    _ask(client, "dana@example.org")
    link = EmailSignInLink.objects.get()
    assert link.user is None  # a resident's "my requests" link at most
    client.post(reverse("public:sign_in_link", args=[_token_from(_link_messages().get())]))
    assert "_auth_user_id" not in client.session
