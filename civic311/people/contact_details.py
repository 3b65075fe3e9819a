"""What a valid phone number, e-mail address and postal address are: one rule for the intake of a
request and for the customer records of the CRM.
"""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

US_ZIPCODE = re.compile(r"[0-9]{5}(-[0-9]{4})?")

# The validator allows 320 characters; the e-mail columns hold 254 (the longest address SMTP can deliver to).
EMAIL_MAX_CHARS = 254


ASCII_DIGITS = frozenset("0123456789")


def check_address(address: str, zipcode: str, errors: dict[str, list[str]]) -> tuple[str, str]:
    """An address and ZIP code as the intake takes them; errors keyed "address" and "zipcode"."""
    address = " ".join((address or "").split())
    zipcode = (zipcode or "").strip()
    if len(address) > 300:
        errors["address"] = [_("The address can be at most 300 characters.")]
    if zipcode and not US_ZIPCODE.fullmatch(zipcode):
        errors["zipcode"] = [_("Enter a ZIP code like 19107.")]
    return address, zipcode


# Phone numbers: phonenumbers (Google's libphonenumber) knows each country's numbering plan. A number
# written without "+" and a country code is read as one of `CIVIC311_PHONE_REGION` (default US). Numbers
# are stored in E.164 ("+12156868686"; an extension as ";ext=12" after it), sent to SMS gateways in
# E.164, and shown in the national format ("(215) 686-8686"), or the international one for another
# country's number. Rows from before the change hold numbers as written; they are shown, matched and sent
# to as well as they parse, and as written when they do not.

PHONE_MAX_CHARS = 40


def phone_region() -> str:
    return (getattr(settings, "CIVIC311_PHONE_REGION", "") or "US").upper()


def phone_digits(value: str) -> str:
    """The ASCII digits of a phone number as written ("(215) 686-8686" → "2156868686")."""
    return "".join(ch for ch in (value or "") if ch in ASCII_DIGITS)


def parse_phone(value: str) -> phonenumbers.PhoneNumber | None:
    """The number `value` stands for, if it is a valid one (at most 40 characters as written, and as
    stored: "ext12" is stored as ";ext=12", which could take a long number past the columns' 40), else None."""
    value = (value or "").strip()
    if not value or len(value) > PHONE_MAX_CHARS:
        return None
    try:
        number: phonenumbers.PhoneNumber | None = phonenumbers.parse(value, phone_region())
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        # A number with a word after it ("215-686-8686 (cell)", as the old rules and Open311's free text
        # took it): parse reads the letters as a vanity number's digits. Take the one valid number the
        # text holds; none, or two ("home …, cell …"), is not a number to store.
        found = [match.number for match in phonenumbers.PhoneNumberMatcher(value, phone_region())]
        number = found[0] if len(found) == 1 else None
    if number is None or len(_stored_form(number)) > PHONE_MAX_CHARS:
        return None
    return number


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _stored_form(number: phonenumbers.PhoneNumber) -> str:
    return f"{_e164(number)};ext={number.extension}" if number.extension else _e164(number)


def is_valid_phone(value: str) -> bool:
    """A phone number as the intake takes it: valid in the numbering plan of its country (the default
    region's when it has no "+country code"), at most 40 characters as written."""
    return parse_phone(value) is not None


def phone_e164(value: str) -> str:
    """A valid number as stored: E.164 ("+12156868686"), with ";ext=12" when an extension was given
    (RFC 3966's way, which reads back); "" when it is not a valid number."""
    number = parse_phone(value)
    return "" if number is None else _stored_form(number)


def phone_for_sms(value: str) -> str:
    """The number to give an SMS gateway: E.164 without extension; a stored number that does not parse
    (an old row) as it is, stripped."""
    number = parse_phone(value)
    return (value or "").strip() if number is None else _e164(number)


def format_phone(value: str) -> str:
    """A stored number as people read it: the national format for the default region's numbers
    ("(215) 686-8686"), the international one for others ("+44 20 7946 0958"); as stored if it does not
    parse."""
    number = parse_phone(value)
    if number is None:
        return value or ""
    if phonenumbers.region_code_for_number(number) == phone_region():
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_error(*, optional: bool = False) -> str:
    """The message for a number that is not valid, in the active language, with an example number of the
    default region in its national format."""
    example = phonenumbers.format_number(
        phonenumbers.example_number(phone_region()) or phonenumbers.parse("+12015550123"),
        phonenumbers.PhoneNumberFormat.NATIONAL,
    )
    if optional:
        return _(
            "Enter a phone number such as %(example)s, or one that starts with + and its country code, "
            "or leave it empty."
        ) % {"example": example}
    return _("Enter a phone number such as %(example)s, or one that starts with + and its country code.") % {
        "example": example
    }


def is_valid_email(value: str) -> bool:
    """An e-mail address as the intake takes it: Django's validator, and at most 254 characters."""
    value = (value or "").strip()
    if not value or len(value) > EMAIL_MAX_CHARS:
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


# --- the keys a customer's contact details are matched on ---------------------------------------------


def normalize_phone(value: str) -> str:
    """The key a phone number is matched on: E.164 without extension ("+12156868686") for a valid number,
    whatever way it was written; for one that does not parse (an old row), `legacy_phone_digits`."""
    number = parse_phone(value)
    return legacy_phone_digits(value) if number is None else _e164(number)


def legacy_phone_digits(value: str) -> str:
    """The key numbers were matched on before E.164: digits only, a US number written with its country
    code ("1 215 686 8686") losing the leading 1. Kept for searching by the last digits and for finding
    a customer whose number was stored before."""
    digits = phone_digits(value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()
