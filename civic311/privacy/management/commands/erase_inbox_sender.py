"""Erase a resident who is not a customer, known by one of their inbox conversations (docs/privacy.md): every
conversation from the same sender (address, number or handle) in that city is anonymised.

    manage.py erase_inbox_sender <inbox item id> --actor <username>

The item's number, not the sender, is given, so that no address or handle lands in the shell's history. The
actor is the supervisor or admin carrying out the request: an ERASE row goes in the personal-data audit.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from civic311.inbox.models import InboxItem
from civic311.privacy.retention import erase_sender

from .export_customer import WHERE, staff_member


def inbox_item(pk: int) -> InboxItem:
    item = InboxItem.objects.select_related("jurisdiction").filter(pk=pk).first()
    if item is None:
        raise CommandError(f"There is no inbox item {pk}.")
    if not item.sender:
        raise CommandError(f"Inbox item {pk} holds no personal data any more: it was anonymised.")
    return item


class Command(BaseCommand):
    help = "Anonymise every inbox conversation from the sender of one, on their request (written to the audit)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("item", type=int, help="The number of one of the sender's inbox items.")
        parser.add_argument("--actor", required=True, help="Username of the supervisor or admin erasing it.")

    def handle(self, *args, **options) -> None:
        actor, item = staff_member(options["actor"]), inbox_item(options["item"])
        try:
            count = erase_sender(
                item.jurisdiction, item.channel, item.sender, network=item.network, actor=actor, where=WHERE
            )
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{count} inbox conversations of the sender of item {item.pk} anonymised.")
