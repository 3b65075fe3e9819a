"""The sms door (being built)."""

from __future__ import annotations

from ..models import InboxItem, InboxMessage


def send_reply(item: InboxItem, message: InboxMessage) -> None:
    raise NotImplementedError
