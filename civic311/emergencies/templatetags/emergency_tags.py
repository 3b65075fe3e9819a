from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from civic311.emergencies import selectors

register = template.Library()


@register.inclusion_tag("emergencies/_agent_script.html", takes_context=True)
def emergency_script(context: template.Context) -> dict[str, Any]:
    """The running emergency's script and pinned answers for agents: `{% emergency_script %}` (the console)."""
    request = context.get("request")
    jurisdiction = getattr(request, "jurisdiction", None)
    return {"emergency_notice": selectors.active_notice(jurisdiction, translation.get_language() or "en")}
