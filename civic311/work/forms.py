"""Forms of the department work pages. They collect and tidy input; the rules are in the services."""

from __future__ import annotations

from functools import cache
from typing import cast

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civic311.catalogue.models import Department, Service
from civic311.people.models import User
from civic311.service_requests import selectors as request_selectors
from civic311.service_requests.forms import (
    StaffChoiceField,
    SuggestionsInput,
    TargetServiceQuestions,
    apply_service_errors,
)
from civic311.service_requests.lifecycle import STANDARD_CLOSE_REASONS, Status, allowed_next
from civic311.service_requests.models import Photo, ServiceRequest

from . import selectors
from .models import ResponseTemplate

__all__ = ["apply_service_errors"]


class StaffForm(forms.Form):
    """Bootstrap's classes on every widget (the templates render fields one by one)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class QueueFilterForm(StaffForm):
    """The queue's filters, sent as GET. Unknown or stale values are reported, never silently widened."""

    department = forms.TypedChoiceField(label=_("Department"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False)
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int, empty_value=None)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    sla = forms.ChoiceField(
        label=_("Due date"),
        required=False,
        choices=[
            ("", _("Any")),
            ("overdue", _("Overdue")),
            ("due_soon", _("Due by the next business day")),
            ("escalated", _("Escalated")),
            ("overdue_or_escalated", _("Overdue or escalated")),
        ],
    )
    priority = forms.BooleanField(label=_("Priority only"), required=False)
    neighborhood = forms.TypedChoiceField(label=_("Neighborhood"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("Tracking number or words"), required=False, max_length=200, strip=True)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("risk", _("SLA risk")),
            ("newest", _("Newest")),
            ("oldest", _("Oldest")),
            ("updated", _("Recently updated")),
        ],
    )
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def __init__(self, data, *, user: User, departments, jurisdiction) -> None:
        super().__init__(data)
        self.departments = list(departments)
        department_ids = [department.pk for department in departments]
        self.fields["department"].choices = [  # type: ignore[attr-defined]
            ("", _("All my departments")),
            *((d.pk, d.name) for d in departments),
        ]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("open", _("Open")),
            ("finished", _("Finished")),
            ("all", _("Any status")),
            *Status.choices,
        ]

        # Read (once) when the page draws the menus or a filter is set, not for the queue's 10-second poll.
        @cache
        def services() -> list[tuple[object, object]]:
            return [
                ("", _("Any service")),
                *((s.pk, s.localized("name")) for s in selectors.services_of(department_ids)),
            ]

        @cache
        def assignees() -> list[tuple[str, object]]:
            return [
                ("", _("Anyone")),
                ("me", _("Me")),
                ("unassigned", _("Nobody (unassigned)")),
                *((str(person.pk), str(person)) for person in selectors.assignable_staff_of(department_ids)),
            ]

        @cache
        def neighborhoods() -> list[tuple[object, object]]:
            return [("", _("Any neighborhood")), *((n.pk, n.name) for n in selectors.neighborhoods(jurisdiction))]

        self.fields["service"].choices = services  # type: ignore[attr-defined]
        self.fields["assignee"].choices = assignees  # type: ignore[attr-defined]
        self.fields["neighborhood"].choices = neighborhoods  # type: ignore[attr-defined]

    def filters(self) -> selectors.QueueFilters:
        """The filters, from valid fields only (an invalid one is left at its default and reported)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        values = {name: data.get(name) for name in (*selectors.FILTER_KEYS, "after") if name not in self.errors}
        return selectors.QueueFilters(
            department=values.get("department"),
            status=values.get("status") or "open",
            service=values.get("service"),
            assignee=values.get("assignee") or "",
            sla=values.get("sla") or "",
            priority=bool(values.get("priority")),
            neighborhood=values.get("neighborhood"),
            q=values.get("q") or "",
            sort=values.get("sort") or "risk",
            after=values.get("after") or "",
        )


class BulkActionForm(StaffForm):
    prefix = "bulk"
    ASSIGN, STATUS, NOTE = "assign", "status", "note"

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("", "---------"),
            (ASSIGN, _("Assign")),
            (STATUS, _("Change status")),
            (NOTE, _("Add a public note")),
        ],
    )
    assignee = forms.TypedChoiceField(label=_("Assign to"), required=False, coerce=int, empty_value=None)
    to_status = forms.ChoiceField(label=_("New status"), required=False, choices=[("", "---------"), *Status.choices])
    public_reason = forms.CharField(
        label=_("Public reason"),
        required=False,
        max_length=2000,
        strip=True,
        widget=SuggestionsInput(STANDARD_CLOSE_REASONS, attrs={"autocomplete": "off"}),
    )
    template = forms.TypedChoiceField(label=_("Response template"), required=False, coerce=int, empty_value=None)
    text = forms.CharField(label=_("Public note"), required=False, strip=True, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, people, templates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", "---------"),
            *((person.pk, str(person)) for person in people),
        ]
        self.fields["template"].choices = [  # type: ignore[attr-defined]
            ("", _("None")),
            *((t.pk, t.title) for t in templates),
        ]
        self.templates = list(templates)


class AssignForm(StaffForm):
    prefix = "assign"
    assignee = StaffChoiceField(
        label=_("Assign to"), required=False, queryset=User.objects.none(), empty_label=_("Nobody (unassign)")
    )

    def __init__(self, *args, service_request: ServiceRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["assignee"])
        field.queryset = selectors.assignable_staff(service_request).select_related("department")
        field.initial = service_request.assignee_id


class StatusForm(StaffForm):
    """The drop-down offers the statuses that may follow; any is accepted, so a stale page gets the
    service's own explanation."""

    prefix = "status"

    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    public_reason = forms.CharField(
        label=_("Public reason"),
        required=False,
        strip=True,
        widget=SuggestionsInput(STANDARD_CLOSE_REASONS, attrs={"autocomplete": "off"}),
        help_text=_("What the resident sees. Needed when closing, referring or cancelling."),
    )
    internal_note = forms.CharField(
        label=_("Internal note"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Seen by staff only."),
    )

    # Closing with a photo of the finished work in one step (issue 17: residents and the youth program's
    # walks see the before and after photos side by side). Public, as the photo form's default is.
    after_photo = forms.FileField(
        label=_("After photo (optional, when closing)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text=_("A photo of the finished work, shown next to the resident's photo from before."),
    )

    def __init__(self, *args, service_request: ServiceRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = allowed_next(service_request.status)
        if Status.CLOSED not in allowed:  # reopening: no after photo
            del self.fields["after_photo"]
        # Assigning has its own form (it needs a person); duplicates are marked with the merge form.
        self.next_statuses = [
            (s.value, s.label) for s in Status if s in allowed and s not in (Status.ASSIGNED, Status.DUPLICATE)
        ]
        self.fields["to_status"].widget.choices = [("", "---------"), *self.next_statuses]


class NoteForm(StaffForm):
    prefix = "note"
    text = forms.CharField(label=_("Note"), required=False, strip=True, widget=forms.Textarea(attrs={"rows": 4}))
    public = forms.BooleanField(
        label=_("Public: the resident and everyone following the request see it"), required=False
    )


class TemplatePickForm(StaffForm):
    template = forms.ModelChoiceField(
        label=_("Response template"),
        queryset=ResponseTemplate.objects.none(),
        required=False,
        empty_label=_("Start from a template…"),
    )

    def __init__(self, *args, service_request: ServiceRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["template"]).queryset = selectors.response_templates_for(
            service_request
        )


class TransferForm(StaffForm):
    prefix = "transfer"
    department = forms.ModelChoiceField(label=_("To department"), queryset=Department.objects.none())
    reason = forms.CharField(
        label=_("Reason (internal)"), required=False, strip=True, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, service_request: ServiceRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["department"]).queryset = request_selectors.transfer_departments(
            service_request
        )


class FollowOnServiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.localized('name')} — {obj.department.name}"


class FollowOnForm(TargetServiceQuestions, StaffForm):
    """A follow-on for another department's service, with that service's own questions (`questions`; the
    picked service comes from the POST, or before that from `chosen`: the page's `?follow-service=` or the
    htmx fragment)."""

    prefix = "follow"
    service = FollowOnServiceField(label=_("Service"), queryset=Service.objects.none())
    description = forms.CharField(
        label=_("What needs doing"), required=False, strip=True, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, service_request: ServiceRequest, chosen: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["service"])
        field.queryset = selectors.follow_on_services(service_request)
        # With JavaScript, picking a service swaps its questions in (the page's button does it without).
        field.widget.attrs.update(
            {
                "hx-get": reverse("work:follow_on_questions", args=[service_request.tracking_number]),
                "hx-trigger": "change",
                "hx-target": "#follow-on-questions",
                "hx-swap": "outerHTML",
            }
        )
        self.set_up_questions(field.queryset, service_request.jurisdiction, chosen)


class MergeForm(StaffForm):
    prefix = "merge"
    original = forms.CharField(
        label=_("Tracking number of the original"),
        max_length=40,
        strip=True,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    public_reason = forms.CharField(label=_("Public reason (optional)"), required=False, strip=True)


class PhotoForm(StaffForm):
    prefix = "photo"
    photo = forms.FileField(
        label=_("Photo"), required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )
    stage = forms.ChoiceField(label=_("Taken"), choices=Photo.Stage.choices, initial=Photo.Stage.AFTER)
    public = forms.BooleanField(label=_("Public"), required=False, initial=True)


class SaveViewForm(StaffForm):
    prefix = "view"
    name = forms.CharField(label=_("Name"), max_length=80, strip=True)
    department = forms.TypedChoiceField(label=_("Share with"), required=False, coerce=int, empty_value=None)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, departments, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [  # type: ignore[attr-defined]
            ("", _("Only me")),
            *((d.pk, d.name) for d in departments),
        ]
