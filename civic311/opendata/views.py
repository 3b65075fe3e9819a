"""The public open-data pages: the dataset's description and its downloads (CSV, GeoJSON).

Thin: the parameters are read here; what is published and how is in `selectors.py` and `export.py`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from civic311.jurisdictions import selectors as places
from civic311.jurisdictions.models import Jurisdiction
from civic311.open311.endpoints import parse_timestamp

from . import export, selectors
from .selectors import Export, ExportFilter, UnknownServiceCodes

# Downloads may be a few minutes old: a harvester polling every minute costs one export per five.
CACHE_SECONDS = 300
MAX_PARAMETER_CHARS = 200
MAX_SERVICE_CODES = 100


class BadParameter(Exception):
    """A query parameter the export cannot use; the message names it, in the reader's language."""


def _param(request: HttpRequest, name: str) -> str:
    value = request.GET.get(name, "").strip()
    if len(value) > MAX_PARAMETER_CHARS or "\x00" in value:
        raise BadParameter(_("The parameter %(name)s is too long or not text.") % {"name": name})
    return value


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    """Whose dataset: the deployment's one rule (`jurisdictions.selectors.resolve_jurisdiction`), as Open311
    uses it: `jurisdiction_id`, else the host called, else the configured default. 404 for an id that
    names no jurisdiction; BadParameter (400) when nothing applies."""
    wanted = _param(request, "jurisdiction_id")
    try:
        found = places.resolve_jurisdiction(jurisdiction_id=wanted, host=request.get_host())
    except places.UnknownJurisdiction:
        raise Http404(_("There is no jurisdiction “%(id)s” here.") % {"id": wanted[:100]}) from None
    if found is not None:
        return found
    if not places.only_jurisdictions(1):
        raise Http404(_("This site has no city set up yet."))
    raise BadParameter(_("This site serves several jurisdictions: send jurisdiction_id."))


def _timestamp_param(request: HttpRequest, name: str, jurisdiction: Jurisdiction, *, end: bool = False):
    value = _param(request, name)
    if not value:
        return None
    try:
        return parse_timestamp(value, jurisdiction.zone, end=end)
    except ValueError:
        raise BadParameter(
            _("%(name)s must be a date like 2026-01-31 or a date and time like 2026-01-31T14:30:00-05:00.")
            % {"name": name}
        ) from None


def _service_codes(request: HttpRequest) -> list[str]:
    """`service_code=A,B` or the parameter repeated."""
    codes = [code.strip() for value in request.GET.getlist("service_code") for code in value.split(",")]
    codes = [code for code in codes if code]
    if len(codes) > MAX_SERVICE_CODES or any(len(code) > 40 or "\x00" in code for code in codes):
        raise BadParameter(_("The parameter %(name)s is too long or not text.") % {"name": "service_code"})
    return codes


def _export_for(request: HttpRequest, jurisdiction: Jurisdiction) -> Export:
    start = _timestamp_param(request, "start_date", jurisdiction)
    end = _timestamp_param(request, "end_date", jurisdiction, end=True)
    if start is not None and end is not None and end <= start:
        raise BadParameter(_("end_date must not be before start_date."))
    try:
        service_ids = selectors.services_for_codes(jurisdiction, _service_codes(request))
    except UnknownServiceCodes as error:
        raise BadParameter(
            ngettext(
                "service_code: there is no service with the code %(codes)s.",
                "service_code: there are no services with the codes %(codes)s.",
                len(error.codes),
            )
            % {"codes": ", ".join(error.codes)}
        ) from None
    wanted = ExportFilter(
        requested_from=start,
        requested_before=end,
        service_ids=service_ids,
        updated_after=_timestamp_param(request, "updated_after", jurisdiction),
    )
    return Export(jurisdiction, wanted, photo_base=request.build_absolute_uri(settings.MEDIA_URL))


def _download(request: HttpRequest, fmt: str) -> HttpResponseBase:
    try:
        chosen = _export_for(request, _jurisdiction(request))
    except BadParameter as error:
        return HttpResponseBadRequest(f"{error}\n", content_type="text/plain; charset=utf-8")
    # HEAD answers the headers without running the export.
    response: HttpResponseBase = (
        HttpResponse(content_type=export.CONTENT_TYPES[fmt])
        if request.method == "HEAD"
        else StreamingHttpResponse(export.stream(chosen, fmt), content_type=export.CONTENT_TYPES[fmt])
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename(chosen, fmt)}"'
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response


@require_safe
def service_requests_csv(request: HttpRequest) -> HttpResponseBase:
    return _download(request, export.CSV)


@require_safe
def service_requests_geojson(request: HttpRequest) -> HttpResponseBase:
    return _download(request, export.GEOJSON)


@require_safe
def dataset(request: HttpRequest) -> HttpResponse:
    try:
        jurisdiction = _jurisdiction(request)
    except BadParameter as error:
        return HttpResponseBadRequest(f"{error}\n", content_type="text/plain; charset=utf-8")
    # A city chosen by jurisdiction_id keeps it in every link, so the downloads are that city's too.
    chosen = {"jurisdiction_id": jurisdiction.jurisdiction_id} if _param(request, "jurisdiction_id") else {}
    photo_base = request.build_absolute_uri(settings.MEDIA_URL)
    described = Export(jurisdiction, photo_base=photo_base)
    examples = export.example_values(described, photo_base=photo_base)
    columns = [
        {
            "name": name,
            "meaning": export.COLUMN_MEANINGS[name][0],
            "type": export.COLUMN_MEANINGS[name][1],
            "example": examples[name],
        }
        for name in described.columns
    ]
    query = f"?{urlencode(chosen)}" if chosen else ""
    csv_url = request.build_absolute_uri(reverse("opendata:service_requests_csv"))
    geojson_url = request.build_absolute_uri(reverse("opendata:service_requests_geojson")) + query
    return render(
        request,
        "opendata/dataset.html",
        {
            "columns": columns,
            "summary": selectors.dataset_summary(jurisdiction),
            "services": selectors.published_services(jurisdiction),
            "csv_url": csv_url + query,
            "geojson_url": geojson_url,
            "example_filtered_url": f"{csv_url}?{urlencode({**chosen, 'start_date': '2026-01-01', 'end_date': '2026-01-31'})}",  # noqa: E501
            "example_harvest_url": f"{csv_url}?{urlencode({**chosen, 'updated_after': examples['updated_datetime']})}",
            "jurisdiction_id": chosen.get("jurisdiction_id", ""),
            "example_times": export.example_times(jurisdiction),
            "licence": getattr(settings, "CIVIC311_OPEN_DATA_LICENCE", ""),
            "cache_minutes": CACHE_SECONDS // 60,
        },
    )
