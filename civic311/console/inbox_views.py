"""The inbox in the console: the list of e-mails, texts and posts (overdue first, live), and one item's page
(the conversation, the reply, its status and assignment and, once taken, the console's contact flows).

Thin views over `inbox.selectors` and `inbox.services`. Every page works without JavaScript; htmx polls the
list every 10 s for a new version. Writes are POSTs that redirect back to the item.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civic311.form_errors import show_service_errors
from civic311.inbox import selectors, services
from civic311.inbox.models import InboxItem
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.people import roles
from civic311.people.models import User

from .inbox_forms import AGENT_FIELD, AssignForm, DismissForm, InboxFilterForm, ReplyForm, StatusForm
from .views import console_page, render_item


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # console_page: signed in


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- the list ----------------------------------------------------------------------------------------------------


def _list_context(request: HttpRequest) -> dict[str, Any]:
    user, jurisdiction = _user(request), site_jurisdiction(request)
    selectors.check_may_work(user, jurisdiction)
    teams = list(selectors.teams(jurisdiction))
    form = InboxFilterForm(request.GET or None, teams=teams)
    filters = form.filters()
    now = timezone.now()
    query: dict[str, str] = {name: str(value) for name, value in request.GET.items() if name in form.fields and value}
    return {
        "form": form,
        "filters": filters,
        "items": selectors.inbox(user, jurisdiction, filters, now=now),
        "counts": selectors.inbox_counts(user, jurisdiction, now=now),
        "version": selectors.inbox_version(user, jurisdiction, filters, now=now),
        "query": urlencode(query),
        "query_params": query,
        "show_sender": roles.may_see_contact_details(user),
        "may_import_posts": roles.may_manage_inbox(user, jurisdiction.pk),
        "now": now,
    }


@console_page
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "console/inbox.html", _list_context(request))


@console_page
@require_GET
def inbox_live(request: HttpRequest) -> HttpResponse:
    """Polled by the list: 204 when nothing in it changed since `version`, else the new list."""
    context = _list_context(request)
    if request.GET.get("version", "") == context["version"]:
        return HttpResponse(status=204)
    if not _is_htmx(request):
        return redirect(reverse("console:inbox") + ("?" + context["query"] if context["query"] else ""))
    context["live_refresh"] = True
    return render(request, "console/_inbox_results.html", context)


# --- one item ----------------------------------------------------------------------------------------------------


@console_page
@require_GET
def inbox_item(request: HttpRequest, pk: int) -> HttpResponse:
    return render_item(request, pk)


def _item(request: HttpRequest, pk: int) -> InboxItem:
    return selectors.item_for(_user(request), pk)


def _back(item: InboxItem, anchor: str = "") -> HttpResponse:
    return redirect(reverse("console:inbox_item", args=[item.pk]) + (f"#{anchor}" if anchor else ""))


def _refused(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    texts = error.messages if isinstance(error, ValidationError) else [str(error)]
    for text in texts:
        messages.error(request, text)


@console_page
@require_POST
def take(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    try:
        services.take(item, agent=_user(request))
    except ValidationError as error:
        _refused(request, error)
        return _back(item)
    messages.success(request, _("The item is yours: answer the resident, or work it like a call below."))
    return _back(item, "conversation")


@console_page
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    user = _user(request)
    form = AssignForm(request.POST, agents=selectors.assignees(item), teams=selectors.teams(item.jurisdiction))
    if not form.is_valid():
        messages.error(request, _("Choose an agent or a team from the lists."))
        return _back(item, "handling")
    giving_back = request.POST.get("action") == "give_back"
    agent = None if giving_back else form.cleaned_data["agent"]
    team = item.team if giving_back else form.cleaned_data["team"]
    if not giving_back and not selectors.may_manage(user, item) and AGENT_FIELD not in request.POST:
        agent = item.assigned_to  # an agent's form has no agent list: they hand it to a team and keep it
    try:
        services.assign(item, actor=user, agent=agent, team=team)
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
        return _back(item, "handling")
    messages.success(request, _("The item was handed on.") if not giving_back else _("You gave the item back."))
    return _back(item, "handling")


@console_page
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the statuses."))
        return _back(item, "handling")
    try:
        services.set_status(item, form.cleaned_data["status"], agent=_user(request))
    except (ValidationError, PermissionDenied) as error:
        _refused(request, error)
        return _back(item, "handling")
    messages.success(request, _("Status changed."))
    return _back(item, "handling")


@console_page
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = ReplyForm(request.POST, limit=selectors.reply_limit(item))
    if form.is_valid():
        try:
            services.reply(item, form.cleaned_data["text"], agent=_user(request))
        except ValidationError as error:
            show_service_errors(form, error, {"item": "text"})
        else:
            messages.success(request, _("Reply queued to be sent."))
            return _back(item, "conversation")
    return render_item(request, pk, status=400, reply_form=form)


@console_page
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            services.dismiss(item, form.cleaned_data["reason"], agent=_user(request))
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Item dismissed."))
            return redirect("console:inbox")
    return render_item(request, pk, status=400, dismiss_form=form)


__all__ = ["assign", "dismiss", "inbox", "inbox_item", "inbox_live", "render_item", "reply", "set_status", "take"]
