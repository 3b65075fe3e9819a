"""The inbox's periodic sweeps (need the Huey consumer, `manage.py run_huey`); each is safe to run twice."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import imap_polling, signatures
from .post_sources import polling


@db_periodic_task(crontab(minute="*"))
def poll_mailboxes() -> int:
    """Every minute: read what is new in every city's IMAP mailbox."""
    return imap_polling.poll_all()


@db_periodic_task(crontab(minute="*/5"))
def poll_post_sources() -> int:
    """Every five minutes: read what is new from the polled social media sources (feeds, Mastodon, Bluesky)."""
    return polling.poll_all()


@db_periodic_task(crontab(hour="4", minute="12"))
def forget_webhook_receipts() -> int:
    """Nightly: forget the nonces of signed webhooks older than a day (a replay that old is stale anyway)."""
    return signatures.forget_old_receipts()
