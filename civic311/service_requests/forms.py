"""Staff forms for moving a request along its lifecycle and writing notes.

These forms only collect and tidy input. The rules (which status may follow which, when a public reason
or an assignee is needed, where a duplicate points) live in `civic311.service_requests.services`, and the
service's own messages are put back on the form with `apply_service_errors`.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civic311.form_errors import show_service_errors
from civic311.people import roles

from . import selectors, services
from .lifecycle import STANDARD_CLOSE_REASONS, Status, allowed_next
from .models import Contact, ServiceRequest
from .report_form import ReportForm


class SuggestionsInput(forms.TextInput):
    """A text box with suggestions the browser offers as you type (a `<datalist>`); any text is accepted."""

    def __init__(self, suggestions, attrs=None) -> None:
        super().__init__(attrs)
        self.suggestions = suggestions

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or 'id_' + name}_suggestions"
        attrs["list"] = list_id
        box = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}"></option>', ((str(text),) for text in self.suggestions))
        return format_html('{}<datalist id="{}">{}</datalist>', box, list_id, options)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name()
        department = obj.department.name if obj.department_id else ""
        label = f"{name} ({obj.username})" if name else obj.username
        return f"{label} — {department}" if department else label


class StatusChangeForm(forms.Form):
    """Move one request to another status.

    The drop-down offers only the statuses that may follow the current one; any status is accepted
    here so that a stale page or a hand-made POST gets the service's own explanation, not a generic one.
    """

    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    public_reason = forms.CharField(
        label=_("Public reason"),
        required=False,
        strip=True,
        widget=SuggestionsInput(STANDARD_CLOSE_REASONS, attrs={"autocomplete": "off"}),
        help_text=_(
            "What the resident sees. Needed when closing, referring or cancelling; "
            "pick a standard reason or write your own."
        ),
    )
    assignee = StaffChoiceField(
        label=_("Assign to"),
        required=False,
        queryset=get_user_model().objects.none(),
        help_text=_("Needed when the new status is “Assigned”."),
    )
    duplicate_of = forms.CharField(
        label=_("Duplicate of"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("The tracking number of the original request, when marking a duplicate."),
    )
    internal_note = forms.CharField(
        label=_("Internal note"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Seen by staff only."),
    )

    def __init__(self, *args, service_request: ServiceRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.service_request = service_request
        allowed = allowed_next(service_request.status)
        self.next_statuses = [(status.value, status.label) for status in Status if status in allowed]
        # The field accepts every status; the drop-down shows only the legal ones.
        self.fields["to_status"].widget.choices = [("", "---------"), *self.next_statuses]
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = (
            roles.assignable_accounts(get_user_model().objects.all())
            .select_related("department")
            .order_by("first_name", "last_name", "username")
        )

    @property
    def can_move(self) -> bool:
        return bool(self.next_statuses)

    def clean_duplicate_of(self) -> ServiceRequest | None:
        number = self.cleaned_data.get("duplicate_of", "")
        if not number.strip():
            return None
        original = selectors.request_for_tracking(self.service_request.jurisdiction, number)
        if original is None:
            raise ValidationError(
                gettext("There is no request with the tracking number %(number)s in %(city)s.")
                % {"number": number.strip()[:40], "city": self.service_request.jurisdiction.name}
            )
        return original


class NoteForm(forms.Form):
    INTERNAL = "internal"
    PUBLIC = "public"

    text = forms.CharField(
        label=_("Note"), required=False, strip=True, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )
    visibility = forms.ChoiceField(
        label=_("Who sees it"),
        widget=forms.RadioSelect,
        initial=INTERNAL,
        choices=[
            (INTERNAL, _("Staff only (internal)")),
            (PUBLIC, _("Public: the resident and everyone following the request")),
        ],
    )

    @property
    def is_public(self) -> bool:
        return self.cleaned_data.get("visibility") == self.PUBLIC


# The service names its fields after its own arguments; a few differ from the form's names.
_SERVICE_FIELD_NAMES = {"status": "to_status"}


def apply_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a request service's ValidationError on the form: on the matching field, else above the form."""
    show_service_errors(form, error, _SERVICE_FIELD_NAMES)


class TargetServiceQuestions:
    """For a form that files a request for a service it picks (a follow-on): that service's questions.

    The questions are the public report form's (`ReportForm`: all six datatypes, posted as
    `attribute[CODE]`), for the service posted or, before anything is posted, the one picked (`chosen`, a
    service id). They are checked by the intake's one rule (`catalogue.validate_answers`, through `submit`),
    never here. Call `set_up_questions` at the end of the form's `__init__`; `cleaned_data["answers"]`
    then holds the answers to the posted service's questions.
    """

    service_field = "service"

    def set_up_questions(self, services, jurisdiction, chosen: str = "") -> None:
        form = cast(forms.Form, self)
        picked = str(form.data.get(form.add_prefix(self.service_field), "")) if form.is_bound else (chosen or "")
        self.target = services.filter(pk=int(picked)).first() if picked.isdigit() and len(picked) < 19 else None
        self.questions: ReportForm | None = None
        if self.target is not None:
            self.questions = ReportForm(
                self.target, jurisdiction, data=cast(QueryDict, form.data) if form.is_bound else None
            )
            if not form.is_bound:
                form.initial[self.service_field] = self.target.pk

    def clean(self) -> dict:
        cleaned = super().clean() or {}  # type: ignore[misc]
        # The posted service's questions only: a page whose picker was changed without JavaScript still
        # carries the previous service's answers, which must not be refused as "not a question" of this one.
        # Missing and malformed answers are the intake's to refuse.
        asked = {field.code for field in self.questions.attribute_fields} if self.questions is not None else set()
        cleaned["answers"] = (
            {code: answer for code, answer in self.questions.answers().items() if code in asked}
            if self.questions is not None
            else {}
        )
        return cleaned

    def add_service_errors(self, error: ValidationError) -> None:
        """The intake's errors: each answer's next to its question, the service's on the picker, the rest above."""
        form = cast(forms.Form, self)
        if not hasattr(error, "error_dict"):
            apply_service_errors(form, error)
            return
        shown = {field.name for field in self.questions.attribute_fields} if self.questions is not None else set()
        answers = {key: messages for key, messages in error.message_dict.items() if key in shown}
        rest = {key: messages for key, messages in error.message_dict.items() if key not in answers}
        if answers and self.questions is not None:
            self.questions.add_errors(ValidationError(answers))
        if rest:
            show_service_errors(form, ValidationError(rest), {"service_code": self.service_field})


class ServiceRequestDetailsForm(forms.ModelForm):
    """The admin's change form: the details staff may correct, checked by the intake's own rules."""

    class Meta:
        model = ServiceRequest
        fields: list[str] = []

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        changes = {name: cleaned[name] for name in self.changed_data if name in services.EDITABLE_DETAILS}
        try:
            cleaned.update(services.check_details(changes))
        except ValidationError as error:
            apply_service_errors(self, error)
        return cleaned


class InformationRequestForm(forms.ModelForm):
    """Log a contact that needed only an answer, checked by the same rule the console will use."""

    class Meta:
        model = Contact
        fields = ["jurisdiction", "channel", "outcome", "service", "summary"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        outcome = cast(forms.ChoiceField, self.fields["outcome"])
        outcome.choices = [
            (value, label)
            for value, label in Contact.Outcome.choices
            if value in (Contact.Outcome.INFORMATION, Contact.Outcome.DIRECTORY)
        ]
        self.fields["summary"].required = True

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            cleaned["summary"] = services.check_information_request(
                cleaned["jurisdiction"],
                summary=cleaned.get("summary", ""),
                outcome=cleaned.get("outcome", ""),
                service=cleaned.get("service"),
            )
        except ValidationError as error:
            apply_service_errors(self, error)
        return cleaned
