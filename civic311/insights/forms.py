from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic311.date_inputs import DateInput

from .operations_selectors import MAX_DAYS
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


class OperationsFilterForm(forms.Form):
    """The operations dashboard's GET parameters: a period (the last N days, or from and to), the step of the
    charts, and a department, service, neighborhood or channel. Every field may be left out."""

    LAST_DAYS = (7, 30, 90, 365)
    DEFAULT_DAYS = 30

    days = forms.TypedChoiceField(label=gettext_lazy("Period"), coerce=int, required=False, empty_value=None)
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())
    grain = forms.ChoiceField(
        label=gettext_lazy("Step"),
        required=False,
        choices=[("day", gettext_lazy("Day")), ("week", gettext_lazy("Week")), ("month", gettext_lazy("Month"))],
    )
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int, required=False, empty_value=None)
    service = forms.TypedChoiceField(label=gettext_lazy("Service"), coerce=int, required=False, empty_value=None)
    neighborhood = forms.TypedChoiceField(
        label=gettext_lazy("Neighborhood"), coerce=int, required=False, empty_value=None
    )
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)

    def __init__(
        self,
        *args: Any,
        departments: list[tuple[int, str]],
        services: list[tuple[int, str]],
        neighborhoods: list[tuple[int, str]],
        channels: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        self.fields["days"].choices = [("", _("Last %(days)d days") % {"days": self.DEFAULT_DAYS})] + [  # type: ignore[attr-defined]
            (days, _("Last %(days)d days") % {"days": days}) for days in self.LAST_DAYS if days != self.DEFAULT_DAYS
        ]
        self.fields["department"].choices = every + departments  # type: ignore[attr-defined]
        self.fields["service"].choices = every + services  # type: ignore[attr-defined]
        self.fields["neighborhood"].choices = every + neighborhoods  # type: ignore[attr-defined]
        self.fields["channel"].choices = every + channels  # type: ignore[attr-defined]
        for field in self.fields.values():  # Bootstrap's controls: full width of their column, never wider
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if (start is None) != (end is None):
            raise forms.ValidationError(_("Give both the first and the last day, or neither."))
        if start is not None and end is not None:
            if end < start:
                raise forms.ValidationError(_("The last day is before the first."))
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)d days.") % {"days": MAX_DAYS})
        return cleaned

    def period(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """[first, last] day asked for (valid form), else the last DEFAULT_DAYS days to today."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("start") and data.get("end"):
            return data["start"], data["end"]
        days = data.get("days") or self.DEFAULT_DAYS
        return today - dt.timedelta(days=days - 1), today
