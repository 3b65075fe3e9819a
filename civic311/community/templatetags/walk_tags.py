"""The field walk's block on a cohort session's page (`community/youth/walk_session_block.html`): the walk's
state, its link and QR code, and the open and close buttons."""

from __future__ import annotations

from typing import Any

import segno
from django import template
from django.urls import reverse
from django.utils import timezone

from civic311.jurisdictions.selectors import public_site_url

from ..models import CohortSession
from ..selectors import field_walks as walks
from ..services import field_walks
from ..walk_forms import WalkOpenForm

register = template.Library()


def walk_link(session: CohortSession, request: Any = None) -> str:
    """The walk's public link as participants type or scan it."""
    path = reverse("community:youth_walk", args=[session.walk_token])
    base = public_site_url(session.cohort.jurisdiction)
    if base:
        return base + path
    return str(request.build_absolute_uri(path)) if request is not None else path


@register.inclusion_tag("community/youth/_walk_block.html", takes_context=True)
def walk_block(context: template.Context, session: CohortSession) -> dict[str, Any]:
    now = timezone.now()
    state = walks.walk_state(session, now=now)
    link = walk_link(session, context.get("request")) if state == "open" else ""
    default = session.walk_closes_at if state == "open" and session.walk_closes_at else None
    return {
        "session": session,
        "state": state,
        "may_open": field_walks.may_open(session, now=now),
        "open_days": field_walks.LATEST_CLOSE_AFTER_END.days,
        "link": link,
        # A data: URI (the CSP allows data: images), as the staff's authenticator page shows its QR code.
        "qr": segno.make(link, error="m").svg_data_uri(scale=6, border=4) if link else "",
        "form": WalkOpenForm(default=default or field_walks.default_closes_at(session, now=now)),
        "filed": session.walk_reports.count(),
        "csrf_token": context.get("csrf_token"),
    }
