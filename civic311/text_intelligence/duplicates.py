"""Open requests a new report may repeat: the same or a related service, near and recent (the service's
own radius and window, found through H3 neighbours), ranked by place, time and words. Suggested, never
merged: a person decides.

CONTRACT (foundation; the helper owning this file replaces the bodies, keeps the names and types).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import User
from civic311.service_requests.models import ServiceRequest


@dataclass(frozen=True)
class PossibleDuplicate:
    service_request: ServiceRequest
    metres: int | None  # from the point given; None when matched by address only
    age: dt.timedelta  # since it was requested
    same_service: bool  # False: a related service (the same group)
    text_similarity: float  # 0 … 1
    score: float  # 0 … 1, the ranking

    @property
    def tracking_number(self) -> str:
        return self.service_request.tracking_number


def possible_duplicates(
    jurisdiction: Jurisdiction,
    *,
    service: Service | None,
    text: str = "",
    lat: float | None = None,
    long: float | None = None,
    address: str = "",
    user: User | None = None,
    now: dt.datetime | None = None,
    limit: int = 5,
) -> list[PossibleDuplicate]:
    """Best first. `user` None: the public's view (private requests never offered); else only requests
    the user may see. No point and no address: []."""
    raise NotImplementedError
