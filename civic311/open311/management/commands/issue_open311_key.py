"""`manage.py issue_open311_key --jurisdiction CITY --name CLIENT [--contact-email E] [--requests-per-minute N]`:
an Open311 API key for a client of one city, as the admin's *Open311 → API keys* page issues it.

Only the key is printed on standard output (so a script can capture it); it is shown this once and only
its hash is kept. Revoke it in the admin.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civic311.jurisdictions.management.arguments import USAGE, jurisdiction_named
from civic311.open311.services import issue_api_key


class Command(BaseCommand):
    help = "Issue an Open311 API key to a client of a city and print it (shown once; only its hash is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jurisdiction", required=True, help="The city's jurisdiction_id or slug.")
        parser.add_argument("--name", required=True, help="Who the key is for, e.g. “Springfield 311 app”.")
        parser.add_argument("--contact-email", default="", help="Whom to tell about the key.")
        parser.add_argument("--requests-per-minute", type=int, default=60)

    def handle(
        self, *args, jurisdiction: str, name: str, contact_email: str, requests_per_minute: int, **options
    ) -> None:
        city = jurisdiction_named(jurisdiction)
        if requests_per_minute < 1:
            raise CommandError(_("--requests-per-minute must be at least 1."), returncode=USAGE)
        try:
            issued = issue_api_key(city, name, contact_email=contact_email, requests_per_minute=requests_per_minute)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=USAGE) from None
        self.stderr.write(
            _("Issued key %(prefix)s… to %(name)s for %(city)s; it is not shown again.")
            % {"prefix": issued.api_key.prefix, "name": issued.api_key.name, "city": city.jurisdiction_id}
        )
        self.stdout.write(issued.key)
