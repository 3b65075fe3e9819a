"""Write the inbox conversations of a resident who is not a customer to a JSON file to hand to them
(docs/privacy.md), found by one of their conversations: every one from the same sender in that city.

    manage.py export_inbox_sender <inbox item id> --actor <username> [--output FILE]

Without --output the file is named personal-data-inbox-item-<id>-<date>.json in the current directory.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from civic311.privacy.export import export_json, export_sender

from .erase_inbox_sender import inbox_item
from .export_customer import WHERE, staff_member


class Command(BaseCommand):
    help = "Export the inbox conversations of the sender of one as a JSON file (written to the audit)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("item", type=int, help="The number of one of the sender's inbox items.")
        parser.add_argument("--actor", required=True, help="Username of the supervisor or admin exporting them.")
        parser.add_argument("--output", help="The file to write (default: personal-data-inbox-item-<id>-<date>.json).")

    def handle(self, *args, **options) -> None:
        actor, item = staff_member(options["actor"]), inbox_item(options["item"])
        now = timezone.now()
        try:
            data = export_sender(
                item.jurisdiction, item.channel, item.sender, network=item.network, actor=actor, where=WHERE, now=now
            )
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        day = timezone.localtime(now, item.jurisdiction.zone).date()
        path = Path(options["output"] or f"personal-data-inbox-item-{item.pk}-{day:%Y-%m-%d}.json")
        path.write_bytes(export_json(data))
        self.stdout.write(f"Wrote {path}")
