"""A season of posts about the city for the social trends: what residents post, how they feel (Philly311
saw about half of them negative), week by week.

CONTRACT (foundation; the mood and trends helper writes it).
"""

from __future__ import annotations

from civic311.jurisdictions.models import Jurisdiction


def create_post_history(city: Jurisdiction, *, seed: int) -> int:
    """Make the posts (once: a city that has them is left alone); the number made."""
    return 0
