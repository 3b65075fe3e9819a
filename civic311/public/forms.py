"""The public site's own forms (the report form is `civic311.service_requests.report_form`, shared with
the console)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class TrackForm(forms.Form):
    number = forms.CharField(
        label=_("Tracking number"),
        max_length=40,
        error_messages={"required": _("Enter the tracking number from your confirmation.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
