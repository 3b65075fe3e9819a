"""Writes of the inbox. `receiving` is what every door does with what comes in; `working` is what agents do;
`email`, `sms` and `social` are the doors, each reading its own format and sending its own replies."""

from .receiving import Flooded, Incoming, IncomingFile, Receipt, receive, response_due, sender_key
from .working import (
    assign,
    check_may_work,
    dismiss,
    finish,
    link_request,
    record_automatic_reply,
    reply,
    set_status,
    take,
)

__all__ = [
    "Flooded",
    "Incoming",
    "IncomingFile",
    "Receipt",
    "assign",
    "check_may_work",
    "dismiss",
    "finish",
    "link_request",
    "receive",
    "record_automatic_reply",
    "reply",
    "response_due",
    "sender_key",
    "set_status",
    "take",
]
