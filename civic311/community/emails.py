"""The program's e-mails to applicants and liaisons, rendered in their language from
templates/community/email/<name>_subject.txt and _body.txt (the notifications app's layout)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.selectors import public_site_url


def site_language(code: str) -> str:
    """`code` if the site is translated into it, else the site's language."""
    return code if code in {known for known, _name in settings.LANGUAGES} else settings.LANGUAGE_CODE


def render(name: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    """(subject, body) of the e-mail `name` in `language` (the site's language when it has no translation)."""
    with translation.override(site_language(language)):
        subject = " ".join(render_to_string(f"community/email/{name}_subject.txt", context).split())
        body = render_to_string(f"community/email/{name}_body.txt", context).strip() + "\n"
    return subject, body


def link(jurisdiction: Jurisdiction, path: str) -> str:
    """An absolute address of one of the site's pages, for an e-mail."""
    return (public_site_url(jurisdiction) or settings.NOTIFICATIONS_FALLBACK_URL.rstrip("/")) + path
