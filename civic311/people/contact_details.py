"""What a valid phone number, e-mail address and postal address are: one rule for the intake of a
request and for the customer records of the CRM.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .models import Requester

US_ZIPCODE = re.compile(r"[0-9]{5}(-[0-9]{4})?")


ASCII_DIGITS = frozenset("0123456789")


def check_address(address: str, zipcode: str, errors: dict) -> tuple[str, str]:
    """An address and ZIP code as the intake takes them; errors keyed "address" and "zipcode"."""
    address = " ".join((address or "").split())
    zipcode = (zipcode or "").strip()
    if len(address) > 300:
        errors["address"] = [_("The address can be at most 300 characters.")]
    if zipcode and not US_ZIPCODE.fullmatch(zipcode):
        errors["zipcode"] = [_("Enter a ZIP code like 19107.")]
    return address, zipcode


PHONE_MAX_CHARS = 40


def phone_digits(value: str) -> str:
    """The ASCII digits of a phone number as written ("(215) 686-8686" → "2156868686")."""
    return "".join(ch for ch in (value or "") if ch in ASCII_DIGITS)


def is_valid_phone(value: str) -> bool:
    """A phone number as the intake takes it: at most 40 characters holding 7 to 15 digits."""
    value = (value or "").strip()
    return len(value) <= PHONE_MAX_CHARS and 7 <= len(phone_digits(value)) <= 15


def is_valid_email(value: str) -> bool:
    """An e-mail address as the intake takes it: Django's validator, and at most 254 characters."""
    value = (value or "").strip()
    # The validator allows 320 characters; the column holds 254 (the longest address SMTP can deliver to).
    if not value or len(value) > (Requester._meta.get_field("email").max_length or 254):
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
