"""How many wrong passwords and authenticator codes staff sign-in allows, and its audit.

Failures are counted per account and per client address in the shared cache (civic311/rate_limits.py),
never in the session: starting over, a new browser or another web worker does not reset them. Wrong
passwords and wrong codes count together. Once either count reaches its limit, sign-in for that account
(or from that address) is refused for CIVIC311_SIGN_IN_LOCKOUT_MINUTES, even with the right password; every failure,
refusal and sign-in is a SignInEvent row. The account's count starts over when it signs in.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import ngettext

from civic311 import rate_limits

from .models import SignInEvent, User

Outcome = SignInEvent.Outcome


def _rates() -> tuple[rate_limits.Rate, rate_limits.Rate]:
    seconds = settings.CIVIC311_SIGN_IN_LOCKOUT_MINUTES * 60
    return (
        rate_limits.Rate("sign-in-account", settings.CIVIC311_SIGN_IN_FAILURES_PER_ACCOUNT, seconds),
        rate_limits.Rate("sign-in-address", settings.CIVIC311_SIGN_IN_FAILURES_PER_ADDRESS, seconds),
    )


def _account(username: str) -> str:
    # Case and spaces do not make another account to guess at.
    return username.strip().casefold()


def refusal(username: str, address: str) -> rate_limits.Verdict | None:
    """The lock-out in force for this account or address, if any (nothing is counted)."""
    account_rate, address_rate = _rates()
    verdicts = [rate_limits.peek(account_rate, _account(username)), rate_limits.peek(address_rate, address)]
    refused = [verdict for verdict in verdicts if not verdict.allowed]
    return max(refused, key=lambda verdict: verdict.retry_after) if refused else None


def tries_left(username: str, address: str) -> int:
    """How many more failures this account and address may have before sign-in is refused."""
    account_rate, address_rate = _rates()
    return max(
        0,
        min(
            account_rate.limit - rate_limits.peek(account_rate, _account(username)).count,
            address_rate.limit - rate_limits.peek(address_rate, address).count,
        ),
    )


def attempt(username: str, address: str) -> rate_limits.Verdict | None:
    """Count a try against the account and the address *before* its password or code is checked; the
    lock-out in force when it is refused. Counted first, tries sent at the same moment cannot all get past
    a count none of them has added to yet (checked first and counted after, every try in flight at once was
    checked). A try that turns out right is given back (`passed`)."""
    locked = refusal(username, address)
    if locked is not None:
        return locked
    refused = [verdict for rate, key in _keys(username, address) if not (verdict := rate_limits.hit(rate, key)).allowed]
    return refused[0] if refused else None


def passed(username: str, address: str) -> None:
    """The try counted by attempt() was right: it is no failure."""
    for rate, key in _keys(username, address):
        rate_limits.give_back(rate, key)


def record_failure(outcome: SignInEvent.Outcome, username: str, address: str, user: User | None = None) -> bool:
    """A wrong password or code (counted by attempt()); True when that was the last try, and the lock starts."""
    last = False
    for rate, key in _keys(username, address):
        if rate_limits.peek(rate, key).count >= rate.limit:
            rate_limits.lock(rate, key)  # refused for the whole period from the last try
            last = True
    _audit(outcome, username, address, user)
    return last


def _keys(username: str, address: str) -> tuple[tuple[rate_limits.Rate, str], ...]:
    account_rate, address_rate = _rates()
    return (account_rate, _account(username)), (address_rate, address)


def record_refusal(username: str, address: str, user: User | None = None) -> None:
    _audit(Outcome.LOCKED_OUT, username, address, user)


def record_sign_in(user: User, address: str) -> None:
    rate_limits.forget(_rates()[0], _account(user.get_username()))
    _audit(Outcome.SIGNED_IN, user.get_username(), address, user)


def lift(username: str) -> None:
    """End an account's lock-out early (an administrator who has checked it is really them)."""
    rate_limits.forget(_rates()[0], _account(username))


def refusal_message(verdict: rate_limits.Verdict) -> str:
    minutes = verdict.retry_after_minutes
    return ngettext(
        "Too many failed sign-in attempts. For your security, signing in is paused for this account or "
        "connection. Try again in %(minutes)d minute, or ask an administrator for help.",
        "Too many failed sign-in attempts. For your security, signing in is paused for this account or "
        "connection. Try again in %(minutes)d minutes, or ask an administrator for help.",
        minutes,
    ) % {"minutes": minutes}


def _audit(outcome: SignInEvent.Outcome, username: str, address: str, user: User | None) -> None:
    if user is None:
        user = User.objects.filter(username=username).first()
    # A name that is no account is not kept: it is often a password typed into the wrong box.
    SignInEvent.objects.create(
        user=user, username=user.get_username() if user else "", outcome=outcome, client_address=address[:64]
    )
