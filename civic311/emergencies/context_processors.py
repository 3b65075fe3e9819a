from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from . import selectors


def emergency(request: HttpRequest) -> dict[str, Any]:
    """`emergency`: the jurisdiction's running emergency in the visitor's language (an EmergencyNotice), or
    None. Lazy: a page that never shows it (the admin, the API) never reads it."""
    jurisdiction = getattr(request, "jurisdiction", None)
    if jurisdiction is None:
        return {"emergency": None}
    return {
        "emergency": SimpleLazyObject(lambda: selectors.active_notice(jurisdiction, translation.get_language() or "en"))
    }
