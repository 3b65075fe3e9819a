"""Time-based one-time passwords (RFC 6238) for the staff second factor, computed by pyotp.

Six digits, 30-second steps, HMAC-SHA-1: what every authenticator app (Google Authenticator, Authy,
FreeOTP, 1Password, ...) makes by default. pyotp computes the codes (RFC 4226 HOTP over RFC 6238 time
steps) and makes the secrets; this module keeps what pyotp leaves to its caller: a code is accepted for
the current step and one step either side (clock drift), every candidate is compared in constant time,
and a code is never accepted twice: the step it was accepted for is recorded with one conditional UPDATE,
so two sign-ins racing with the same code cannot both pass.

Why pyotp and not django-otp: django-otp brings its own device models, admin and sign-in flow; we have
ours (`StaffTOTPDevice`, `second_factor`, the sign-in code step) and only need the algorithm.
"""

from __future__ import annotations

import base64
import hmac
import time
from urllib.parse import quote, urlencode

import pyotp

from .models import StaffTOTPDevice

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1  # accept the step before and the step after the current one
SECRET_CHARS = 32  # base32 characters: 160 bits, as RFC 4226 recommends for HMAC-SHA-1


def new_secret() -> str:
    """A fresh random secret, base32 without padding (32 characters, 160 bits)."""
    return pyotp.random_base32(SECRET_CHARS)


def _clean(secret: str) -> str:
    """A base32 secret as pyotp takes it: no spaces, upper case (as typed or grouped: "abcd efgh" works)."""
    return "".join(secret.split()).upper()


def _otp(secret: str, digits: int = DIGITS) -> pyotp.TOTP:
    return pyotp.TOTP(_clean(secret), digits=digits, interval=STEP_SECONDS)


def secret_key(secret: str) -> bytes:
    """The key bytes of a base32 secret (case, spaces and missing padding tolerated)."""
    return _otp(secret).byte_secret()


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 HOTP: the code for a counter, zero-padded to `digits`."""
    return pyotp.HOTP(base64.b32encode(key).decode("ascii"), digits=digits).at(counter)


def step_at(at: float | None = None) -> int:
    """The 30-second step a moment (Unix time, default now) falls in."""
    return int((time.time() if at is None else at) // STEP_SECONDS)


def code_at(secret: str, at: float | None = None, digits: int = DIGITS) -> str:
    """The code an authenticator shows at a moment (default now)."""
    return _otp(secret, digits).generate_otp(step_at(at))


def normalise_code(code: str) -> str:
    """A code as typed ("123 456", " 123456 ") → "123456"; anything else → "".

    ASCII digits only: pyotp's own comparison NFKC-normalises, which would take full-width digits."""
    cleaned = "".join(str(code or "").split()).replace("-", "")
    return cleaned if len(cleaned) == DIGITS and cleaned.isascii() and cleaned.isdigit() else ""


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The step within the drift window whose code is `code`, or None. Every candidate is compared
    (in constant time), so the time taken does not say which one matched. (pyotp's `verify` says
    only yes or no, and stops at the first match; the replay check needs the step.)"""
    code = normalise_code(code)
    if not code:
        return None
    otp = _otp(secret)
    now = step_at(at)
    found: int | None = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(otp.generate_otp(step).encode(), code.encode()) and found is None:
            found = step
    return found


def verify_and_use(device: StaffTOTPDevice, code: str, at: float | None = None) -> bool:
    """Accept `code` for `device` once: true only if it matches a step later than the last one accepted,
    and this call is the one that recorded that step (an atomic conditional UPDATE)."""
    step = matching_step(device.secret, code, at)
    if step is None:
        return False
    claimed = StaffTOTPDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step)
    if claimed:
        device.last_used_step = step
    return bool(claimed)


def issuer_name(jurisdiction_name: str | None = None) -> str:
    return f"civic311 {jurisdiction_name}" if jurisdiction_name else "civic311"


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or pasted), Key URI Format.

    Not pyotp's `provisioning_uri`: that one leaves out the algorithm, digits and period when they are
    the defaults; we name them, as this URI always has, so no app has to assume them. pyotp's
    `parse_uri` reads it back to the same parameters (tested)."""
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS},
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it by hand: "ABCD EFGH ..."."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
