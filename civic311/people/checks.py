"""System checks of the people app (`manage.py check`; migrate and runserver run them first)."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.core.checks import Error

from .contact_details import phone_region


def phone_region_is_known(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A mistyped CIVIC311_PHONE_REGION ("UK" for "GB") would refuse every number written without "+"."""
    region = phone_region()
    if region in phonenumbers.SUPPORTED_REGIONS:
        return []
    return [
        Error(
            f"CIVIC311_PHONE_REGION is {region!r}, which is not a region phone numbers are known for.",
            hint="Use the country's ISO 3166 code, e.g. US, CA, GB (not UK), MX.",
            id="civic311.people.E001",
        )
    ]
