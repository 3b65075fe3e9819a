from django import template

from civic311.console.selectors import format_duration

register = template.Library()


@register.filter
def duration(seconds: int | None) -> str:
    """Seconds as "m:ss" (or "h:mm:ss"): `{{ contact.handle_seconds|duration }}`."""
    return format_duration(seconds)
