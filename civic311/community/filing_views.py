"""A liaison's filing pages: a request on behalf of a neighbor, a community meeting's notes as requests,
and the history of what they filed. Thin: the rules are `services.liaison_filing`'s, who may is
`roles.may_file_as_liaison`'s."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from civic311.catalogue import selectors as catalogue
from civic311.jurisdictions.models import Neighborhood
from civic311.people import roles
from civic311.people.models import User
from civic311.service_requests import services as requests_services

from . import filing_forms
from .models import Liaison
from .selectors import liaison_filing as filings
from .services import liaison_filing

FILED_PER_PAGE = 20
SIGN_IN_PATH = "/sign-in/"

View = Callable[..., HttpResponse]


def liaison_filing_page(view: View) -> View:
    """An active liaison's page: strangers are sent to sign in, anyone else is refused."""

    @wraps(view)
    @never_cache  # a neighbour's contact details, on a liaison's phone or a library's computer
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return HttpResponseRedirect(f"{SIGN_IN_PATH}?{urlencode({'next': request.get_full_path()})}")
        if not roles.may_file_as_liaison(user):
            raise PermissionDenied(_("These pages are for neighborhood liaisons."))
        liaison = Liaison.objects.select_related("jurisdiction").filter(user_id=user.pk).first()
        if liaison is None:
            raise PermissionDenied(_("These pages are for neighborhood liaisons."))
        request.liaison = liaison  # type: ignore[attr-defined]
        request.jurisdiction = liaison.jurisdiction  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return gated


def _liaison(request: HttpRequest) -> Liaison:
    liaison: Liaison = request.liaison  # type: ignore[attr-defined]
    return liaison


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the gate let only a liaison's account in
    return user


# --- on behalf of a neighbour ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@liaison_filing_page
def report(request: HttpRequest) -> HttpResponse:
    liaison = _liaison(request)
    jurisdiction = liaison.jurisdiction
    done = request.GET.get("done", "")
    if done:
        filing = filings.filing_by_tracking_number(_user(request), done)
        if filing is None:
            return redirect("liaison:report")
        return render(request, "community/liaison/report_done.html", {"filing": filing})

    code = (request.GET.get("service") or request.POST.get("service") or "").strip()
    try:
        service = catalogue.service_for_report(jurisdiction, code) if code else None
    except ValidationError:
        service = None
    if service is None:
        chooser = filing_forms.ChooseServiceForm(jurisdiction, request.GET if code else None)
        if code:
            chooser.is_valid()
        return render(request, "community/liaison/report_choose.html", {"chooser": chooser})

    if request.method != "POST":
        return _render_report(request, filing_forms.NeighbourReportForm(service, jurisdiction))
    form = filing_forms.NeighbourReportForm(service, jurisdiction, data=request.POST, files=request.FILES)
    try:
        submission = liaison_filing.file_on_behalf(
            _user(request), form.to_report(), neighbour_consented=form.neighbour_consented
        )
    except requests_services.CannedAnswer as answer:
        return render(
            request, "community/liaison/report_answered.html", {"service": service, "message": answer.message}
        )
    except ValidationError as error:
        form.add_errors(error)
        return _render_report(request, form, status=400)
    done_url = reverse("liaison:report") + "?" + urlencode({"done": submission.service_request.tracking_number})
    return redirect(done_url)


def _render_report(request: HttpRequest, form: filing_forms.NeighbourReportForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "community/liaison/report_form.html",
        {
            "form": form,
            "service": form.service,
            "service_name": form.service.localized("name"),
            "description_max": settings.CIVIC311_DESCRIPTION_MAX_CHARS,
            "photos_max": settings.CIVIC311_PHOTOS_PER_REQUEST,
            "photo_max_mb": settings.CIVIC311_PHOTO_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


# --- a meeting's notes ----------------------------------------------------------------------------------------


def _my_neighborhoods(request: HttpRequest) -> list[Neighborhood]:
    ids = roles.liaison_neighborhoods(_user(request))
    return list(Neighborhood.objects.filter(pk__in=ids).order_by("name"))


@require_http_methods(["GET", "POST"])
@liaison_filing_page
def meeting(request: HttpRequest) -> HttpResponse:
    liaison = _liaison(request)
    jurisdiction = liaison.jurisdiction
    neighborhoods = _my_neighborhoods(request)
    filed = request.GET.get("filed", "")
    if filed.isdigit():
        found = filings.meeting_filed_by(_user(request), int(filed))
        if found is None:
            return redirect("liaison:meeting")
        rows = [
            {"filing": filing, "service_name": filing.service_request.service.localized("name")} for filing in found[1]
        ]
        return render(request, "community/liaison/meeting_done.html", {"meeting": found[0], "rows": rows})

    if request.method != "POST":
        return _render_meeting(request, "notes", filing_forms.MeetingForm(neighborhoods), neighborhoods)

    form = filing_forms.MeetingForm(neighborhoods, request.POST)
    action = request.POST.get("action", "split")
    if not form.is_valid():
        return _render_meeting(request, "notes", form, neighborhoods, status=400)
    meeting_fields = form.meeting_fields()
    key = "".join(request.POST.get("filing_key", "").split())[:60] or filing_forms.new_filing_key()

    if action == "split":
        items = filing_forms.items_from_notes(jurisdiction, meeting_fields["notes"], meeting_fields["neighborhood"])
        if not items:
            form.add_error("notes", _("We found no items in these notes. Write one problem per line."))
            return _render_meeting(request, "notes", form, neighborhoods, status=400)
        return _render_meeting(request, "items", form, neighborhoods, items=items, key=key)

    items = filing_forms.items_from_post(request.POST)
    if action == "add":
        items.append(filing_forms.Item(len(items), "", neighborhood=meeting_fields["neighborhood"]))
        return _render_meeting(request, "items", form, neighborhoods, items=items, key=key)
    if action == "back":
        return _render_meeting(request, "notes", form, neighborhoods, items=items, key=key)
    if action == "edit":
        return _render_meeting(request, "items", form, neighborhoods, items=items, key=key)

    items = filing_forms.renumbered(items)
    offered = {service.code: service for service in catalogue.offered_services(jurisdiction)}
    known = set(offered)
    for item in items:
        filing_forms.drop_other_answers(item, offered.get(item.service_code))
    if not items:
        return _render_meeting(
            request,
            "items",
            form,
            neighborhoods,
            items=items,
            key=key,
            problems=[_("There is nothing to file: add at least one item.")],
            status=400,
        )
    if not filing_forms.check_items(items, known):
        return _render_meeting(request, "items", form, neighborhoods, items=items, key=key, status=400)
    if action != "file":
        return _render_meeting(request, "review", form, neighborhoods, items=items, key=key)

    language = get_language() or ""
    try:
        filing = liaison_filing.file_meeting(
            _user(request), meeting_fields, [item.to_fields(language) for item in items], filing_key=key
        )
    except ValidationError as error:
        problems = filing_forms.attach_errors(items, error)
        return _render_meeting(
            request, "items", form, neighborhoods, items=items, key=key, problems=problems, status=400
        )
    return redirect(reverse("liaison:meeting") + "?" + urlencode({"filed": filing.meeting.pk}))


def _render_meeting(
    request: HttpRequest,
    step: str,
    form: filing_forms.MeetingForm,
    neighborhoods: list[Neighborhood],
    *,
    items: list[filing_forms.Item] | None = None,
    key: str = "",
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    jurisdiction = _liaison(request).jurisdiction
    items = items or []
    services = {service.code: service for service in catalogue.offered_services(jurisdiction)}
    rows = []
    for item in items:
        service = services.get(item.service_code)
        # The service's questions (asked on step 2, carried through the review): without them a service
        # with a required question could never be filed from a meeting.
        questions = filing_forms.item_questions(item, service, jurisdiction) if service else []
        shown = {"service_code", "description", "location", "address", "neighborhood"}
        shown.update(question.name.removeprefix(item.prefix) for question in questions)
        rows.append(
            {
                "item": item,
                "service_name": service.localized("name") if service else "",
                "neighborhood_name": next((n.name for n in neighborhoods if n.slug == item.neighborhood), ""),
                "questions": questions,
                "answer_lines": [
                    (
                        question.label,
                        ", ".join(choice.label for choice in question.choices if choice.checked)
                        if question.choices
                        else question.value,
                    )
                    for question in questions
                    if question.widget != "note" and (question.value or any(c.checked for c in question.choices))
                ],
                "other_errors": [
                    message for name, messages in item.errors.items() if name not in shown for message in messages
                ],
            }
        )
    return render(
        request,
        f"community/liaison/meeting_{step}.html",
        {
            "form": form,
            "step": step,
            "rows": rows,
            "items_total": len(items),
            "filing_key": key,
            "service_choices": filing_forms.service_choices(jurisdiction) if step == "items" else [],
            "neighborhoods": neighborhoods,
            "problems": problems or [],
            "has_errors": bool(problems) or any(item.errors for item in items) or bool(form.errors),
            "max_items": liaison_filing.MAX_ITEMS,
            "at_most": len(items) >= liaison_filing.MAX_ITEMS,
        },
        status=status,
    )


# --- what they filed ------------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@liaison_filing_page
def filed(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    page = Paginator(filings.filings_of(user), FILED_PER_PAGE).get_page(request.GET.get("page"))
    zone = _liaison(request).jurisdiction.zone
    rows = [
        {
            "filing": filing,
            "service_name": filing.service_request.service.localized("name"),
            "filed_at": filing.filed_at.astimezone(zone),
            "contact": filings.neighbour_contact(user, filing),
        }
        for filing in page
    ]
    return render(request, "community/liaison/filed.html", {"page": page, "rows": rows})
