"""Writes about jurisdictions: adding a city (its boundary and neighborhoods are in `boundaries.py`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import boundaries
from .models import Jurisdiction


@transaction.atomic
def save_jurisdiction(
    jurisdiction_id: str, *, boundary: list[dict[str, Any]] | None = None, **fields: Any
) -> tuple[Jurisdiction, bool, list[str]]:
    """Add the city with this Open311 jurisdiction_id, or change the given fields of the one there;
    (city, created, warnings about its neighborhoods and a new boundary). A new city needs its boundary's
    features: its bounds are the boundary's box."""
    city = Jurisdiction.objects.select_for_update().filter(jurisdiction_id__iexact=jurisdiction_id).first()
    created = city is None
    if city is None:
        if boundary is None:
            raise ValidationError({"boundary": _("A new jurisdiction needs its boundary (--boundary FILE).")})
        city = Jurisdiction(jurisdiction_id=jurisdiction_id)
        # The first city is the deployment's default, so that adding a second one later never changes the
        # answer for the first one's clients (Open311 calls without jurisdiction_id, the public site).
        city.is_default = not Jurisdiction.objects.filter(is_default=True).exists()
    for name, value in fields.items():
        setattr(city, name, value)
    if boundary is not None:
        outline = boundaries.city_boundary_from(boundary)
        city.min_long, city.min_lat, city.max_long, city.max_lat = outline.bounds
    city.full_clean()
    city.save()
    warnings: list[str] = []
    if boundary is not None:
        # Also checks that the neighborhoods already there stay inside a changed boundary.
        _changed, warnings = boundaries.load_city_boundary(city, boundary)
    return city, created, warnings
