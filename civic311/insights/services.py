"""Writes of the search analytics: every search, article view and "did this help?" is logged (no personal
data), and counted into daily rollups as it happens, so the staff page never scans the log.

The knowledge base's views and the agent console call these; their signatures are the contract.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civic311.jurisdictions.models import Jurisdiction
    from civic311.knowledge.models import Article


def log_search(jurisdiction: Jurisdiction, query: str, *, language: str, channel: str, result_count: int,
               visitor: str = "", now: dt.datetime | None = None) -> int:
    """Log one search; returns the log row's id (to pass to `log_click`). `channel` is "web" or "console";
    `visitor` an opaque per-browser id (not personal data), "" when unknown."""
    raise NotImplementedError


def log_click(search_id: int, article: Article, *, now: dt.datetime | None = None) -> None:
    """The searcher opened `article` from the results of search `search_id`."""
    raise NotImplementedError


def log_article_view(article: Article, *, language: str, channel: str, visitor: str = "",
                     now: dt.datetime | None = None) -> None:
    """Someone read `article` (public page or console)."""
    raise NotImplementedError


def record_feedback(article: Article, *, helpful: bool, language: str, visitor: str = "",
                    now: dt.datetime | None = None) -> None:
    """A "did this help? yes/no" answer on an article."""
    raise NotImplementedError


def note_request_filed(jurisdiction: Jurisdiction, *, visitor: str, now: dt.datetime | None = None) -> None:
    """A visitor filed a request (the public form): their reading did not avoid a contact."""
    raise NotImplementedError
