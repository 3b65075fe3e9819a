"""Filters for the operations figures: a time to close in words, a share in per cent, a change between
periods."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

from civic311.insights.operations_selectors import describe_hours, describe_percent

register = template.Library()


@register.filter
def time_to_close(hours: float | None) -> str:
    return describe_hours(hours)


@register.filter
def percent(value: float | None) -> str:
    return describe_percent(value)


@register.filter
def change(now: float | None, before: float | None) -> str:
    """The change from `before` to `now` in per cent of `before` ("+12.0 %"), or a dash."""
    if now is None or not before:
        return "—"
    delta = (now - before) / before * 100
    sign = "+" if delta >= 0 else "\N{MINUS SIGN}"
    return f"{sign}{number_format(round(abs(delta), 1), 1, use_l10n=True)} %"
