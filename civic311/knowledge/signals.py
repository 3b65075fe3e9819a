"""Keep the search index in step with changes made outside the knowledge services."""

from __future__ import annotations

from typing import Any

from . import search


def service_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        search.index_service(instance)
