"""The address lookups' refusals, which residents read on the report form (a resident source of
public/resident_languages.py; the rest of geocoding.py speaks to staff loading address files)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

NOT_A_POINT = gettext_lazy("Give a latitude and a longitude.")
NOTHING_NEAR = gettext_lazy("No address of the city is near this point.")
