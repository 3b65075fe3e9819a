"""The reading panel of an inbox item's page: `{% load inbox_reading %}{% inbox_reading item %}` reads the
item's first message (`inbox.selectors.item_reading`) for the signed-in agent and shows it
(`console/_inbox_reading.html`). A tag rather than the page's view context, so every page that shows an item
(`views.render_item`, with its bound forms) gets the same panel."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from civic311.inbox import selectors
from civic311.inbox.models import InboxItem

register = template.Library()


@register.inclusion_tag("console/_inbox_reading.html", takes_context=True)
def inbox_reading(context: template.Context, item: InboxItem) -> dict[str, Any]:
    user = context["request"].user
    return {"item": item, "read": selectors.item_reading(user, item, language=get_language())}
