"""Department work pages: the queue and the request page. Thin: reads from `selectors`, writes through
`services` (and `civic311.service_requests.services`), with the acting user every time.

Every page works as plain forms and full reloads; htmx only polls for changes (see docs/department-work.md).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from civic311.people import roles
from civic311.people.models import User
from civic311.people.selectors import requester_details_for
from civic311.people.staff_pages import staff_page
from civic311.service_requests import selectors as request_selectors
from civic311.service_requests import services as requests
from civic311.service_requests.models import ServiceRequest

from . import forms, selectors, services

work_page = staff_page(rule=roles.may_work_queues)


def _staff(request: HttpRequest) -> User:
    # The work_page gate lets only signed-in staff through.
    return cast(User, request.user)


def _jurisdiction(request: HttpRequest):
    return getattr(request, "jurisdiction", None)


# --- the queue --------------------------------------------------------------------------------------------


def _filter_form(request: HttpRequest) -> forms.QueueFilterForm:
    """The queue's filters as asked, over the departments the user works (`form.departments`)."""
    jurisdiction = _jurisdiction(request)
    departments = list(selectors.work_departments(_staff(request), jurisdiction))
    form = forms.QueueFilterForm(request.GET, user=_staff(request), departments=departments, jurisdiction=jurisdiction)
    form.is_valid()
    return form


def _queue_context(request: HttpRequest, form: forms.QueueFilterForm | None = None) -> dict[str, Any]:
    user = _staff(request)
    jurisdiction = _jurisdiction(request)
    form = form or _filter_form(request)
    departments = form.departments
    filters = form.filters()
    now = timezone.now()
    soon = selectors.due_soon_until(jurisdiction, now) if jurisdiction is not None else None
    rows = selectors.queue(user, filters, jurisdiction=jurisdiction, now=now)
    queue_page = selectors.page(rows, filters)
    for row in queue_page.requests:
        row.risk = selectors.risk_of(row, now, soon)  # type: ignore[attr-defined]
    return {
        "form": form,
        "filters": filters,
        "departments": departments,
        "page": queue_page,
        "counts": selectors.queue_counts(user, jurisdiction=jurisdiction, department=filters.department, now=now),
        "query": filters.query_string(),
        "query_with_cursor": filters.query_string(with_cursor=True),
        "next_query": _with(filters.params(), after=queue_page.next_cursor) if queue_page.next_cursor else "",
        "version": selectors.queue_version(user, filters, jurisdiction=jurisdiction),
        "now": now,
    }


def _with(params: dict[str, str], **extra: str) -> str:
    from django.utils.http import urlencode

    return urlencode({**params, **extra})


@require_GET
@work_page
def home(request: HttpRequest) -> HttpResponse:
    """The queue: filters (GET), counts, the table with SLA badges, bulk actions and saved views."""
    context = _queue_context(request)
    department_ids = [department.pk for department in context["departments"]]
    jurisdiction = _jurisdiction(request)
    context.update(
        {
            "bulk_form": forms.BulkActionForm(
                people=selectors.assignable_staff_of(department_ids),
                templates=selectors.response_templates_for_departments(jurisdiction, department_ids),
            ),
            "save_view_form": forms.SaveViewForm(
                initial={"query": context["query"]}, departments=context["departments"]
            ),
            "saved_views": selectors.saved_views_for(_staff(request), jurisdiction),
        }
    )
    return render(request, "work/home.html", context)


@require_GET
@work_page
def queue_live(request: HttpRequest) -> HttpResponse:
    """Polled by the queue page: 204 when nothing in its departments changed since `version`."""
    form = _filter_form(request)
    changed = selectors.changes_since(
        _staff(request), form.filters(), request.GET.get("version", ""), jurisdiction=_jurisdiction(request)
    )
    if not changed.exists():
        return HttpResponse(status=204)
    context = _queue_context(request, form)
    context["live_refresh"] = True
    return render(request, "work/_queue_results.html", context)


def _back_to_queue(request: HttpRequest) -> HttpResponseRedirect:
    query = request.POST.get("query", "")
    url = reverse("work:home") + (f"?{selectors.clean_query(query)}" if query else "")
    return HttpResponseRedirect(url)


@require_POST
@work_page
def bulk(request: HttpRequest) -> HttpResponse:
    """Assign, change the status of, or add a public note to the ticked requests: all or nothing."""
    jurisdiction = _jurisdiction(request)
    department_ids = list(selectors.work_departments(_staff(request), jurisdiction).values_list("pk", flat=True))
    templates = selectors.response_templates_for_departments(jurisdiction, department_ids)
    form = forms.BulkActionForm(request.POST, people=selectors.assignable_staff_of(department_ids), templates=templates)
    ids = request.POST.getlist("requests")
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            text = " ".join(str(error) for error in errors)
            messages.error(request, f"{label}: {text}" if label else text)
        return _back_to_queue(request)
    action = form.cleaned_data["action"]
    user = _staff(request)
    try:
        if action == form.ASSIGN:
            assignee = None
            if form.cleaned_data["assignee"] is not None:
                assignee = selectors.assignable_staff_of(department_ids).get(pk=form.cleaned_data["assignee"])
            done = services.bulk_assign(ids, assignee, actor=user, jurisdiction=jurisdiction)
        elif action == form.STATUS:
            done = services.bulk_change_status(
                ids,
                form.cleaned_data["to_status"],
                actor=user,
                jurisdiction=jurisdiction,
                public_reason=form.cleaned_data["public_reason"],
            )
        else:
            template = None
            if form.cleaned_data["template"] is not None:
                template = templates.get(pk=form.cleaned_data["template"])
            done = services.bulk_public_note(
                ids, form.cleaned_data["text"], actor=user, jurisdiction=jurisdiction, template=template
            )
    except services.BulkActionRefused as refused:
        messages.error(
            request,
            _("Nothing was changed: %(count)d of the chosen requests were refused.") % {"count": len(refused.refusals)},
        )
        for refusal in refused.refusals:
            messages.error(request, f"#{refusal.tracking_number}: {' '.join(refusal.messages)}")
        return _back_to_queue(request)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return _back_to_queue(request)
    messages.success(
        request, ngettext("%(count)d request changed.", "%(count)d requests changed.", len(done)) % {"count": len(done)}
    )
    return _back_to_queue(request)


@require_POST
@work_page
def save_view(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    departments = list(selectors.work_departments(_staff(request), jurisdiction))
    form = forms.SaveViewForm(request.POST, departments=departments)
    if form.is_valid():
        department = next((d for d in departments if d.pk == form.cleaned_data["department"]), None)
        try:
            view = services.save_view(
                _staff(request),
                form.cleaned_data["name"],
                form.cleaned_data["query"],
                jurisdiction=jurisdiction,
                department=department,
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return HttpResponseRedirect(reverse("work:home") + (f"?{view.query}" if view.query else ""))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
    return _back_to_queue(request)


@require_POST
@work_page
def delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(selectors.saved_views_for(_staff(request), _jurisdiction(request)), pk=pk)
    services.delete_view(view, actor=_staff(request))  # PermissionDenied: 403
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("work:home")


# --- the request page ---------------------------------------------------------------------------------


def _service_request(request: HttpRequest, number: str) -> ServiceRequest:
    found = selectors.request_for_work(_staff(request), _jurisdiction(request), number)
    if found is None:
        # Another department's request is answered as if it did not exist.
        raise Http404(_("There is no such request in your queues."))
    return found


def _request_page(
    request: HttpRequest, service_request: ServiceRequest, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    templates = [
        (template, services.render_template(template, service_request))
        for template in selectors.response_templates_for(service_request)
    ]
    picked = request.GET.get("template", "")
    template_choice, note_initial = None, {}
    for template, text in templates:
        if str(template.pk) == picked:
            template_choice, note_initial = template, {"text": text, "public": template.is_public}
    context = {
        "sr": service_request,
        "may_change": _may_change(request, service_request),
        "requester": requester_details_for(_staff(request), service_request, where=selectors.AUDIT_WHERE),
        "assign_form": bound.get("assign") or forms.AssignForm(service_request=service_request),
        "status_form": bound.get("status") or forms.StatusForm(service_request=service_request),
        "note_form": bound.get("note") or forms.NoteForm(initial=note_initial),
        "template_form": forms.TemplatePickForm(
            initial={"template": template_choice.pk if template_choice else None}, service_request=service_request
        ),
        "templates": templates,
        "transfer_form": bound.get("transfer") or forms.TransferForm(service_request=service_request),
        "follow_on_form": bound.get("follow_on") or _follow_on_form(request, service_request),
        "follow_on_open": "follow_on" in bound or bool(request.GET.get("follow-service")),
        "merge_form": bound.get("merge") or forms.MergeForm(),
        "photo_form": bound.get("photo") or forms.PhotoForm(),
        "queue_query": selectors.clean_query(request.GET.get("from", "")),
        "map_icons": _MAP_ICONS,
        **_live_context(service_request),
    }
    return render(request, "work/request.html", context, status=status)


# Leaflet guesses its marker images from its script's URL, which breaks once static files are renamed
# with content hashes in production (as on the public report form): the map is given the real URLs.
_MAP_ICONS = {
    "icon": "vendor/leaflet/images/marker-icon.png",
    "icon2x": "vendor/leaflet/images/marker-icon-2x.png",
    "shadow": "vendor/leaflet/images/marker-shadow.png",
}


def _follow_on_form(request: HttpRequest, service_request: ServiceRequest) -> forms.FollowOnForm:
    """The follow-on form, with the questions of the service picked on the page (`?follow-service=`: the
    "Show its questions" button without JavaScript, the htmx fragment with it)."""
    return forms.FollowOnForm(
        service_request=service_request,
        chosen=request.GET.get("follow-service", ""),
        initial={"description": request.GET.get("follow-description", "")[:4000]},
    )


def _live_context(service_request: ServiceRequest) -> dict[str, Any]:
    now = timezone.now()
    soon = selectors.due_soon_until(service_request.jurisdiction, now)
    return {
        "sr": service_request,
        "risk": selectors.risk_of(service_request, now, soon),
        "history": selectors.history(service_request),
        "photos": selectors.photos(service_request),
        "answers": request_selectors.answers_of(service_request),
        "children": selectors.children(service_request),
        "version": selectors.request_version(service_request),
    }


def _may_change(request: HttpRequest, service_request: ServiceRequest) -> bool:
    return roles.may_change_request(_staff(request), service_request)


@require_GET
@work_page
def request_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _request_page(request, _service_request(request, number))


@require_GET
@work_page
def request_live(request: HttpRequest, number: str) -> HttpResponse:
    """Polled by the request page: 204 while unchanged, else the refreshed details and a notice."""
    service_request = _service_request(request, number)
    if request.GET.get("version", "") == selectors.request_version(service_request):
        return HttpResponse(status=204)
    context = _live_context(service_request)
    context["live_refresh"] = True
    return render(request, "work/_request_live.html", context)


def _done(request: HttpRequest, service_request: ServiceRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    still_ours = selectors.request_for_work(_staff(request), _jurisdiction(request), service_request.tracking_number)
    if still_ours is None:  # transferred out of the user's departments
        return redirect("work:home")
    return redirect("work:request", number=service_request.tracking_number)


def _act(request: HttpRequest, number: str, name: str, make_form, action, success: str) -> HttpResponse:
    """Run one form of the request page: back to the page on success; the page with the form's input and
    errors (400) otherwise. PermissionDenied from the service is left to Django (403)."""
    service_request = _service_request(request, number)
    form = make_form(service_request)
    if form.is_valid():
        try:
            action(service_request, form.cleaned_data)
        except ValidationError as error:
            if hasattr(form, "add_service_errors"):  # a form that places some errors itself (the follow-on's answers)
                form.add_service_errors(error)
            else:
                forms.apply_service_errors(form, error)
        else:
            return _done(request, service_request, success)
    # Re-read: the page shows the request as it is now, with this form's input and errors.
    return _request_page(request, _service_request(request, number), bound={name: form}, status=400)


def _bound(request: HttpRequest, form_class, *, per_request: bool = True):
    if per_request:
        return lambda sr: form_class(request.POST, request.FILES, service_request=sr)
    return lambda sr: form_class(request.POST, request.FILES)


@require_POST
@work_page
def assign(request: HttpRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        "assign",
        _bound(request, forms.AssignForm),
        lambda sr, data: requests.assign(sr, data["assignee"], actor=_staff(request)),
        _("Assignment saved."),
    )


@require_POST
@work_page
def change_status(request: HttpRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        "status",
        _bound(request, forms.StatusForm),
        lambda sr, data: services.change_status_with_after_photo(
            sr,
            data["to_status"],
            actor=_staff(request),
            public_reason=data["public_reason"],
            internal_note=data["internal_note"],
            after_photo=data.get("after_photo"),
        ),
        _("Status changed."),
    )


@require_POST
@work_page
def add_note(request: HttpRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        "note",
        _bound(request, forms.NoteForm, per_request=False),
        lambda sr, data: requests.add_note(sr, data["text"], actor=_staff(request), public=data["public"]),
        _("Note added."),
    )


@require_POST
@work_page
def transfer(request: HttpRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        "transfer",
        _bound(request, forms.TransferForm),
        lambda sr, data: requests.transfer(sr, data["department"], actor=_staff(request), reason=data["reason"]),
        _("Request transferred."),
    )


@require_POST
@work_page
def follow_on(request: HttpRequest, number: str) -> HttpResponse:
    def file(sr: ServiceRequest, data: dict[str, Any]) -> None:
        try:
            child = requests.create_follow_on(
                sr,
                service_code=data["service"].code,
                description=data["description"],
                actor=_staff(request),
                answers=data["answers"],
            )
        except requests.CannedAnswer as answer:
            # A safety rule answers such a report instead of filing it ("gas escaping → call 911").
            raise ValidationError(
                _("Nothing was filed: a safety rule answers this report instead. %(message)s")
                % {"message": answer.message}
            ) from None
        messages.info(request, _("Follow-on request #%(number)s filed.") % {"number": child.tracking_number})

    if request.POST.get("follow-show"):
        # "Show the service's questions" (no JavaScript): the page again with the picked service's questions.
        service_request = _service_request(request, number)
        if not _may_change(request, service_request):
            raise PermissionDenied(_("You may read this request but not change it."))
        form = forms.FollowOnForm(
            service_request=service_request,
            chosen=request.POST.get("follow-service", ""),
            initial={"description": request.POST.get("follow-description", "")[:4000]},
        )
        return _request_page(request, service_request, bound={"follow_on": form})
    return _act(request, number, "follow_on", _bound(request, forms.FollowOnForm), file, _("Follow-on request filed."))


@require_GET
@work_page
def follow_on_questions(request: HttpRequest, number: str) -> HttpResponse:
    """The questions of the service picked in the follow-on form (htmx swaps them in on a change)."""
    service_request = _service_request(request, number)
    if not _may_change(request, service_request):
        raise PermissionDenied(_("You may read this request but not change it."))
    return render(
        request, "work/_follow_on_questions.html", {"follow_on_form": _follow_on_form(request, service_request)}
    )


@require_POST
@work_page
def merge(request: HttpRequest, number: str) -> HttpResponse:
    def merge_into(sr: ServiceRequest, data: dict[str, Any]) -> None:
        original = request_selectors.request_for_tracking(sr.jurisdiction, data["original"])
        if original is None:
            raise ValidationError(
                {
                    "original": _("There is no request with the tracking number %(number)s.")
                    % {"number": data["original"][:40]}
                }
            )
        requests.merge_duplicate(sr, original, actor=_staff(request), public_reason=data["public_reason"])

    return _act(
        request,
        number,
        "merge",
        _bound(request, forms.MergeForm, per_request=False),
        merge_into,
        _("Marked as a duplicate and merged."),
    )


@require_POST
@work_page
def add_photo(request: HttpRequest, number: str) -> HttpResponse:
    return _act(
        request,
        number,
        "photo",
        _bound(request, forms.PhotoForm, per_request=False),
        lambda sr, data: requests.add_photo(
            sr, data["photo"], actor=_staff(request), stage=data["stage"], public=data["public"]
        ),
        _("Photo added."),
    )
