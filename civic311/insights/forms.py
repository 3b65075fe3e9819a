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


class AdjustmentForm(forms.Form):
    """A supervisor's emergency adjustment: days, a multiplier, a reason (the service checks the rest)."""

    first_day = forms.DateField(label=gettext_lazy("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=gettext_lazy("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    multiplier = forms.DecimalField(
        label=gettext_lazy("Multiply the forecast by"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.05", "min": "0.1", "max": "20"}),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class StaffingTargetForm(forms.Form):
    """The city's service level target and shrinkage, in percent and seconds."""

    answered_percent = forms.DecimalField(
        label=gettext_lazy("Calls answered in time (%)"), max_digits=4, decimal_places=1, min_value=1, max_value=99
    )
    answer_seconds = forms.IntegerField(label=gettext_lazy("Within (seconds)"), min_value=1, max_value=3600)
    shrinkage_percent = forms.DecimalField(
        label=gettext_lazy("Shrinkage (%)"),
        help_text=gettext_lazy("The share of paid time agents are off the phones: breaks, training, meetings."),
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=90,
    )
