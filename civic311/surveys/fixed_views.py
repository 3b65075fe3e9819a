"""The public page of the "was it fixed?" e-mail survey: the requester's signed link, no sign-in.

Thin: the rules live in `civic311.surveys.fixed`. Works without JavaScript (a plain form posting back)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import fixed as fixed_survey

COMMENT_MAX = 2000


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [message for messages in error.message_dict.values() for message in messages]
    return list(error.messages)


@require_http_methods(["GET", "POST"])
def fixed(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = fixed_survey.read_fixed_token(token)
    except ValidationError as error:
        return render(request, "surveys/fixed.html", {"bad_link": True, "errors": _messages(error)}, status=404)
    # A link for another city's request is not this site's to answer.
    jurisdiction = getattr(request, "jurisdiction", None)
    if jurisdiction is not None and survey.service_request.jurisdiction_id != jurisdiction.pk:
        return render(request, "surveys/fixed.html", {"bad_link": True}, status=404)
    context: dict[str, object] = {
        "service_request": survey.service_request,
        "token": token,
        "comment_max": COMMENT_MAX,
        "reopen_days": settings.CIVIC311_RESIDENT_REOPEN_DAYS,
    }
    if fixed_survey.already_answered(survey):
        context["answered"] = True
        return render(request, "surveys/fixed.html", context, status=409 if request.method == "POST" else 200)
    if not fixed_survey.is_current(survey):
        context["stale"] = True
        return render(request, "surveys/fixed.html", context, status=400 if request.method == "POST" else 200)
    if request.method != "POST":
        return render(request, "surveys/fixed.html", context)
    answer = request.POST.get("fixed", "")
    comment = request.POST.get("comment", "")
    context["comment"] = comment[:COMMENT_MAX]
    if answer not in ("yes", "no"):
        context["errors"] = [fixed_survey.choose_message()]
        return render(request, "surveys/fixed.html", context, status=400)
    try:
        fixed_survey.record_fixed_answer(survey.service_request, token, answer == "yes", comment)
    except ValidationError as error:
        context["errors"] = _messages(error)
        return render(request, "surveys/fixed.html", context, status=400)
    context.update({"thanks": True, "was_fixed": answer == "yes"})
    return render(request, "surveys/fixed.html", context)
