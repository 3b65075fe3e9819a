"""The page where a supervisor imports social media posts from a CSV file into the inbox (thin: the rules
are `inbox.post_sources.csv_import`'s, the permission `people.roles.may_manage_inbox`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from civic311.inbox.models import PostSource
from civic311.inbox.post_sources import csv_import
from civic311.jurisdictions.middleware import site_jurisdiction
from civic311.jurisdictions.models import Jurisdiction
from civic311.people import roles
from civic311.people.staff_pages import staff_page


class PostImportForm(forms.Form):
    source = forms.ModelChoiceField(
        label=gettext_lazy("Source"),
        queryset=PostSource.objects.none(),
        empty_label=None,
        help_text=gettext_lazy("The CSV source the posts are filed under (its network is where replies go)."),
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8, with the columns uri, text, author_handle, author_name, posted_at, link, lat, long, media_urls."
        ),
    )

    def __init__(self, *args: Any, jurisdiction: Jurisdiction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["source"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = PostSource.objects.filter(
            jurisdiction=jurisdiction, kind=PostSource.Kind.CSV, is_active=True
        ).order_by("name")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > csv_import.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": csv_import.MAX_BYTES // (1024 * 1024)}
            )
        return upload


@staff_page(rule=roles.may_use_console)
@require_http_methods(["GET", "POST"])
def import_posts(request: HttpRequest) -> HttpResponse:
    jurisdiction = site_jurisdiction(request)
    if not roles.may_manage_inbox(request.user, jurisdiction.pk):
        raise PermissionDenied(_("Only a supervisor imports posts into the inbox."))
    form = PostImportForm(request.POST or None, request.FILES or None, jurisdiction=jurisdiction)
    report = None
    if request.method == "POST" and form.is_valid():
        report = csv_import.import_posts(form.cleaned_data["source"], form.cleaned_data["file"].read())
        if report.ok:
            messages.success(
                request,
                ngettext(
                    "%(received)d post imported into the inbox; %(duplicates)d had been imported before.",
                    "%(received)d posts imported into the inbox; %(duplicates)d had been imported before.",
                    report.received,
                )
                % {"received": report.received, "duplicates": report.duplicates},
            )
            return redirect("console:post_import")
    context = {"form": form, "errors": [str(error) for error in report.errors] if report else []}
    return render(request, "console/post_import.html", context, status=400 if report and not report.ok else 200)
