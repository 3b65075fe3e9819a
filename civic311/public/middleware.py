from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Everything is served from our own origin: vendored scripts, no CDN. Map tiles are the one exception,
# allowed as images from the configured tile server.
POLICY = (
    "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Every page, the admin's too: its scripts and styles are files (civic311/css/admin.css for ours).
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
