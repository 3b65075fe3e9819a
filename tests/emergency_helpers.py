"""Shared by the emergency and reader-board tests: an emergency declared through the service, as a
supervisor would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from civic311.emergencies import services
from civic311.emergencies.models import Emergency


def declare(
    jurisdiction, actor, *, start: dt.datetime | None = None, hours: float = 24, now=None, **changes
) -> Emergency:
    start = start or timezone.now()
    fields: dict[str, Any] = {
        "kind": Emergency.Kind.SNOW,
        "title": {"en": "Snow emergency", "es": "Emergencia de nieve"},
        "banner": {
            "en": "Move your car off snow emergency routes.",
            "es": "Retire su auto de las rutas de emergencia de nieve.",
        },
        "agent_script": {"en": "Tell callers to move their cars off snow emergency routes."},
        "message": "Snow emergency from 6 pm: move cars off snow emergency routes. phila.gov/snow",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=hours),
    }
    fields.update(changes)
    return services.declare_emergency(jurisdiction, actor=actor, now=now, **fields)
