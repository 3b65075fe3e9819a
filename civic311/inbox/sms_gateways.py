"""The SMS gateways' webhook formats: how a gateway posts a text it received, how it signs the post, where it
keeps a picture message's photo, and what it expects back.

Twilio's format is the one implemented (the most common; several other gateways and open-source SMS
servers post the same fields). Each gateway is one `Gateway` in `GATEWAYS`, keyed by `SmsNumber.gateway`, so
another format (Vonage, a local modem server) is one class more.

Twilio's signature is checked here by hand rather than with Twilio's SDK: the check is ten lines
(`twilio_signature`), and the SDK is a large dependency (its whole REST client and its own HTTP stack) for
them. Twilio signs: base64(HMAC-SHA1(auth token, the full URL it posted to + every POST parameter, sorted by
name, as name followed by value)). The URL must be the one Twilio used, so it is built from the request
as the gateway saw it (`request.build_absolute_uri`, which honours the deployment's proxy settings:
SECURE_PROXY_SSL_HEADER for https behind a TLS-terminating proxy, USE_X_FORWARDED_HOST when set); like
Twilio's own validator, the URL with and without its port is accepted, since Twilio's signing of a URL with
a default port has varied.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict

from .models import SmsNumber

# A gateway sends at most this many media items with one message (Twilio: 10).
MAX_MEDIA = 10
# Fetching a picture message's media: connect and read timeouts, and how many redirects are followed
# (Twilio answers a media URL with a redirect to its content host).
MEDIA_TIMEOUT = (5.0, 20.0)
MEDIA_REDIRECTS = 3


class Malformed(Exception):
    """The post is not a text message in the gateway's format (a field missing or wrong)."""


class MediaRefused(Exception):
    """A picture message's media that was not fetched: not https, not the gateway's host, too large, failed."""


@dataclass(frozen=True)
class InboundText:
    """One text message as the gateway posted it."""

    to: str  # the city's number it was sent to
    sender: str
    body: str
    external_id: str  # the gateway's id of the message: the same message posted twice has the same
    media: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (URL, content type)


def _without_port(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _with_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is not None:
        return url
    port = 443 if parts.scheme == "https" else 80
    return urlunsplit((parts.scheme, f"{parts.netloc}:{port}", parts.path, parts.query, parts.fragment))


class Gateway:
    """What one gateway's webhook format needs."""

    #: Hosts a media URL may be fetched from: exact names, or ".suffix" for any subdomain of it.
    media_hosts: tuple[str, ...] = ()
    #: Hosts the gateway's media host may redirect to (its content delivery network), fetched without credentials.
    redirect_hosts: tuple[str, ...] = ()

    def is_signed(self, request: HttpRequest, secret: str) -> bool:
        raise NotImplementedError

    def parse(self, request: HttpRequest) -> InboundText:
        raise NotImplementedError

    def answer(self) -> HttpResponse:
        """What the gateway expects back once the message is taken (replies go out through our outbox)."""
        raise NotImplementedError

    def name(self) -> str:
        return next((key for key, gateway in GATEWAYS.items() if gateway is self), "")

    def may_fetch(self, url: str, *, redirected: bool = False) -> bool:
        """Whether a media URL may be fetched: https, on one of the gateway's media hosts (or, after the
        gateway's own redirect, on one of its content hosts). settings.INBOX_SMS_MEDIA_HOSTS ({gateway:
        [hosts]}) and INBOX_SMS_MEDIA_REDIRECT_HOSTS replace the lists."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not host or parts.username or parts.password:
            return False
        allowed = self._configured("INBOX_SMS_MEDIA_HOSTS", self.media_hosts)
        if redirected:
            allowed += self._configured("INBOX_SMS_MEDIA_REDIRECT_HOSTS", self.redirect_hosts)
        return any(host == name or (name.startswith(".") and host.endswith(name)) for name in allowed)

    def _configured(self, setting: str, default: tuple[str, ...]) -> tuple[str, ...]:
        configured: Mapping[str, Sequence[str]] = getattr(settings, setting, {})
        return tuple(host.lower() for host in configured.get(self.name(), default))


def twilio_signature(secret: str, url: str, params: QueryDict | Mapping[str, Sequence[str]]) -> str:
    """Twilio's X-Twilio-Signature of a form post to `url` (see the module's docstring)."""
    data = url
    for name in sorted(set(params)):
        values = params.getlist(name) if isinstance(params, QueryDict) else list(params[name])
        for value in sorted(set(values)):
            data += name + value
    digest = hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class Twilio(Gateway):
    # Media URLs are on Twilio's API host; it redirects to its content host (historically an S3 bucket).
    media_hosts = ("api.twilio.com",)
    redirect_hosts = ("media.twiliocdn.com", ".twiliocdn.com", "s3-external-1.amazonaws.com")

    def is_signed(self, request: HttpRequest, secret: str) -> bool:
        given = request.headers.get("X-Twilio-Signature", "")
        if not given or not secret:
            return False
        url = request.build_absolute_uri()
        candidates = {url, _without_port(url), _with_port(url)}
        # compare_digest on every candidate (no early exit), so the time taken says nothing.
        matches = [
            hmac.compare_digest(twilio_signature(secret, candidate, request.POST).encode(), given.encode())
            for candidate in sorted(candidates)
        ]
        return any(matches)

    def parse(self, request: HttpRequest) -> InboundText:
        data = request.POST
        sender, to = data.get("From", "").strip(), data.get("To", "").strip()
        external_id = (data.get("MessageSid") or data.get("SmsMessageSid") or "").strip()
        if not sender or not to or not external_id:
            raise Malformed("From, To and MessageSid are required")
        if len(external_id) > 64 or len(sender) > 40 or len(to) > 40:
            raise Malformed("a field is too long")
        try:
            count = int(data.get("NumMedia", "0") or "0")
        except ValueError:
            raise Malformed("NumMedia is not a number") from None
        if not 0 <= count <= MAX_MEDIA:
            raise Malformed("NumMedia is out of range")
        media: list[tuple[str, str]] = []
        for index in range(count):
            url = data.get(f"MediaUrl{index}", "").strip()
            if not url:
                raise Malformed("a MediaUrl is missing")
            media.append((url, data.get(f"MediaContentType{index}", "").strip().lower()))
        body = data.get("Body", "")
        if "\x00" in body or "\x00" in sender:
            raise Malformed("NUL character")
        return InboundText(to=to, sender=sender, body=body, external_id=external_id, media=tuple(media))

    def answer(self) -> HttpResponse:
        return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response/>', content_type="text/xml; charset=utf-8")


GATEWAYS: dict[str, Gateway] = {SmsNumber.Gateway.TWILIO: Twilio()}


def gateway_of(number: SmsNumber) -> Gateway:
    return GATEWAYS[number.gateway]


def fetch_media(number: SmsNumber, url: str, *, max_bytes: int) -> tuple[bytes, str]:
    """A picture message's media, fetched from the gateway with the number's media credentials: only from
    https URLs on the gateway's media hosts (a redirect too), at most `max_bytes`. Returns (content, content
    type); MediaRefused with a short reason (never the URL) otherwise."""
    gateway = gateway_of(number)
    auth = (number.media_username, number.media_password) if number.media_username else None
    session = requests.Session()
    try:
        for hop in range(MEDIA_REDIRECTS + 1):
            if not gateway.may_fetch(url, redirected=hop > 0):
                raise MediaRefused("not a gateway media URL")
            try:
                response = session.get(url, auth=auth, timeout=MEDIA_TIMEOUT, stream=True, allow_redirects=False)
            except requests.RequestException as error:
                raise MediaRefused(type(error).__name__) from None
            with response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("Location", ""))
                    auth = None  # the credentials go to the URL the gateway gave only, never where it redirects
                    continue
                if response.status_code != 200:
                    raise MediaRefused(f"HTTP {response.status_code}")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise MediaRefused("too large")
                content = bytearray()
                try:
                    for chunk in response.iter_content(64 * 1024):
                        content.extend(chunk)
                        if len(content) > max_bytes:
                            raise MediaRefused("too large")
                except requests.RequestException as error:
                    raise MediaRefused(type(error).__name__) from None
                content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
                return bytes(content), content_type
        raise MediaRefused("too many redirects")
    finally:
        session.close()
