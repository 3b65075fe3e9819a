"""The reviewers' pages for the resident translations (issue 21): `/translations/review/`, every language's
messages by review status, and `/translations/review/<code>/`, one language's messages (by status, 50 a page)
with "Mark as reviewed" and "Withdraw the review". Thin: the statuses come from `translation_selectors`, the
writes from `translation_services`; who may is `roles.may_review_translations`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from civic311.people import roles
from civic311.people.models import User
from civic311.people.staff_pages import staff_page

from . import translation_selectors as selectors
from . import translation_services as services
from .catalogues import Key
from .resident_languages import ResidentLanguage

review_page = staff_page(rule=roles.may_review_translations)
PAGE_SIZE = 50
STATUS_LABELS = {
    selectors.DRAFT: gettext_lazy("Draft"),
    selectors.CHANGED: gettext_lazy("Changed since review"),
    selectors.REVIEWED: gettext_lazy("Reviewed"),
    selectors.UNTRANSLATED: gettext_lazy("Untranslated"),
}


@review_page
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "translations/overview.html", {"languages": selectors.overview()})


@review_page
@require_http_methods(["GET", "POST"])
def language(request: HttpRequest, code: str) -> HttpResponse:
    chosen = selectors.reviewable_language(code)
    if chosen is None:
        raise Http404(_("There is no catalogue to review for this language."))
    status = request.GET.get("status") or None
    if status is not None and status not in selectors.STATUSES:
        return _render(request, chosen, None, error=_("There is no such status; showing every message."))
    if request.method == "POST":
        return _post(request, chosen, status)
    return _render(request, chosen, status)


def _post(request: HttpRequest, chosen: ResidentLanguage, status: str | None) -> HttpResponse:
    assert isinstance(request.user, User)  # staff_page let only a signed-in reviewer in
    keys: list[Key] = []
    for value in request.POST.getlist("message"):
        key = selectors.parse_choice(value)
        if key is None:
            return _render(request, chosen, status, error=_("The form was not understood; choose the messages again."))
        keys.append(key)
    withdraw = request.POST.get("action") == "withdraw"
    try:
        if withdraw:
            count = services.withdraw_review(chosen.code, keys, request.user)
        else:
            count = len(services.mark_reviewed(chosen.code, keys, request.user, request.POST.get("note", "")))
    except ValidationError as error:
        return _render(request, chosen, status, error=" ".join(error.messages))
    if withdraw:
        text = ngettext("Review withdrawn from %(count)d message.", "Review withdrawn from %(count)d messages.", count)
    else:
        text = ngettext("%(count)d message marked as reviewed.", "%(count)d messages marked as reviewed.", count)
    messages.success(request, text % {"count": count})
    query = {key: value for key, value in (("status", status), ("page", request.GET.get("page"))) if value}
    return redirect(request.path + (f"?{urlencode(query)}" if query else ""))


def _render(request: HttpRequest, chosen: ResidentLanguage, status: str | None, *, error: str = "") -> HttpResponse:
    shown, counts = selectors.language_review(chosen, status=status)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "language": chosen,
        "counts": counts,
        "status": status or "",
        "status_label": STATUS_LABELS.get(status or ""),
        "tabs": [(key, label, counts.counts[key]) for key, label in STATUS_LABELS.items()],
        "status_labels": STATUS_LABELS,
        "page": page,
        "error": error,
        "note": request.POST.get("note", "") if error else "",
        "may_withdraw": status in (selectors.REVIEWED, selectors.CHANGED),
    }
    return render(request, "translations/language.html", context, status=400 if error else 200)
