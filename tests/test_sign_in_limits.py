"""Staff sign-in failures are limited per account and per client address, outside the session (so that
starting over does not reset them), refused for a while with a clear message, and audited."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from civic311.people import second_factor, totp
from civic311.people.models import SignInEvent

from .factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db
Outcome = SignInEvent.Outcome
LOCKED = "Too many failed sign-in attempts"


def password_step(client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}, **extra)


def code_step(client, code: str):
    return client.post(reverse("admin_sign_in_code"), {"code": code})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def enrolled(user) -> str:
    _device, secret = second_factor.start_enrolment(user)
    second_factor.confirm_enrolment(user, totp.code_at(secret, time.time() - 30))
    return secret


def outcomes(user=None) -> list[str]:
    events = SignInEvent.objects.order_by("pk")
    if user is not None:
        events = events.filter(user=user)
    return list(events.values_list("outcome", flat=True))


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, staff):
    for _ in range(5):
        response = password_step(client, staff.username, "wrong password")
        assert response.status_code == 200 and LOCKED not in response.content.decode()
    refused = password_step(client, staff.username)
    assert refused.status_code == 200 and not signed_in(client)
    assert LOCKED in refused.content.decode() and "Try again in 15 minutes" in refused.content.decode()
    assert outcomes(staff) == [Outcome.WRONG_PASSWORD] * 5 + [Outcome.LOCKED_OUT]
    event = SignInEvent.objects.filter(user=staff).first()
    assert event is not None
    assert event.username == staff.username and event.client_address == "127.0.0.1"


def test_the_lock_is_per_account_not_per_browser(client, staff):
    for _ in range(5):
        password_step(client, staff.username, "wrong password")
    client.cookies.clear()  # a fresh session, as a new browser would have
    assert LOCKED in password_step(client, staff.username.upper()).content.decode()  # nor another spelling


def test_the_lock_ends_with_its_window(client, staff):
    for _ in range(5):
        password_step(client, staff.username, "wrong password")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)):
        response = password_step(client, staff.username)
        assert response.status_code == 302 and signed_in(client)
    assert outcomes(staff)[-1] == Outcome.SIGNED_IN


def test_wrong_codes_are_not_reset_by_entering_the_password_again(client, staff):
    secret = enrolled(staff)
    wrong = "000000" if totp.code_at(secret, time.time() + 30) != "000000" else "111111"
    assert password_step(client, staff.username).url == reverse("admin_sign_in_code")
    for _ in range(4):
        assert code_step(client, wrong).status_code == 400
    # Starting over at the password (the old way round the five-tries limit) keeps the count.
    assert password_step(client, staff.username).url == reverse("admin_sign_in_code")
    page = client.get(reverse("admin_sign_in_code")).content.decode()
    assert "You have 1 try left before signing in is paused" in page
    last = code_step(client, wrong)
    assert last.status_code == 302 and last.url == reverse("admin:login")
    assert LOCKED in client.get(last.url).content.decode()
    # Now even the right password and the right code are refused for a while.
    assert LOCKED in password_step(client, staff.username).content.decode()
    assert code_step(client, totp.code_at(secret, time.time() + 30)).url == reverse("admin:login")
    assert not signed_in(client)
    assert outcomes(staff) == [Outcome.WRONG_CODE] * 5 + [Outcome.LOCKED_OUT]


def test_one_address_guessing_many_accounts_is_refused(client, settings, db):
    settings.CIVIC311_SIGN_IN_FAILURES_PER_ADDRESS = 3
    behind_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.9"}
    for name in ("amy", "bob", "cal"):
        password_step(client, name, "guess", **behind_proxy)
    victim = StaffFactory(username="dee")
    assert LOCKED in password_step(client, victim.username, **behind_proxy).content.decode()
    # The same account from another address is fine: the address was locked, not the account.
    response = password_step(client, victim.username, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert response.status_code == 302 and signed_in(client)


def test_names_that_are_no_account_are_not_kept(client, db):
    password_step(client, "my-secret-passphrase", "oops")
    event = SignInEvent.objects.get()
    assert (event.user, event.username, event.outcome) == (None, "", Outcome.WRONG_PASSWORD)


def test_signing_in_is_audited_and_starts_the_accounts_count_over(client, staff):
    for _ in range(4):
        password_step(client, staff.username, "wrong password")
    assert password_step(client, staff.username).status_code == 302
    client.logout()
    for _ in range(4):  # four more: had the count not started over, the fifth would have locked it
        password_step(client, staff.username, "wrong password")
    assert password_step(client, staff.username).status_code == 302
    assert outcomes(staff).count(Outcome.SIGNED_IN) == 2


def test_an_administrator_can_lift_a_lock_out(client, staff):
    from civic311.people import sign_in

    for _ in range(5):
        password_step(client, staff.username, "wrong password")
    assert LOCKED in password_step(client, staff.username).content.decode()
    sign_in.lift(staff.username)
    assert password_step(client, staff.username).status_code == 302


def test_wrong_passwords_sent_all_at_once_are_not_all_checked(client, staff, monkeypatch):
    # Tries in flight at the same moment: each one's password is being checked when the next one arrives.
    # Checked first and counted after, all ten passed the check before any was counted: ten guesses, not five.
    from django.contrib.auth import authenticate as real_authenticate  # what the sign-in form calls
    from django.contrib.auth import forms as auth_forms

    checked: list[str] = []

    def authenticate_while_others_arrive(request=None, **credentials):
        checked.append(credentials["username"])
        if len(checked) < 10:
            password_step(Client(), staff.username, f"guess {len(checked)}")
        return real_authenticate(request, **credentials)

    monkeypatch.setattr(auth_forms, "authenticate", authenticate_while_others_arrive)
    password_step(client, staff.username, "guess 0")
    assert len(checked) == 5
    monkeypatch.undo()
    assert LOCKED in password_step(client, staff.username).content.decode()


def test_a_right_password_is_not_counted_as_a_try(client, settings, staff, db):
    # Counted before the check, a right password is given back: an office of many staff behind one address
    # signing in is no run of failures, and neither is the password step before a right code.
    settings.CIVIC311_SIGN_IN_FAILURES_PER_ADDRESS = 3
    colleagues = [StaffFactory(username=f"clerk{n}") for n in range(4)]
    for colleague in colleagues:
        assert password_step(Client(), colleague.username).status_code == 302
    secret = enrolled(staff)
    for _ in range(4):
        assert password_step(client, staff.username).url == reverse("admin_sign_in_code")
    assert code_step(client, totp.code_at(secret, time.time() + 30)).status_code == 302 and signed_in(client)
