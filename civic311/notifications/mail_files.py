"""The mail backend without an SMTP host (the demo): each e-mail becomes an .eml file under EMAIL_FILE_PATH
(var/mail/ by default; any mail program opens it), and the log gets one line saying where, with no address,
subject or body in it. Django's console backend would print residents' addresses and messages to the log,
and its file backend piles every message of a connection into one .log file."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

logger = logging.getLogger(__name__)


class EmailBackend(BaseEmailBackend):
    def __init__(self, file_path: str | Path | None = None, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        written = 0
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for email in email_messages:
                recipients = len(email.recipients())
                if not recipients:
                    continue
                path = self.directory / f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.eml"
                path.write_bytes(email.message().as_bytes())
                logger.info("mail written to %s (%d recipient%s)", path, recipients, "" if recipients == 1 else "s")
                written += 1
        except OSError:
            if not self.fail_silently:
                raise
        return written
