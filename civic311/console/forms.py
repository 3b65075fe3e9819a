"""The console's forms. They only read what was posted; the rules live in the services, whose
ValidationErrors are put back on the form (`show_service_errors`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.selectors import supported_language
from civic311.service_requests.models import Contact
from civic311.service_requests.report_form import ReportForm
from civic311.service_requests.services import Report

SEARCH_MAX = 200


class ConsoleReportForm(ReportForm):
    """The public report form of a service (its questions, location and requester details), prefilled
    from the caller's customer record (filed on the contact's channel by `services.file_request_for_contact`)."""

    def __init__(
        self,
        service: Service,
        jurisdiction: Jurisdiction,
        data: QueryDict | None = None,
        initial: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(service, jurisdiction, data=data)
        # The language the caller speaks, when the agent asked (or their record says): their e-mails'.
        self.values["caller_language"] = supported_language(self.data.get("caller_language", ""))
        if data is None and initial:
            self.values.update({name: value for name, value in initial.items() if name in self.values})

    @property
    def language_choices(self) -> list[tuple[str, str]]:
        return [(code, str(name)) for code, name in settings.LANGUAGES]

    def to_report(self) -> Report:
        # Never the agent's own page language: the caller's, or "" (their record's, when their e-mail is sent).
        return replace(super().to_report(), language=self.values["caller_language"])


class CallerSearchForm(forms.Form):
    q = forms.CharField(label=_("Find the caller"), max_length=SEARCH_MAX, required=False)


class NewCustomerForm(forms.Form):
    """Shown beside the report form, whose fields have the same names: its own ids keep labels apart."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_new_customer_%s")
        super().__init__(*args, **kwargs)

    first_name = forms.CharField(label=_("First name"), max_length=200, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=60, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=300, required=False)
    address = forms.CharField(label=_("Address"), max_length=400, required=False)
    zipcode = forms.CharField(label=_("ZIP code"), max_length=20, required=False)


class ChooseCustomerForm(forms.Form):
    customer = forms.IntegerField(min_value=1)


class InformationForm(forms.Form):
    summary = forms.CharField(
        label=_("Answer given"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=10_000
    )
    outcome = forms.ChoiceField(
        label=_("Kind of answer"),
        widget=forms.RadioSelect,
        initial=Contact.Outcome.INFORMATION,
        choices=[
            (Contact.Outcome.INFORMATION, Contact.Outcome.INFORMATION.label),
            (Contact.Outcome.DIRECTORY, Contact.Outcome.DIRECTORY.label),
        ],
    )
    service = forms.CharField(widget=forms.HiddenInput, required=False, max_length=60)
    # The help article the answer came from and the console search that found it (for the analytics).
    article = forms.CharField(widget=forms.HiddenInput, required=False, max_length=120)
    search = forms.CharField(widget=forms.HiddenInput, required=False, max_length=18)


class AttachForm(forms.Form):
    service_request = forms.IntegerField(min_value=1)
    subscribe = forms.BooleanField(label=_("The caller wants e-mail updates on this request"), required=False)
    subscribe_email = forms.CharField(label=_("Caller's e-mail"), max_length=300, required=False)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("subscribe") and not (cleaned.get("subscribe_email") or "").strip():
            self.add_error("subscribe_email", _("Give the e-mail address the updates go to."))
        return cleaned


class WrapUpForm(forms.Form):
    survey_consent = forms.TypedChoiceField(
        label=_("May the survey team call the caller about this contact?"),
        widget=forms.RadioSelect,
        choices=[("yes", _("Yes, they agree")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        error_messages={"required": _("Ask the caller whether they agree to a short survey call, and record it.")},
    )
    callback_phone = forms.CharField(label=_("Callback number"), max_length=60, required=False)

    def __init__(self, *args: Any, written: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if written:
            # An e-mail, a text or a post cannot be asked on the spot: "not asked" leaves the customer's consent
            # as it was (`services.finish_contact`).
            field = self.fields["survey_consent"]
            assert isinstance(field, forms.TypedChoiceField)
            field.required = False
            field.choices = [("", _("Not asked")), ("yes", _("Yes, they agree")), ("no", _("No"))]
            field.coerce = lambda value: None if value in ("", None) else value == "yes"
            field.empty_value = None
            self.initial.setdefault("survey_consent", "")
