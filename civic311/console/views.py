"""The agent console: thin views over `console.services` and `console.selectors`.

Every page works without JavaScript (plain forms, full reloads); htmx only swaps the live search
results and the duplicate suggestions in place. Writes are POSTs that redirect back to the contact.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civic311.catalogue import selectors as catalogue
from civic311.form_errors import show_service_errors
from civic311.inbox import selectors as inbox_selectors
from civic311.inbox.models import InboxItem
from civic311.insights import services as insights
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.knowledge import selectors as knowledge
from civic311.people import roles
from civic311.people.contact_details import format_phone
from civic311.people.models import Customer, User
from civic311.people.selectors import customer_details_for, find_customers, supported_language
from civic311.people.staff_pages import staff_page
from civic311.service_requests.models import Channel, Contact
from civic311.service_requests.report_form import report_map_config
from civic311.service_requests.selectors import customer_history
from civic311.service_requests.services import CannedAnswer

from . import journeys, selectors, service_suggestions, services
from .forms import (
    AttachForm,
    CallerSearchForm,
    ChooseCustomerForm,
    ConsoleReportForm,
    InformationForm,
    NewCustomerForm,
    WrapUpForm,
)
from .inbox_forms import AssignForm, DismissForm, ReplyForm, StatusForm

console_page = staff_page(rule=roles.may_use_console)
HISTORY_ITEMS = 15
# The caller's words compared with open requests' (text_intelligence.duplicates): their start says enough.
DUPLICATE_TEXT_MAX_CHARS = 1000


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    return site_jurisdiction(request)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # staff_page: signed in


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _query(request: HttpRequest, name: str) -> str:
    return " ".join(request.GET.get(name, "").replace("\x00", "").split())[:200]


# --- home ------------------------------------------------------------------------------------------------


DESK_SESSION_KEY = "console_desk"


@console_page
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    user = _user(request)
    channels = [(value, label) for value, label in Channel.choices if value in selectors.CONSOLE_CHANNELS]
    context: dict[str, Any] = {
        "channels": channels,
        "desks": list(selectors.desks_of(jurisdiction)),
        "chosen_desk": request.session.get(DESK_SESSION_KEY),
        "day": selectors.agent_contacts_today(user, jurisdiction),
        "inbox_counts": inbox_selectors.inbox_counts(user, jurisdiction),
    }
    if roles.may_oversee_console(user):
        context["team"] = selectors.team_today(jurisdiction)
    context["may_see_journeys"] = roles.may_see_centre_journeys(user)
    return render(request, "console/home.html", context)


@console_page
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    channel = request.POST.get("channel", "")
    desk = selectors.desk_by_id(jurisdiction, request.POST.get("desk")) if channel == Channel.WALK_IN else None
    try:
        contact = services.start_contact(jurisdiction, _user(request), channel, desk=desk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("console:home")
    if desk is not None:
        request.session[DESK_SESSION_KEY] = desk.pk  # the desk the agent sits at, for their next walk-in
    return redirect("console:contact", pk=contact.pk)


# --- an inbox item's page (the inbox's views are in inbox_views) ----------------------------------------------


def render_item(request: HttpRequest, pk: int, *, status: int = 200, **forms: Any) -> HttpResponse:
    """The item's page; `forms` are bound forms sent back with their errors (the reply, the dismissal, and
    the contact flows' own: `report_form`, `wrap_up_form`...)."""
    user = _user(request)
    item = inbox_selectors.item_for(user, pk)
    now = timezone.now()
    item.overdue = item.is_overdue(now)  # type: ignore[attr-defined]
    contact = item.contact
    mine = item.assigned_to_id == user.pk
    contact_is_mine = contact is not None and contact.ended_at is None and selectors.may_work_contact(user, contact)
    manages = inbox_selectors.may_manage(user, item)
    context: dict[str, Any] = {
        "item": item,
        "conversation": item.conversation,  # type: ignore[attr-defined]  # item_for's prefetch
        "show_sender": roles.may_see_contact_details(user),
        "manages": manages,
        "mine": mine,
        "may_take": item.assigned_to_id in (None, user.pk) and not contact_is_mine,
        "reply_limit": inbox_selectors.reply_limit(item),
        "reply_form": forms.pop("reply_form", None) or ReplyForm(limit=inbox_selectors.reply_limit(item)),
        "dismiss_form": forms.pop("dismiss_form", None) or DismissForm(),
        "status_form": StatusForm(initial={"status": item.status}),
        "assign_form": AssignForm(
            initial={"agent": item.assigned_to_id, "team": item.team_id},
            agents=inbox_selectors.assignees(item),
            teams=inbox_selectors.teams(item.jurisdiction),
        ),
        "now": now,
    }
    if contact is not None and selectors.may_view_contact(user, contact):
        context["contact_flows"] = True
        context.update(contact_context(request, contact, item=item, **forms))
    return render(request, "console/inbox_item.html", context, status=status)


# --- the one screen --------------------------------------------------------------------------------------


def _customer_view(user: User, contact: Contact) -> dict[str, Any]:
    """The caller's record (an audited look) and their history."""
    if contact.customer is None:
        return {}
    customer = customer_details_for(user, contact.customer, where=services.WHERE)
    phones, emails, addresses = list(customer.phones.all()), list(customer.emails.all()), list(customer.addresses.all())
    journey = journeys.customer_timeline(customer) if roles.may_see_customer_journey(user) else None
    return {
        "customer": customer,
        "phones": phones,
        "emails": emails,
        "addresses": addresses,
        "primary_phone": selectors.primary(phones),
        "primary_email": selectors.primary(emails),
        "primary_address": selectors.primary(addresses),
        "history": journey.history[:HISTORY_ITEMS] if journey else customer_history(customer, limit=HISTORY_ITEMS),
        "journey": journey,
        "journey_zone": contact.jurisdiction.zone,
    }


def _report_initial(caller: dict[str, Any]) -> dict[str, str]:
    customer: Customer | None = caller.get("customer")
    if customer is None:
        return {}
    initial = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "caller_language": supported_language(customer.preferred_language),
    }
    if caller.get("primary_email"):
        initial["email"] = caller["primary_email"].email
    if caller.get("primary_phone"):
        initial["phone"] = format_phone(caller["primary_phone"].number)  # as the agent reads it out
    address = caller.get("primary_address")
    if address is not None:
        initial.update(address=address.address, zipcode=address.zipcode)
        if address.lat is not None and address.long is not None:
            initial.update(lat=str(address.lat), long=str(address.long))
    return initial


def _found_answers(
    request: HttpRequest, jurisdiction: Jurisdiction, query: str, *, log: bool = True
) -> tuple[list | None, int | None]:
    """The answers for the agent's query, the search logged (channel "console") when the agent asked for it.

    The results shown while the agent types are not logged: one question would count as every prefix of it.
    """
    if not query:
        return None, None
    found = selectors.search_answers(jurisdiction, query, get_language())
    search_id = None
    if log and request.method == "GET":
        search_id = insights.log_search(
            jurisdiction, query, language=get_language() or "en", channel="console", result_count=len(found)
        )
    return found, search_id


def _used_article(request: HttpRequest, jurisdiction: Jurisdiction, values: Any) -> Any:
    """The help article the agent is answering from (`?article=` or the form's hidden field), if any."""
    return knowledge.article_by_slug(jurisdiction, (values.get("article") or "")[:120])


def _duplicates(request: HttpRequest, contact: Contact, service, values: dict[str, str]) -> list:
    if service is None:
        return []
    lat, long = selectors.parse_point(contact.jurisdiction, values.get("lat"), values.get("long"))
    return selectors.duplicate_suggestions(
        service,
        lat,
        long,
        address=values.get("address", ""),
        text=values.get("description", "")[:DUPLICATE_TEXT_MAX_CHARS],
        user=_user(request),
    )


def _render_contact(
    request: HttpRequest,
    contact: Contact,
    *,
    status: int = 200,
    report_form: ConsoleReportForm | None = None,
    show_duplicates: bool = False,
    **forms: Any,
) -> HttpResponse:
    """The contact's page; for an inbox item's contact, the item's page (where its agent works it)."""
    item = inbox_selectors.item_of_contact(contact)
    if item is not None:
        return render_item(
            request, item.pk, status=status, report_form=report_form, show_duplicates=show_duplicates, **forms
        )
    context = contact_context(request, contact, report_form=report_form, show_duplicates=show_duplicates, **forms)
    return render(request, "console/contact.html", context, status=status)


def _report_initial_for_item(item: InboxItem | None) -> dict[str, str]:
    """A request filed from an inbox item starts from the resident's message: its text, its place, the
    address they wrote from (not for a post: its author is only a handle)."""
    if item is None:
        return {}
    initial: dict[str, str] = {}
    message = inbox_selectors.latest_incoming(item)
    if message is not None:
        initial["description"] = message.body[:4000]
        if message.lat is not None and message.long is not None:
            initial.update(lat=str(message.lat), long=str(message.long))
    if "lat" not in initial and item.lat is not None and item.long is not None:
        # No point shared: the address or corner the words name (the item's reading), for the agent to check.
        initial.update(lat=str(item.lat), long=str(item.long))
    if item.channel == "email":
        initial["email"] = item.sender
    elif item.channel == "sms":
        initial["phone"] = format_phone(item.sender)
    if item.sender_name and item.channel != "social":
        first, _space, last = item.sender_name.partition(" ")
        initial.update(first_name=first, last_name=last)
    return initial


def console_map_config(jurisdiction: Jurisdiction) -> dict[str, Any]:
    """The report form's map (the public form's script, static/civic311/js/report.js), told for an agent:
    they click where the caller says the problem is."""
    config = report_map_config(jurisdiction)
    texts = config["messages"]
    return {
        **config,
        "messages": {
            **(texts if isinstance(texts, dict) else {}),
            "mapLabel": _("Map of the city. Click where the caller says the problem is to place a pin."),
            "tilesFailed": _(
                "The map pictures could not load. You can still click to place the pin, or type the address."
            ),
        },
    }


def contact_context(
    request: HttpRequest,
    contact: Contact,
    *,
    item: InboxItem | None = None,
    report_form: ConsoleReportForm | None = None,
    show_duplicates: bool = False,
    **forms: Any,
) -> dict[str, Any]:
    """What the contact's flows show (the caller, answers, the report form, the wrap-up): on the contact's
    page, and on an inbox item's page once its agent took it (`item`; its GET searches come back there)."""
    user = _user(request)
    jurisdiction = contact.jurisdiction
    may_work = selectors.may_work_contact(user, contact) and contact.ended_at is None
    caller = _customer_view(user, contact)
    work_url = (
        reverse("console:inbox_item", args=[item.pk])
        if item is not None
        else reverse("console:contact", args=[contact.pk])
    )
    context: dict[str, Any] = {
        "contact": contact,
        "may_work": may_work,
        "work_url": work_url,
        "inbox_item": item,
        **caller,
    }
    if may_work:
        caller_query = _query(request, "q")
        answer_query = _query(request, "s")
        answers, answer_search_id = _found_answers(request, jurisdiction, answer_query)
        context.update(
            caller_form=CallerSearchForm(initial={"q": caller_query}),
            caller_query=caller_query,
            callers=(
                find_customers(jurisdiction, caller_query, actor=user, where=services.WHERE) if caller_query else None
            ),
            new_customer_form=forms.get("new_customer_form") or NewCustomerForm(),
            answer_query=answer_query,
            answers=answers,
            answer_search_id=answer_search_id,
            suggestions=service_suggestions.caller_suggestions(jurisdiction, answer_query, language=get_language()),
        )
        if not contact.has_outcome:
            if report_form is None:
                service = selectors.reportable_service(jurisdiction, request.GET.get("service", ""))
                if service is not None:
                    initial = {**_report_initial_for_item(item), **_report_initial(caller)}
                    # The caller's words the agent picked a suggested service from: the description's start.
                    initial.setdefault("description", _query(request, "words"))
                    report_form = ConsoleReportForm(service, jurisdiction, initial=initial)
            info_service = selectors.service_by_code(jurisdiction, request.GET.get("info", ""))
            info_article = _used_article(request, jurisdiction, request.GET)
            summary = info_service.localized("description") if info_service else ""
            if info_article is not None:
                summary = knowledge.localized(info_article, get_language()).summary
            information_form = forms.get("information_form") or InformationForm(
                initial={
                    "service": info_service.code if info_service else "",
                    "summary": summary,
                    "article": info_article.slug if info_article else "",
                    "search": request.GET.get("search", "")[:18],
                }
            )
            context.update(
                report_form=report_form,
                service=report_form.service if report_form else None,
                information_form=information_form,
                info_service=info_service,
                attach_form=forms.get("attach_form"),
            )
            if report_form is not None:
                context["map_config"] = console_map_config(jurisdiction)
                context["duplicates"] = _duplicates(request, contact, report_form.service, report_form.values)
                context["show_duplicates"] = show_duplicates or any(
                    report_form.values.get(name) for name in ("lat", "long", "address")
                )
        else:
            primary_phone = caller.get("primary_phone")
            context["wrap_up_form"] = forms.get("wrap_up_form") or WrapUpForm(
                written=contact.channel in services.WRITTEN_CHANNELS,
                initial={
                    "callback_phone": format_phone(primary_phone.number) if primary_phone else "",
                },
            )
    return context


@console_page
@require_GET
def contact_page(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_for(_user(request), pk)
    item = inbox_selectors.item_of_contact(contact)
    if item is not None and selectors.may_work_contact(_user(request), contact) and contact.ended_at is None:
        return redirect("console:inbox_item", pk=item.pk)  # an inbox item's contact is worked on its page
    return _render_contact(request, contact)


def _working(request: HttpRequest, pk: int) -> Contact:
    """The contact a POST records on: only the agent's own, open one."""
    contact = selectors.contact_for(_user(request), pk)
    if not selectors.may_work_contact(_user(request), contact):
        raise PermissionDenied(_("Only the agent who took this contact can record it."))
    return contact


def _work_url(contact: Contact) -> str:
    """Where the contact is worked: its page, or its inbox item's."""
    item = inbox_selectors.item_of_contact(contact)
    return reverse("console:inbox_item", args=[item.pk]) if item else reverse("console:contact", args=[contact.pk])


def _back(contact: Contact, anchor: str = "") -> HttpResponse:
    return redirect(_work_url(contact) + (f"#{anchor}" if anchor else ""))


def _finished(request: HttpRequest, contact: Contact) -> HttpResponse | None:
    if contact.ended_at is None:
        return None
    messages.error(request, _("This contact is finished; start a new one."))
    return _back(contact)


# --- live fragments (htmx); the same results come with the full page without JavaScript ------------------------


@console_page
@require_GET
def callers(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _working(request, pk)
    if not _is_htmx(request):
        return redirect(_work_url(contact) + "?" + request.GET.urlencode() + "#caller")
    query = _query(request, "q")
    found = (
        find_customers(contact.jurisdiction, query, actor=_user(request), where=services.WHERE)
        if len(query) >= 2
        else None
    )
    return render(
        request,
        "console/_caller_results.html",
        {"contact": contact, "callers": found, "caller_query": query, "work_url": _work_url(contact)},
    )


@console_page
@require_GET
def answers(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _working(request, pk)
    if not _is_htmx(request):
        return redirect(_work_url(contact) + "?" + request.GET.urlencode() + "#answers")
    query = _query(request, "s")
    found, search_id = _found_answers(request, contact.jurisdiction, query, log=False)
    return render(
        request,
        "console/_answers.html",
        {
            "contact": contact,
            "answers": found,
            "answer_query": query,
            "answer_search_id": search_id,
            "suggestions": service_suggestions.caller_suggestions(contact.jurisdiction, query, language=get_language()),
            "inbox_item": inbox_selectors.item_of_contact(contact),
            "work_url": _work_url(contact),
        },
    )


@console_page
@require_http_methods(["GET", "POST"])
def duplicates(request: HttpRequest, pk: int) -> HttpResponse:
    """The possible duplicates of the request being filed; the page POSTs the caller's words with the place
    (kept out of addresses and logs), a GET gives the place alone."""
    contact = _working(request, pk)
    given = request.POST if request.method == "POST" else request.GET
    service = selectors.service_by_code(contact.jurisdiction, given.get("service", ""))
    values = {name: given.get(name, "") for name in ("lat", "long", "address", "description")}
    context = {
        "contact": contact,
        "duplicates": _duplicates(request, contact, service, values),
        "service": service,
        "show_duplicates": any(values[name] for name in ("lat", "long", "address")),
    }
    if contact.customer is not None:
        customer = customer_details_for(_user(request), contact.customer, where=services.WHERE)
        context["primary_email"] = selectors.primary(list(customer.emails.all()))
    return render(request, "console/_duplicates.html", context)


# --- the caller --------------------------------------------------------------------------------------------------


@console_page
@require_POST
def choose_customer(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _working(request, pk)
    if (response := _finished(request, contact)) is not None:
        return response
    form = ChooseCustomerForm(request.POST)
    customer = (
        Customer.objects.filter(pk=form.cleaned_data["customer"], jurisdiction=contact.jurisdiction).first()
        if form.is_valid()
        else None
    )
    if customer is None:
        messages.error(request, _("Choose the caller from the search results."))
        return _back(contact, "caller")
    try:
        services.attach_customer(contact, customer, agent=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back(contact, "answers")


@console_page
@require_POST
def new_customer(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _working(request, pk)
    if (response := _finished(request, contact)) is not None:
        return response
    form = NewCustomerForm(request.POST)
    if form.is_valid():
        try:
            services.create_customer_for_contact(contact, agent=_user(request), **form.cleaned_data)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("New customer record created for the caller."))
            return _back(contact, "answers")
    return _render_contact(request, contact, status=400, new_customer_form=form)


# --- the outcome ----------------------------------------------------------------------------------------------------


@console_page
@require_POST
def file_request(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _working(request, pk)
    if (response := _finished(request, contact)) is not None:
        return response
    jurisdiction = contact.jurisdiction
    try:
        service = catalogue.service_for_report(jurisdiction, request.POST.get("service", "")[:60])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(contact, "answers")
    form = ConsoleReportForm(service, jurisdiction, data=request.POST)
    if request.POST.get("action") == "check":
        # "Check for duplicates" without JavaScript: show the suggestions, file nothing.
        return _render_contact(request, contact, report_form=form, show_duplicates=True)
    report = form.to_report()
    item = inbox_selectors.item_of_contact(contact)
    if item is not None:
        report = services.report_for_item(item, report)  # its photos; a post's author as a handle only
    try:
        submission = services.file_request_for_contact(contact, report, agent=_user(request))
    except CannedAnswer as answer:
        messages.warning(request, answer.message)
        return _back(contact, "wrap-up")
    except ValidationError as error:
        if "contact" in getattr(error, "error_dict", {}):  # finished, or already has an outcome
            messages.error(request, " ".join(error.message_dict["contact"]))
            return _back(contact)
        form.add_errors(error)
        return _render_contact(request, contact, report_form=form, status=400)
    messages.success(
        request,
        _("Request %(number)s filed. Give the caller this tracking number.")
        % {"number": submission.service_request.tracking_number},
    )
    return _back(contact, "wrap-up")


@console_page
@require_POST
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _working(request, pk)
    if (response := _finished(request, contact)) is not None:
        return response
    form = AttachForm(request.POST)
    service_request = None
    if form.is_valid():
        service_request = selectors.request_for_console(
            _user(request), contact.jurisdiction, form.cleaned_data["service_request"]
        )
        if service_request is None:
            form.add_error("service_request", _("There is no such request to add the caller to."))
    if service_request is not None and form.is_valid():
        email = form.cleaned_data["subscribe_email"] if form.cleaned_data["subscribe"] else ""
        try:
            services.attach_to_existing(contact, service_request, agent=_user(request), subscribe_email=email)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(
                request, _("The caller was added to request %(number)s.") % {"number": service_request.tracking_number}
            )
            return _back(contact, "wrap-up")
    for field_messages in form.errors.values():
        for message in field_messages:
            messages.error(request, str(message))
    return _back(contact, "report")


@console_page
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _working(request, pk)
    if (response := _finished(request, contact)) is not None:
        return response
    form = InformationForm(request.POST)
    if form.is_valid():
        service = selectors.service_by_code(contact.jurisdiction, form.cleaned_data["service"])
        try:
            services.answer_information(
                contact,
                summary=form.cleaned_data["summary"],
                agent=_user(request),
                service=service,
                outcome=form.cleaned_data["outcome"],
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            article = _used_article(request, contact.jurisdiction, form.cleaned_data)
            if article is not None:  # the agent answered from a help article: count the read (and the click)
                insights.log_article_view(article, language=get_language() or "en", channel="console")
                if form.cleaned_data["search"].isdigit():
                    insights.log_click(int(form.cleaned_data["search"]), article)
            messages.success(request, _("The answer was recorded."))
            return _back(contact, "wrap-up")
    return _render_contact(request, contact, status=400, information_form=form)


# --- the wrap-up ----------------------------------------------------------------------------------------------------


@console_page
@require_POST
def finish(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _working(request, pk)
    if (response := _finished(request, contact)) is not None:
        return response
    form = WrapUpForm(request.POST, written=contact.channel in services.WRITTEN_CHANNELS)
    if form.is_valid():
        try:
            finished = services.finish_contact(
                contact,
                agent=_user(request),
                survey_consent=form.cleaned_data["survey_consent"],
                callback_phone=form.cleaned_data["callback_phone"],
                now=timezone.now(),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Contact finished. Handle time: %(time)s.")
                % {"time": selectors.format_duration(finished.handle_seconds)},
            )
            return _back(contact)
    return _render_contact(request, contact, status=400, wrap_up_form=form)


@console_page
@require_POST
def hung_up(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _working(request, pk)
    if (response := _finished(request, contact)) is not None:
        return response
    try:
        ended = services.caller_hung_up(contact, agent=_user(request), now=timezone.now())
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return _back(contact)
    messages.success(
        request,
        _("Contact ended: the caller hung up. Handle time: %(time)s.")
        % {"time": selectors.format_duration(ended.handle_seconds)},
    )
    return _back(contact)


__all__ = [
    "answer",
    "answers",
    "attach",
    "callers",
    "choose_customer",
    "contact_page",
    "duplicates",
    "file_request",
    "finish",
    "home",
    "hung_up",
    "new_customer",
    "render_item",
    "start",
]
