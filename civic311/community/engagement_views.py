"""Community staff's engagement pages (each liaison's activity, messages to liaisons, community meetings) and
the program's figures for leadership (page, PDF, CSV). Thin: the rules are in `services.engagement` and
`civic311.people.roles`, the reads in `selectors.program` and `selectors.figures`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from civic311 import date_inputs
from civic311.db_routing import reads_from_replica
from civic311.jurisdictions.models import Jurisdiction, Neighborhood
from civic311.pdf import pdf_download, render_pdf
from civic311.spreadsheets import csv_download

from .models import Liaison
from .selectors import figures as figures_selectors
from .selectors import programme
from .services import engagement
from .staff_views import community_page, figures_page, programme_jurisdiction

PER_PAGE = 50


def _neighborhoods(jurisdiction: Jurisdiction) -> Any:
    return programme.city_neighborhoods(jurisdiction)


def _page(request: HttpRequest, items: Any) -> Any:
    return Paginator(items, PER_PAGE).get_page(request.GET.get("page"))


# --- liaisons ----------------------------------------------------------------------------------------------


class LiaisonFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name or e-mail"), required=False, max_length=100)
    neighborhood = forms.ModelChoiceField(
        label=gettext_lazy("Neighborhood"),
        queryset=Neighborhood.objects.none(),
        required=False,
        empty_label=gettext_lazy("Any neighborhood"),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language spoken"), required=False)

    def __init__(self, *args: Any, jurisdiction: Jurisdiction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["neighborhood"].queryset = _neighborhoods(jurisdiction)  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("Any status")), *Liaison.Status.choices]  # type: ignore[attr-defined]
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            ("", _("Any language")),
            *sorted(
                ((code, figures_selectors.language_name(code)) for code in programme.languages_spoken(jurisdiction)),
                key=lambda choice: choice[1],
            ),
        ]
        _style(self, "sm")

    def wanted(self) -> programme.LiaisonFilter:
        if not self.is_valid():
            return programme.LiaisonFilter()
        data = self.cleaned_data
        neighborhood = data.get("neighborhood")
        return programme.LiaisonFilter(
            neighborhood=neighborhood.pk if neighborhood else None,
            status=data.get("status") or "",
            language=data.get("language") or "",
            search=data.get("q") or "",
        )


@require_GET
@community_page
def liaisons(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    form = LiaisonFilterForm(request.GET or None, jurisdiction=jurisdiction)
    page = _page(request, programme.liaisons_with_activity(jurisdiction, form.wanted()))
    rows = [(found, programme.last_active(found)) for found in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "community/engagement/liaisons.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode(), "recent_days": programme.RECENT_DAYS},
    )


@require_GET
@community_page
def liaison(request: HttpRequest, pk: int) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    detail = programme.liaison_detail(jurisdiction, pk)
    if detail is None:
        raise Http404(_("There is no such liaison."))
    return render(
        request,
        "community/engagement/liaison.html",
        {
            "detail": detail,
            "liaison": detail.liaison,
            "recent_days": programme.RECENT_DAYS,
            # Their names, not the codes ("Spanish", not "es").
            "languages": [figures_selectors.language_name(code) for code in detail.liaison.languages],
            "message_language": figures_selectors.language_name(detail.liaison.language)
            if detail.liaison.language
            else "",
        },
    )


# --- meetings ----------------------------------------------------------------------------------------------


class MeetingForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Meeting"), max_length=engagement.MEETING_NAME_MAX)
    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=date_inputs.DateInput())
    neighborhood = forms.ModelChoiceField(
        label=gettext_lazy("Neighborhood"), queryset=Neighborhood.objects.none(), required=False
    )
    place = forms.CharField(label=gettext_lazy("Place"), max_length=engagement.PLACE_MAX, required=False)
    attendance = forms.IntegerField(label=gettext_lazy("People attending"), min_value=0, required=False)
    notes = forms.CharField(label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 6}), required=False)

    def __init__(self, *args: Any, jurisdiction: Jurisdiction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["neighborhood"].queryset = _neighborhoods(jurisdiction)  # type: ignore[attr-defined]
        _style(self)


@require_GET
@community_page
def meetings(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    found = programme.meetings(jurisdiction)
    return render(request, "community/engagement/meetings.html", {"page": _page(request, found)})


@require_http_methods(["GET", "POST"])
@community_page
def meeting_new(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    form = MeetingForm(request.POST or None, jurisdiction=jurisdiction)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            engagement.record_meeting(
                jurisdiction,
                request.user,  # type: ignore[arg-type]
                name=data["name"],
                held_on=data["held_on"],
                neighborhood=data.get("neighborhood"),
                place=data.get("place") or "",
                attendance=data.get("attendance"),
                notes=data.get("notes") or "",
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return HttpResponseRedirect(reverse("community:meetings"))
    return render(request, "community/engagement/meeting_form.html", {"form": form})


# --- messages ----------------------------------------------------------------------------------------------


class MessageForm(forms.Form):
    neighborhood = forms.ModelChoiceField(
        label=gettext_lazy("To the liaisons of"),
        queryset=Neighborhood.objects.none(),
        required=False,
        empty_label=gettext_lazy("The whole program"),
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=engagement.SUBJECT_MAX)
    body = forms.CharField(
        label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 10}), max_length=engagement.BODY_MAX
    )

    def __init__(self, *args: Any, jurisdiction: Jurisdiction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["neighborhood"].queryset = _neighborhoods(jurisdiction)  # type: ignore[attr-defined]
        _style(self)


def _style(form: forms.Form, size: str = "") -> None:
    """Bootstrap's classes on every widget (`size` "sm" for the compact filter row)."""
    for field in form.fields.values():
        base = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", f"{base} {base}-{size}" if size else base)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    for name, messages in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


@require_GET
@community_page
def messages(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    sent = programme.messages_sent(jurisdiction)
    return render(request, "community/engagement/messages.html", {"page": _page(request, sent)})


@require_http_methods(["GET", "POST"])
@community_page
def message_new(request: HttpRequest) -> HttpResponse:
    jurisdiction = programme_jurisdiction(request)
    form = MessageForm(request.POST or None, jurisdiction=jurisdiction)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = engagement.send_message(
                jurisdiction,
                request.user,  # type: ignore[arg-type]
                subject=data["subject"],
                body=data["body"],
                neighborhood=data.get("neighborhood"),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            # Said on the list it returns to: without it, a sent message looks like nothing happened.
            flash.success(
                request,
                ngettext(
                    "The message is on its way to %(count)d liaison.",
                    "The message is on its way to %(count)d liaisons.",
                    sent.recipients,
                )
                % {"count": sent.recipients},
            )
            return HttpResponseRedirect(reverse("community:messages"))
    return render(
        request,
        "community/engagement/message_form.html",
        {"form": form, "whole_programme": len(engagement.recipients(jurisdiction))},
    )


# --- figures -----------------------------------------------------------------------------------------------


def _figures_context(request: HttpRequest) -> dict[str, object]:
    jurisdiction = programme_jurisdiction(request)
    found = figures_selectors.programme_figures(jurisdiction)
    return {
        "figures": found,
        "statuses": [(status, figures_selectors.status_labels()[status]) for status in figures_selectors.STATUSES],
        "generated": found.generated,
        "breakdowns": [
            (_("Liaisons by neighborhood (now)"), found.by_neighborhood, "by-neighborhood"),
            (_("Liaisons by language spoken (now)"), found.by_language, "by-language"),
        ],
    }


@require_GET
@figures_page
@reads_from_replica
def figures(request: HttpRequest) -> HttpResponse:
    return render(request, "community/engagement/figures.html", _figures_context(request))


@require_GET
@figures_page
@reads_from_replica
def figures_pdf(request: HttpRequest) -> HttpResponse:
    context = _figures_context(request)
    html = render_to_string("community/engagement/figures_pdf.html", context, request=request)
    return pdf_download(f"liaison-program-{timezone.localdate():%Y-%m-%d}.pdf", render_pdf(html))


@require_GET
@figures_page
@reads_from_replica
def figures_csv(request: HttpRequest) -> HttpResponse:
    found = figures_selectors.programme_figures(programme_jurisdiction(request))
    return csv_download(f"liaison-program-{timezone.localdate():%Y-%m-%d}.csv", figures_selectors.csv_rows(found))
