"""Template filters of the satisfaction reports."""

from __future__ import annotations

from django import template

from civic311.surveys.reports import ColumnGroup, column_groups

register = template.Library()


@register.filter(name="column_groups")
def column_groups_filter(questions: list[tuple[str, str]], per_table: int | str | None = None) -> list[ColumnGroup]:
    """`{% for group in questions|column_groups:per_table %}`: the questions in tables of at most
    `per_table` columns (the PDF's page width); all in one table when it is empty."""
    try:
        size = int(per_table) if per_table not in (None, "") else None
    except (TypeError, ValueError):
        size = None
    return column_groups(list(questions), size)
