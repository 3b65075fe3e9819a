"""The field walks' forms: staff's "open the walk" (its closing time), and the participants' report, which is
the report form every channel shares (`service_requests.report_form.ReportForm`: the service's questions,
the values kept for a re-render, the intake's errors next to their fields) without the contact details,
plus the walker's name picked from the cohort's list and one photo."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from civic311 import date_inputs
from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.service_requests.report_form import ERROR_ANCHORS, FIELD_ORDER, ReportForm

from .services.field_walks import WalkReportData


class WalkOpenForm(forms.Form):
    """When the walk's link closes, in the city's time (the active time zone)."""

    closes_at = forms.DateTimeField(
        label=_("The link closes at"),
        required=False,
        input_formats=[date_inputs.ISO_MINUTE, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=date_inputs.DateTimeInput(attrs={"class": "form-control"}),
        help_text=_("Leave it as it is for an hour after the session ends."),
    )

    def __init__(self, *args: Any, default: dt.datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if default is not None:
            self.fields["closes_at"].initial = timezone.localtime(default).replace(second=0, microsecond=0)


# The fields of the shared form a walk's report never sends (a participant's contact is never asked for).
_CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")
WALK_FIELD_ORDER = ("participant", *(name for name in FIELD_ORDER if name not in _CONTACT_FIELDS and name != "photos"))


class WalkReportForm(ReportForm):
    """A participant's report from the walk's page."""

    def __init__(
        self,
        service: Service,
        jurisdiction: Jurisdiction,
        participants: list[tuple[int, str]],
        data: QueryDict | None = None,
        files: MultiValueDict[str, UploadedFile[bytes]] | None = None,
    ) -> None:
        super().__init__(service, jurisdiction, data=data, files=files)
        for name in _CONTACT_FIELDS:
            self.values[name] = ""
        self.participants = participants
        self.participant = self.data.get("participant", "")[:20]

    @property
    def photo(self) -> UploadedFile[bytes] | None:
        photo = self.files.get("photo")
        return photo or None

    def to_walk_data(self) -> WalkReportData:
        values = self.values
        return WalkReportData(
            service_code=self.service.code,
            description=values["description"],
            address=values["address"],
            zipcode=values["zipcode"],
            lat=values["lat"],
            long=values["long"],
            neighborhood=values["neighborhood"],
            answers=self.answers(),
            participant_id=int(self.participant) if self.participant.isdigit() else None,
            idempotency_key=self.idempotency_key,
            language=get_language() or "",
        )

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor id or "", message) for every error, in the order of the page."""
        anchors = {**ERROR_ANCHORS, "participant": "id_participant", "photo": "id_photo"}
        rows: list[tuple[str, str]] = []
        shown: set[str] = set()
        for key in ("participant",):
            shown.add(key)
            rows.extend((anchors[key], message) for message in self.errors.get(key, []))
        for attribute_field in self.attribute_fields:
            if attribute_field.errors:
                shown.add(attribute_field.name)
                rows.extend((attribute_field.anchor, message) for message in attribute_field.errors)
        for key in (*WALK_FIELD_ORDER[1:], "photo"):
            shown.add(key)
            rows.extend((anchors.get(key, ""), message) for message in self.errors.get(key, []))
        for key, messages in self.errors.items():
            if key not in shown:
                rows.extend(("", message) for message in messages)
        return rows


class OtherServiceForm(forms.Form):
    """ "Something else": any service the city takes reports for (a GET form: it works without JavaScript)."""

    service = forms.ChoiceField(label=_("What did you find?"))

    def __init__(self, *args: Any, services: list[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Pick one")), *((service.code, service.localized("name")) for service in services)]
        field.widget.attrs["class"] = "form-select"
