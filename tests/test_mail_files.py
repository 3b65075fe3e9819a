"""Without an SMTP host (the demo), e-mail is written to files and the log says only where: no resident's
address, subject or message ever reaches the console or the log."""

from __future__ import annotations

import logging
from email import message_from_bytes

from django.core import mail
from django.test import override_settings

from .child_processes import printed

BACKEND = "civic311.notifications.mail_files.EmailBackend"


def test_each_email_is_an_eml_file_and_one_log_line_without_personal_data(tmp_path, caplog, capsys):
    with (
        override_settings(EMAIL_BACKEND=BACKEND, EMAIL_FILE_PATH=tmp_path / "mail"),
        caplog.at_level(logging.INFO, logger="civic311.notifications.mail_files"),
    ):
        # As the outbox sends: its own connection, with a timeout.
        connection = mail.get_connection(fail_silently=False, timeout=30)
        sent = connection.send_messages(
            [
                mail.EmailMessage("Your request 10000042", "Dear Pat, we fixed it.", None, ["pat@example.org"]),
                mail.EmailMessage("Update", "Hello", None, ["a@example.org", "b@example.org"]),
            ]
        )
    assert sent == 2
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    written = [message_from_bytes(path.read_bytes()) for path in files]
    assert {message["To"] for message in written} == {"pat@example.org", "a@example.org, b@example.org"}
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2 and all(line.startswith("mail written to ") for line in lines)
    assert any(line.endswith("(1 recipient)") for line in lines) and any(
        line.endswith("(2 recipients)") for line in lines
    )
    logged = "\n".join(lines) + capsys.readouterr().out + capsys.readouterr().err
    for private in ("pat@example.org", "a@example.org", "Dear Pat", "10000042"):
        assert private not in logged


def test_without_an_smtp_host_mail_goes_to_files_and_with_one_over_smtp():
    def backend(**env: str) -> str:
        code = "import civic311.settings as s; print(s.EMAIL_BACKEND, s.EMAIL_FILE_PATH)"
        return printed(code, dropped=("EMAIL_HOST", "EMAIL_BACKEND"), **env)

    assert backend().startswith(f"{BACKEND} ") and backend().endswith("/mail")
    assert backend(EMAIL_HOST="smtp.example.org").startswith("django.core.mail.backends.smtp.EmailBackend")
