"""RFC 6238 time-based one-time passwords (TOTP), in plain Python.

Six digits, 30-second steps, HMAC-SHA-1: what every authenticator app (Google Authenticator, Authy,
FreeOTP, 1Password, ...) makes by default. A code is accepted for the current step and one step either
side (clock drift), compared in constant time, and never twice: the step it was accepted for is recorded
with one conditional UPDATE, so two sign-ins racing with the same code cannot both pass.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

from .models import StaffTOTPDevice

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1  # accept the step before and the step after the current one
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends for HMAC-SHA-1


def new_secret() -> str:
    """A fresh random secret, base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def secret_key(secret: str) -> bytes:
    """The key bytes of a base32 secret (case, spaces and missing padding tolerated)."""
    cleaned = "".join(secret.split()).upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 HOTP: the code for a counter, zero-padded to `digits`."""
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    binary = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % (10**digits)).zfill(digits)


def step_at(at: float | None = None) -> int:
    """The 30-second step a moment (Unix time, default now) falls in."""
    return int((time.time() if at is None else at) // STEP_SECONDS)


def code_at(secret: str, at: float | None = None, digits: int = DIGITS) -> str:
    """The code an authenticator shows at a moment (default now)."""
    return hotp(secret_key(secret), step_at(at), digits)


def normalise_code(code: str) -> str:
    """A code as typed ("123 456", " 123456 ") → "123456"; anything else → ""."""
    cleaned = "".join(str(code or "").split()).replace("-", "")
    return cleaned if len(cleaned) == DIGITS and cleaned.isascii() and cleaned.isdigit() else ""


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The step within the drift window whose code is `code`, or None. Every candidate is compared
    (in constant time), so the time taken does not say which one matched."""
    code = normalise_code(code)
    if not code:
        return None
    key = secret_key(secret)
    now = step_at(at)
    found: int | None = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(hotp(key, step).encode(), code.encode()) and found is None:
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
    """The otpauth:// URI an authenticator app reads (as a QR code or pasted), Key URI Format."""
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS},
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it by hand: "ABCD EFGH ..."."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
