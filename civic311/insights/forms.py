from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .selectors import DEFAULT_PERIOD, PERIODS


class PeriodForm(forms.Form):
    """The page's GET parameters: the period (last 7, 30 or 90 days)."""

    days = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choose a period of 7, 30 or 90 days.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [  # type: ignore[attr-defined]
            (days, _("Last %(days)d days") % {"days": days}) for days in PERIODS
        ]

    def days_or_default(self) -> int:
        """The period asked for; the default when the parameter is missing or not one of the choices."""
        if self.is_valid():
            return int(self.cleaned_data["days"] or DEFAULT_PERIOD)
        return DEFAULT_PERIOD
