"""Staff admin for service requests, until the agent console arrives.

The admin never writes a request's lifecycle fields itself: status changes and notes go through
`civic311.service_requests.services`, exactly as every other way in does, and the service's messages are shown
on the form. The change form edits only a few descriptive fields, and records that it did.
"""

from __future__ import annotations

import re
from functools import cached_property

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from civic311.catalogue.models import Department, Service
from civic311.jurisdictions.admin import JurisdictionPickersMixin
from civic311.people import roles
from civic311.people import selectors as people

from . import selectors, services
from .forms import (
    InformationRequestForm,
    NoteForm,
    ServiceRequestDetailsForm,
    StatusChangeForm,
    TargetServiceQuestions,
    apply_service_errors,
)
from .lifecycle import OPEN_STATES, Status
from .models import Announcement, Contact, Escalation, HistoryEntry, Photo, ServiceRequest

# A bulk action walks its requests one by one through the service; more than this is a job, not a click.
BULK_ACTION_LIMIT = 500
# Above this many rows an unfiltered list shows PostgreSQL's estimate instead of counting every row.
ESTIMATE_COUNT_ABOVE = 100_000


class EstimatedCountPaginator(Paginator):
    """A paginator that does not count millions of rows to draw an unfiltered list.

    On PostgreSQL, when the list is not filtered, the planner's row estimate is used once the table is
    large; filtered lists, and every list on other databases, are counted exactly.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and not queryset.query.where:
            connection = connections[queryset.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                        [queryset.model._meta.db_table],
                    )
                    row = cursor.fetchone()
                if row and row[0] and row[0] > ESTIMATE_COUNT_ABOVE:
                    return int(row[0])
        return super().count


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("On time or closed"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        overdue = {"status__in": [status.value for status in OPEN_STATES], "expected_at__lt": now}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


def _escalated_for_current_date():
    return Exists(Escalation.objects.filter(service_request=OuterRef("pk"), due_at=OuterRef("expected_at")))


class EscalatedFilter(admin.SimpleListFilter):
    """Requests the escalation ladder has climbed for their current due date."""

    title = _("escalated")
    parameter_name = "escalated"

    def lookups(self, request, model_admin):
        return [("yes", _("Escalated")), ("no", _("Not escalated"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(_escalated_for_current_date())
        if self.value() == "no":
            return queryset.exclude(_escalated_for_current_date())
        return queryset


def _may_see_requests(request) -> bool:
    opts = ServiceRequest._meta
    return any(
        request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
        for action in ("view", "change")
    )


class RecordInline(admin.TabularInline):
    """Rows that record what happened (history, an audit): shown, never added, edited or deleted here."""

    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(RecordInline):
    """What happened to a request: shown to whoever may see the request."""

    def has_view_permission(self, request, obj=None) -> bool:
        return _may_see_requests(request)


class HistoryInline(ReadOnlyInline):
    model = HistoryEntry
    fields = ("created_at", "kind", "who", "is_public", "status_change", "text")
    readonly_fields = fields
    verbose_name_plural = _("history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("by"))
    def who(self, entry: HistoryEntry) -> str:
        return entry.who

    @admin.display(description=_("status"))
    def status_change(self, entry: HistoryEntry) -> str:
        if not (entry.from_status or entry.to_status):
            return ""
        if not entry.from_status:
            return entry.get_to_status_display()
        return f"{entry.get_from_status_display()} → {entry.get_to_status_display()}"


class PhotoInline(ReadOnlyInline):
    model = Photo
    fields = ("thumbnail", "stage", "is_public", "created_at")
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def thumbnail(self, photo: Photo) -> str:
        if not photo.image:
            return ""
        return format_html(
            '<a href="{url}"><img src="{url}" alt="{alt}" class="civic311-photo-thumbnail"></a>',
            url=photo.image.url,
            alt=gettext("Photo (%(stage)s)") % {"stage": photo.get_stage_display()},
        )


class ContactInline(ReadOnlyInline):
    """The contacts that led to the request. The requester is deliberately not shown."""

    model = Contact
    fields = ("started_at", "channel", "outcome", "agent", "summary")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agent")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(JurisdictionPickersMixin, admin.ModelAdmin):
    list_display = (
        "tracking_number",
        "service",
        "department",
        "status",
        "channel",
        "requested",
        "expected",
        "overdue",
        "neighborhood",
    )
    list_display_links = ("tracking_number",)
    list_filter = (
        "status",
        OverdueFilter,
        EscalatedFilter,
        "department",
        "service__group",
        "channel",
        "hazard",
        "is_private",
    )
    list_select_related = ("service", "department", "neighborhood", "jurisdiction")
    search_fields = ("=tracking_number", "address")
    search_help_text = _("A tracking number, or part of an address.")
    date_hierarchy = "requested_at"
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    actions = ["acknowledge"]
    inlines = [HistoryInline, PhotoInline, ContactInline]

    # The only fields the change form writes, through services.update_details; everything else moves
    # through the other services.
    editable_fields = services.EDITABLE_DETAILS
    form = ServiceRequestDetailsForm

    base_fieldsets = (
        (
            None,
            {
                "fields": (
                    "tracking_number",
                    "service",
                    "department",
                    "status",
                    "status_notes",
                    "assignee",
                    "duplicate_of",
                    "parent",
                )
            },
        ),
        (_("Report"), {"fields": ("channel", "description", "answers", "is_private", "hazard")}),
        (_("Location"), {"fields": ("address", "zipcode", ("lat", "long"), "neighborhood", "h3_cell")}),
        (_("Dates"), {"fields": ("requested_at", "updated_at", "expected_at", "closed_at")}),
        # Shown, not edited: escalations are a record, and a field (not an inline) posts no formset.
        (_("Escalation"), {"fields": ("is_priority", "redress_due_at", "escalations")}),
    )

    def get_queryset(self, request):
        # Least privilege: a department's staff see (and so can open and work) only its requests.
        return roles.visible_requests(
            request.user, super().get_queryset(request).select_related(*self.list_select_related)
        )

    # --- permissions --------------------------------------------------------------------------

    def has_add_permission(self, request) -> bool:
        # Residents and agents file through the intake rule (the public form, Open311, the console).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return roles.may_delete_records(request.user)

    # --- the change form -------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(self.base_fieldsets)
        if obj is not None and people.may_see_contact_details(request.user, service_request=obj):
            # Contact details are personal data: shown by the roles' rule, each showing audited.
            fieldsets.append((_("Requester"), {"fields": ("requester",)}))
        return fieldsets

    def _fields_shown(self, request, obj=None) -> list[str]:
        shown: list[str] = []
        for _name, options in self.get_fieldsets(request, obj):
            for entry in options["fields"]:
                shown.extend(entry if isinstance(entry, tuple) else [entry])
        return shown

    def get_readonly_fields(self, request, obj=None):
        return [name for name in self._fields_shown(request, obj) if name not in self.editable_fields]

    @admin.display(description=_("escalations"))
    def escalations(self, obj: ServiceRequest):
        rows = [
            (step_label, self._local(obj, escalated_at), self._local(obj, due_at))
            for step_label, escalated_at, due_at in obj.escalations.order_by("escalated_at", "pk").values_list(
                "step__label", "escalated_at", "due_at"
            )
        ]
        if not rows:
            return self.get_empty_value_display()
        return format_html_join(
            mark_safe("<br>"),
            "{} · {} ({})",
            [(label, when, gettext("due %(date)s") % {"date": due}) for label, when, due in rows],
        )

    @admin.display(description=_("answers"))
    def answers(self, obj: ServiceRequest):
        rows = selectors.public_answers(obj)
        if not rows:
            return self.get_empty_value_display()
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    def save_model(self, request, obj, form, change) -> None:
        if not change or not form.changed_data:
            return
        # Only what the form changed, so a status change made meanwhile is never overwritten.
        services.update_details(obj, {name: form.cleaned_data[name] for name in form.changed_data}, actor=request.user)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if request.method == "GET" and obj is not None and "requester" in self._fields_shown(request, obj):
            people.requester_details_for(request.user, obj, where="admin")  # the requester is shown: audit it
        if change and obj is not None and self.has_change_permission(request, obj):
            context.setdefault("status_form", StatusChangeForm(service_request=obj))
            context.setdefault("note_form", NoteForm())
            info = self.opts.app_label, self.opts.model_name
            context.setdefault(
                "operation_links",
                [
                    (
                        reverse("admin:{}_{}_{}".format(*info, name), args=[obj.pk], current_app=self.admin_site.name),
                        title,
                    )
                    for name, title in OPERATIONS.items()
                ],
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # --- the list ----------------------------------------------------------------------------------

    def _local(self, obj: ServiceRequest, value):
        if value is None:
            return self.get_empty_value_display()
        return date_format(timezone.localtime(value, obj.jurisdiction.zone), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("requested"), ordering="requested_at")
    def requested(self, obj: ServiceRequest) -> str:
        return self._local(obj, obj.requested_at)

    @admin.display(description=_("expected by"), ordering="expected_at")
    def expected(self, obj: ServiceRequest) -> str:
        return self._local(obj, obj.expected_at)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj: ServiceRequest) -> bool:
        return obj.is_overdue(timezone.now())

    def get_search_results(self, request, queryset, search_term):
        # "#10000001" is how tracking numbers are written to residents.
        search_term = re.sub(r"(^|\s)#+(?=\d)", r"\1", search_term)
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description=_("Acknowledge the selected requests"), permissions=["change"])
    def acknowledge(self, request, queryset) -> None:
        chosen = list(queryset.order_by("pk")[: BULK_ACTION_LIMIT + 1])
        if len(chosen) > BULK_ACTION_LIMIT:
            self.message_user(
                request,
                gettext("Choose at most %(max)d requests at a time.") % {"max": BULK_ACTION_LIMIT},
                messages.ERROR,
            )
            return
        done, refused = 0, []
        for service_request in chosen:
            try:
                services.change_status(service_request, Status.ACKNOWLEDGED, actor=request.user)
            except ValidationError as exc:
                refused.append(f"#{service_request.tracking_number}: {' '.join(exc.messages)}")
            else:
                done += 1
                self.log_change(request, service_request, gettext("Acknowledged."))
        if done:
            self.message_user(
                request,
                ngettext("Acknowledged %(count)d request.", "Acknowledged %(count)d requests.", done) % {"count": done},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d request was not acknowledged: %(reasons)s",
                    "%(count)d requests were not acknowledged: %(reasons)s",
                    len(refused),
                )
                % {"count": len(refused), "reasons": " · ".join(refused)},
                messages.WARNING,
            )

    # --- status changes and notes ----------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("overdue/", self.admin_site.admin_view(self.overdue_view), name="{}_{}_overdue".format(*info)),
            path(
                "<path:object_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name="{}_{}_status".format(*info),
            ),
            path("<path:object_id>/note/", self.admin_site.admin_view(self.note_view), name="{}_{}_note".format(*info)),
            *[
                path(
                    f"<path:object_id>/{name}/",
                    self.admin_site.admin_view(getattr(self, f"{name}_view")),
                    name="{}_{}_{}".format(*info, name),
                )
                for name in OPERATIONS
            ],
            *super().get_urls(),
        ]

    # --- the supervisors' view: overdue and escalated --------------------------------------------------

    OVERDUE_PER_PAGE = 100

    def overdue_view(self, request):
        """Open requests past their due date or escalated for it, the longest overdue first."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        now = timezone.now()
        latest = Escalation.objects.filter(service_request=OuterRef("pk"), due_at=OuterRef("expected_at")).order_by(
            "-step__order", "-escalated_at"
        )
        rows = (
            self.get_queryset(request)
            .filter(status__in=[status.value for status in OPEN_STATES], expected_at__isnull=False)
            .filter(Q(expected_at__lt=now) | _escalated_for_current_date())
        )
        counts = rows.aggregate(
            total=Count("pk"),
            overdue=Count("pk", filter=Q(expected_at__lt=now)),
            priority=Count("pk", filter=Q(is_priority=True)),
        )
        rows = (
            rows.select_related("assignee")
            .annotate(
                latest_step=Subquery(latest.values("step__label")[:1]),
                latest_escalated_at=Subquery(latest.values("escalated_at")[:1]),
            )
            .order_by("expected_at", "pk")
        )
        page = Paginator(rows, self.OVERDUE_PER_PAGE).get_page(request.GET.get("p"))
        info = self.opts.app_label, self.opts.model_name
        lines = [
            {
                "obj": obj,
                "url": reverse("admin:{}_{}_change".format(*info), args=[obj.pk], current_app=self.admin_site.name),
                "due": self._local(obj, obj.expected_at),
                "days_overdue": (now - obj.expected_at).days if obj.expected_at and obj.expected_at < now else None,
                "escalated": self._local(obj, obj.latest_escalated_at) if obj.latest_escalated_at else "",
            }
            for obj in page.object_list
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": gettext("Overdue and escalated requests"),
            "counts": counts,
            "page": page,
            "lines": lines,
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/requests/servicerequest/overdue.html", context)

    def _request_to_work_on(self, request, object_id: str) -> ServiceRequest:
        if not self.has_change_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(gettext("There is no such service request."))
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _change_page(self, obj: ServiceRequest) -> HttpResponseRedirect:
        info = self.opts.app_label, self.opts.model_name
        return HttpResponseRedirect(
            reverse("admin:{}_{}_change".format(*info), args=[obj.pk], current_app=self.admin_site.name)
        )

    def _render_workflow(
        self, request, obj: ServiceRequest, title: str, *, template: str = "workflow.html", **forms
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": obj,
            "title": title,
            "subtitle": str(obj),
            "has_view_permission": self.has_view_permission(request, obj),
            **forms,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, f"admin/requests/servicerequest/{template}", context)

    def _render_operation(self, request, obj: ServiceRequest, name: str, form) -> TemplateResponse:
        return self._render_workflow(
            request, obj, str(OPERATIONS[name]), template="operation.html", form=form, operation=name
        )

    def _operation_done(self, request, obj: ServiceRequest, change: str) -> HttpResponseRedirect:
        self.log_change(request, obj, change)
        messages.success(
            request, gettext("Request #%(number)s: %(change)s") % {"number": obj.tracking_number, "change": change}
        )
        return self._change_page(obj)

    def status_view(self, request, object_id: str):
        obj = self._request_to_work_on(request, object_id)
        form = StatusChangeForm(request.POST if request.method == "POST" else None, service_request=obj)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            from_status = obj.get_status_display()
            try:
                updated = services.change_status(
                    obj,
                    data["to_status"],
                    actor=request.user,
                    public_reason=data["public_reason"],
                    internal_note=data["internal_note"],
                    assignee=data["assignee"],
                    duplicate_of=data["duplicate_of"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return self._operation_done(
                    request,
                    updated,
                    gettext("Status changed from “%(from)s” to “%(to)s”.")
                    % {"from": from_status, "to": updated.get_status_display()},
                )
        return self._render_workflow(request, obj, gettext("Change status"), status_form=form)

    def note_view(self, request, object_id: str):
        obj = self._request_to_work_on(request, object_id)
        form = NoteForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                services.add_note(obj, form.cleaned_data["text"], actor=request.user, public=form.is_public)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return self._operation_done(
                    request, obj, gettext("Public note added.") if form.is_public else gettext("Internal note added.")
                )
        return self._render_workflow(request, obj, gettext("Add note"), note_form=form)

    # --- department work: transfer, follow-on, merge (services.transfer and friends) ------------------

    def transfer_view(self, request, object_id: str):
        obj = self._request_to_work_on(request, object_id)
        form = TransferForm(request.POST if request.method == "POST" else None, service_request=obj)
        if form.is_bound and form.is_valid():
            try:
                services.transfer(
                    obj, form.cleaned_data["department"], actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return self._operation_done(
                    request,
                    obj,
                    gettext("Transferred to %(department)s.") % {"department": form.cleaned_data["department"]},
                )
        return self._render_operation(request, obj, "transfer", form)

    def follow_on_view(self, request, object_id: str):
        obj = self._request_to_work_on(request, object_id)
        form = FollowOnForm(request.POST if request.method == "POST" else None, service_request=obj)
        if form.is_bound and request.POST.get("show"):
            # "Show the service's questions": the form again with the picked service's questions, nothing filed.
            form = FollowOnForm(
                service_request=obj,
                chosen=request.POST.get("service", ""),
                initial={
                    "description": request.POST.get("description", "")[:4000],
                    "department": request.POST.get("department", ""),
                },
            )
        elif form.is_bound and form.is_valid():
            try:
                child = services.create_follow_on(
                    obj,
                    service_code=form.cleaned_data["service"].code,
                    description=form.cleaned_data["description"],
                    actor=request.user,
                    department=form.cleaned_data["department"],
                    answers=form.cleaned_data["answers"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except services.CannedAnswer as answer:
                form.add_error(
                    None,
                    gettext("Nothing was filed: a safety rule answers this report instead. %(message)s")
                    % {"message": answer.message},
                )
            else:
                return self._operation_done(
                    request, obj, gettext("Follow-on request #%(number)s filed.") % {"number": child.tracking_number}
                )
        return self._render_operation(request, obj, "follow_on", form)

    def merge_view(self, request, object_id: str):
        obj = self._request_to_work_on(request, object_id)
        form = MergeForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            original = selectors.request_for_tracking(obj.jurisdiction, form.cleaned_data["original"])
            if original is None:
                form.add_error("original", gettext("There is no request with that tracking number."))
            else:
                try:
                    services.merge_duplicate(
                        obj, original, actor=request.user, public_reason=form.cleaned_data["public_reason"]
                    )
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                else:
                    return self._operation_done(
                        request, obj, gettext("Merged into request #%(number)s.") % {"number": original.tracking_number}
                    )
        return self._render_operation(request, obj, "merge", form)


OPERATIONS = {"transfer": _("Transfer"), "follow_on": _("Follow-on request"), "merge": _("Merge into")}


class TransferForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none(), label=_("Transfer to"))
    reason = forms.CharField(label=_("Reason (internal)"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, service_request: ServiceRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = (  # type: ignore[attr-defined]
            selectors.transfer_departments(service_request)
        )


class FollowOnForm(TargetServiceQuestions, forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.none(), label=_("Service"))
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(),
        label=_("Department"),
        required=False,
        help_text=_("Leave empty to route it as the service says."),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, service_request: ServiceRequest, chosen: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(  # type: ignore[attr-defined]
            jurisdiction_id=service_request.jurisdiction_id
        )
        self.fields["department"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            jurisdiction_id=service_request.jurisdiction_id
        )
        # The target service's questions (its required ones must be answered for the follow-on to file).
        self.set_up_questions(
            self.fields["service"].queryset,  # type: ignore[attr-defined]
            service_request.jurisdiction,
            chosen,
        )


class MergeForm(forms.Form):
    original = forms.CharField(label=_("Original request (tracking number)"), max_length=40)
    public_reason = forms.CharField(
        label=_("Reason the resident sees"), required=False, help_text=_("Empty: “Duplicate of request N.”")
    )


@admin.register(Contact)
class ContactAdmin(JurisdictionPickersMixin, admin.ModelAdmin):
    """Contacts are a record of what happened: read-only once made. Staff with the permission may log an
    information request here (agents use the console). The requester is shown to superusers only, audited."""

    list_display = ("started_at", "channel", "outcome", "service", "service_request")
    list_filter = ("channel", "outcome")
    list_select_related = ("service", "service_request__service")
    date_hierarchy = "started_at"
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    base_fields = (
        "jurisdiction",
        "channel",
        "outcome",
        "service",
        "service_request",
        "agent",
        "summary",
        "started_at",
        "ended_at",
    )

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(InformationRequestForm.Meta.fields)
        if roles.may_browse_requesters(request.user):
            return [*self.base_fields, "requester"]
        return list(self.base_fields)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        shown = self.get_object(request, object_id)
        if (
            shown is not None
            and request.method == "GET"
            and shown.requester_id is not None
            and "requester" in self.get_fields(request, shown)
        ):
            people.audit_look(request.user, requester=shown.requester, where="admin: contacts")
        return super().change_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = InformationRequestForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service", "service_request__service")

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        saved = services.log_information_request(
            data["jurisdiction"],
            channel=data["channel"],
            summary=data["summary"],
            service=data.get("service"),
            outcome=data["outcome"],
            agent=request.user,
        )
        obj.pk = saved.pk  # so the admin's "added" message and log entry point at the saved contact

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return roles.may_delete_records(request.user)


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """History entries whose messages, webhooks and forwarding are still to be made (normally none for long):
    a row that stays, with attempts and an error, is a listener failing; it is retried with backoff.
    Never added or changed here; deleted only with its request (a superuser deleting a request deletes it)."""

    list_display = ("history_entry_id", "request_number", "created_at", "attempts", "next_attempt_at", "last_error")
    list_select_related = ("history_entry__service_request",)
    ordering = ("created_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("request"))
    def request_number(self, obj: Announcement) -> str:
        return obj.history_entry.service_request.tracking_number
