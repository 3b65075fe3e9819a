"""Print a staff member's API token, creating it if they have none (`--rotate` replaces it)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from civic311.people import roles


class Command(BaseCommand):
    help = (
        "Print the staff API token of a member of staff, creating it when there is none. "
        "The admin's Tokens page issues them too."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--rotate", action="store_true", help="Replace an existing token; the old one stops working at once."
        )

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"There is no user {options['username']!r}.")
        if not roles.may_use_staff_api(user):
            raise CommandError(f"{user.get_username()!r} is not active staff; the staff API serves staff only.")
        with transaction.atomic():
            if options["rotate"]:
                Token.objects.filter(user=user).delete()
            token, _created = Token.objects.get_or_create(user=user)
        # Only the key on standard output, so that a script can capture it.
        self.stdout.write(token.key)
