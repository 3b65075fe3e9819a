"""Training the city's service suggester: from its catalogue (names, keywords, descriptions, questions,
in every language it has), its knowledge base and its history of descriptions; evaluated on held-out
history; kept as a new `ServiceModel` version.

CONTRACT (foundation; the helper owning this file replaces the bodies, keeps the names and types).
"""

from __future__ import annotations

import datetime as dt

from civic311.jurisdictions.models import Jurisdiction

from .models import ServiceModel


def train(
    jurisdiction: Jurisdiction,
    *,
    trigger: str = ServiceModel.Trigger.COMMAND,
    now: dt.datetime | None = None,
    activate: bool = True,
) -> ServiceModel:
    """Fit, evaluate and save a new version (made active when `activate`); older versions beyond the
    city's keep count are deleted, the active one never."""
    raise NotImplementedError


def train_all(*, trigger: str = ServiceModel.Trigger.SCHEDULE) -> list[ServiceModel]:
    raise NotImplementedError
