"""Places named in free text: addresses ("1234 Market St"), intersections ("5th and Lehigh", "Broad y
Girard") and neighborhood names, matched to the city's streets and neighborhoods.

CONTRACT (foundation; the helper owning this file replaces the bodies, keeps the names and types).
"""

from __future__ import annotations

from dataclasses import dataclass

from civic311.jurisdictions.models import Jurisdiction, Neighborhood


@dataclass(frozen=True)
class FoundPlace:
    kind: str  # "address", "intersection" or "neighborhood"
    text: str  # the words as written in the text
    label: str  # as the city writes it: "1234 Market St", "N 5th St & W Lehigh Ave", "Kensington"
    lat: float | None
    long: float | None
    neighborhood: Neighborhood | None


def places_in_text(jurisdiction: Jurisdiction, text: str) -> list[FoundPlace]:
    """The places the text names, the most precise first (address, intersection, neighborhood); only
    those matched to the city. Never raises on any text."""
    raise NotImplementedError
