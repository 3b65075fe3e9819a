"""GeoReport v2 under /open311/v2/. The format is the path's extension; none means XML."""

from django.urls import re_path

from . import reads, submissions, updates
from .endpoints import not_found

app_name = "open311"

FMT = r"(?:\.(?P<fmt>[A-Za-z0-9]*))?"

urlpatterns = [
    re_path(rf"^v2/discovery{FMT}$", reads.discovery, name="discovery"),
    re_path(rf"^v2/services{FMT}$", reads.services, name="services"),
    # Service codes may hold dots, so only a known extension is split off.
    re_path(
        r"^v2/services/(?P<code>[^/]+?)(?:\.(?P<fmt>xml|json))?$", reads.service_definition, name="service_definition"
    ),
    re_path(rf"^v2/requests{FMT}$", submissions.requests_collection, name="requests"),
    re_path(r"^v2/requests/(?P<request_id>[^/]+?)(?:\.(?P<fmt>xml|json))?$", reads.request_detail, name="request"),
    re_path(r"^v2/tokens/(?P<token>[^/]+?)(?:\.(?P<fmt>xml|json))?$", submissions.token, name="token"),
    re_path(rf"^v2/servicerequestupdates{FMT}$", updates.service_request_updates, name="updates"),
    re_path(r"^(?P<path>.*)$", not_found),
]
