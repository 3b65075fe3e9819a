"""`manage.py import_open311_catalogue URL [-o FILE] [--jurisdiction-id ID] [--timeout SECONDS]`: write a
catalogue file from another city's Open311 services and service definitions.

Exit codes: 0 written; 2 nothing written (not an http(s) URL, a failed or timed-out call, an answer that is
not GeoReport JSON, an unwritable output). See docs/catalogue-file.md.
"""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from civic311.catalogue.catalogue_file import render_catalogue
from civic311.jurisdictions.management.arguments import USAGE, add_output_argument, write_output
from civic311.open311.catalogue_import import (
    PLACEHOLDER_DEPARTMENT,
    Open311ImportError,
    endpoint_of,
    import_open311_catalogue,
)
from civic311.open311.georeport_client import DEFAULT_TIMEOUT, GeoReportClient, GeoReportError


class Command(BaseCommand):
    help = (
        "Write a catalogue file (see docs/catalogue-file.md) from another city's Open311 GeoReport v2 "
        "server: GET services.json and each service's definition. Exit 0: written; 2: nothing written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="The GeoReport v2 endpoint (https://…/open311/v2/) or its services.json URL.")
        add_output_argument(parser)
        parser.add_argument("--jurisdiction-id", default="", help="Sent as jurisdiction_id with every call.")
        parser.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT[1],
            help=f"Seconds to wait for each answer (default {DEFAULT_TIMEOUT[1]:g}).",
        )

    def handle(self, *args, url: str, output: str | None, jurisdiction_id: str, timeout: float, **options) -> None:
        if timeout <= 0:
            raise CommandError(_("--timeout must be more than 0."), returncode=USAGE)
        endpoint, jurisdiction_in_url = endpoint_of(url)
        try:
            client = GeoReportClient(
                endpoint, jurisdiction_id=jurisdiction_id or jurisdiction_in_url, timeout=(timeout, timeout)
            )
        except GeoReportError:
            raise CommandError(
                _("“%(url)s” is not an http or https URL.") % {"url": url[:200]}, returncode=USAGE
            ) from None
        # The client logs each call for the forwarding worker's log; here they would bury the notes.
        client_log = logging.getLogger("civic311.open311.georeport_client")
        level = client_log.level
        client_log.setLevel(logging.WARNING)
        try:
            imported = import_open311_catalogue(client)
        except Open311ImportError as error:
            raise CommandError(
                _("Nothing was written: %(endpoint)s%(error)s") % {"endpoint": endpoint, "error": error},
                returncode=USAGE,
            ) from None
        finally:
            client_log.setLevel(level)
        header = [
            _("Imported from %(endpoint)s by manage.py import_open311_catalogue on %(date)s.")
            % {"endpoint": endpoint, "date": timezone.now().date().isoformat()},
            _("Before loading it with manage.py load_catalogue FILE --jurisdiction CITY (docs/catalogue-file.md):"),
            _("- Open311 publishes no departments: every service goes to the placeholder department “%(slug)s”.")
            % {"slug": PLACEHOLDER_DEPARTMENT},
            _("  Replace it with the city's departments and set each service's department."),
            _("- Open311 publishes no SLAs: set sla_unit, sla_value and service_notice where the city has them."),
            _('- Add translations (translations.es.name = "…").'),
        ]
        if imported.notes:
            header.append(_("Changed on the way in:"))
            header.extend(f"- {note}" for note in imported.notes)
        text = render_catalogue(imported.catalogue, header="\n".join(header))
        for note in imported.notes:
            self.stderr.write(note)
        if write_output(self, text, output):
            questions = sum(len(service.questions) for service in imported.catalogue.services)
            self.stderr.write(
                _("Wrote %(services)s services with %(questions)s questions to %(file)s.")
                % {"services": len(imported.catalogue.services), "questions": questions, "file": output}
            )
