"""The social networks behind one interface, like the SMS providers (civic311.notifications.channels).

`CIVIC311_SOCIAL_BACKEND` names the class: `FileSocialBackend` (default: JSON lines in
var/social-outbox.jsonl, for development, tests and demos) or `ConsoleSocialBackend`; a city adds an
adapter per network with the same `post(...)`. Errors carry a short reason, never the text."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from civic311.outbox import DeliveryError, Permanent, Transient  # noqa: F401 (re-exported: providers raise these)

DEFAULT_BACKEND = "civic311.social.providers.FileSocialBackend"


class SocialBackend(Protocol):
    """Post one text to one network's account; return the network's id for the post.

    `reference` is stable for the outbox row: an adapter whose network deduplicates on a client
    reference passes it on, so a resend after a worker died is dropped there. `in_reply_to` is the network's
    id (URI) of the post this one answers (an agent's reply from the inbox); it is passed only when set, so
    an adapter that never answers posts may leave it out."""

    def post(self, network: str, account: str, text: str, reference: str, in_reply_to: str = "") -> str: ...


def outbox_file() -> Path:
    return Path(getattr(settings, "CIVIC311_SOCIAL_FILE", None) or Path(settings.VAR_DIR) / "social-outbox.jsonl")


class FileSocialBackend:
    """Writes one JSON line per post to var/social-outbox.jsonl (CIVIC311_SOCIAL_FILE)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else outbox_file()

    def post(self, network: str, account: str, text: str, reference: str, in_reply_to: str = "") -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        provider_id = f"file-{uuid.uuid4().hex[:12]}"
        written = {"id": provider_id, "network": network, "account": account, "text": text, "reference": reference}
        if in_reply_to:
            written["in_reply_to"] = in_reply_to
        line = json.dumps(written, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return provider_id


class ConsoleSocialBackend:
    """Prints each post to standard output."""

    def post(self, network: str, account: str, text: str, reference: str, in_reply_to: str = "") -> str:
        answering = f", in reply to {in_reply_to}" if in_reply_to else ""
        print(f"Post to {network} {account} (ref {reference}{answering}):\n{text}\n", flush=True)
        return f"console-{reference}"


def backend() -> SocialBackend:
    return import_string(getattr(settings, "CIVIC311_SOCIAL_BACKEND", None) or DEFAULT_BACKEND)()
