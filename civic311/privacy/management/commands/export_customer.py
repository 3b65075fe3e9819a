"""Write everything held about one customer to a JSON file to hand to them (docs/privacy.md).

    manage.py export_customer <customer id> --actor <username> [--output FILE]

The actor is the member of staff answering the request (a supervisor or an admin): the export is written to
the personal-data audit under their name. Without --output the file is named
personal-data-customer-<id>-<date>.json in the current directory.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from civic311.people.models import Customer, User
from civic311.privacy.export import export_customer, export_filename, export_json

WHERE = "command"


def staff_member(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No staff member is called {username!r}.")
    return user


def customer_record(pk: int) -> Customer:
    customer = Customer.objects.select_related("jurisdiction").filter(pk=pk).first()
    if customer is None:
        raise CommandError(f"There is no customer {pk}.")
    return customer


class Command(BaseCommand):
    help = "Export everything held about one customer as a JSON file (written to the personal-data audit)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("customer", type=int, help="The customer record's number.")
        parser.add_argument("--actor", required=True, help="Username of the supervisor or admin exporting it.")
        parser.add_argument("--output", help="The file to write (default: personal-data-customer-<id>-<date>.json).")

    def handle(self, *args, **options) -> None:
        actor, customer = staff_member(options["actor"]), customer_record(options["customer"])
        now = timezone.now()
        try:
            data = export_customer(customer, actor=actor, where=WHERE, now=now)
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        path = Path(options["output"] or export_filename(customer, now))
        path.write_bytes(export_json(data))
        self.stdout.write(f"Wrote {path}")
