"""Erase one customer on their request (docs/privacy.md): refused while one of their requests is open.

    manage.py erase_customer <customer id> --actor <username>

The actor is the supervisor or admin carrying out the request: an ERASE row goes in the personal-data audit.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from civic311.privacy.retention import erase_customer

from .export_customer import WHERE, customer_record, staff_member


class Command(BaseCommand):
    help = "Anonymise everything held about one customer, on their request (written to the personal-data audit)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("customer", type=int, help="The customer record's number.")
        parser.add_argument("--actor", required=True, help="Username of the supervisor or admin erasing it.")

    def handle(self, *args, **options) -> None:
        actor, customer = staff_member(options["actor"]), customer_record(options["customer"])
        try:
            counts = erase_customer(customer, actor=actor, where=WHERE)
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Customer {customer.pk} erased ({counts['subscriptions']} subscriptions, "
            f"{counts['messages']} messages anonymised)."
        )
        if "liaisons" in counts:
            self.stdout.write(
                f"Neighborhood Liaison Program: {counts['liaison_applications']} applications and "
                f"{counts['liaisons']} liaison records anonymised ({counts['liaisons_withdrawn']} withdrawn first)."
            )
