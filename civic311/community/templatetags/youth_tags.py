"""Template tags of the youth program's cohort pages."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def cohort_link(name: str, slug: str, number: int | None = None) -> str:
    """The address of another part's page of a cohort (`community:<name>` with the cohort's slug, and a
    session's number if given), or "" while that page does not exist:
    `{% cohort_link "youth_survey" cohort.slug as survey_url %}`."""
    kwargs: dict[str, object] = {"slug": slug}
    if number is not None:
        kwargs["number"] = number
    try:
        return reverse(f"community:{name}", kwargs=kwargs)
    except NoReverseMatch:
        return ""
