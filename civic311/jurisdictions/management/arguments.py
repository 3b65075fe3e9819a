"""What the management commands of a city's set-up share: the city they are told about (`--jurisdiction`),
the file they write (`-o/--output`), and the exit code of what they were given but cannot use."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civic311.jurisdictions.models import Jurisdiction
from civic311.jurisdictions.selectors import default_jurisdiction

# The exit code of a command that was given something it cannot use (and wrote nothing).
USAGE = 2


def add_jurisdiction_argument(parser: CommandParser, *, required: bool) -> None:
    """`--jurisdiction`, read by `jurisdiction_named`; without `required`, the default jurisdiction when left out."""
    help_text = "The city's Open311 jurisdiction_id (e.g. springfield.gov) or its slug (e.g. springfield)"
    parser.add_argument(
        "--jurisdiction",
        required=required,
        help=f"{help_text}." if required else f"{help_text}; default: the default jurisdiction.",
    )


def jurisdiction_named(value: str | None) -> Jurisdiction:
    """The jurisdiction with this Open311 jurisdiction_id (its domain) or slug, or with None the deployment's
    default one (`selectors.default_jurisdiction`); a CommandError (exit USAGE) naming the known ones."""
    if value is None:
        city = default_jurisdiction()
        if city is None:
            known = ", ".join(Jurisdiction.objects.order_by("slug").values_list("slug", flat=True))
            if not known:
                raise CommandError(_("There is no jurisdiction yet: create one first."), returncode=USAGE)
            raise CommandError(
                _("There is no default jurisdiction; name one with --jurisdiction (the jurisdictions are: %(known)s).")
                % {"known": known},
                returncode=USAGE,
            )
        return city
    city = (
        Jurisdiction.objects.filter(jurisdiction_id__iexact=value.strip()).first()
        or Jurisdiction.objects.filter(slug=value.strip()).first()
    )
    if city is None:
        # The known ones are named the way this one was: a value with a dot can only be a jurisdiction_id (a
        # domain), as a slug has none.
        key = "jurisdiction_id" if "." in value else "slug"
        known = ", ".join(Jurisdiction.objects.order_by(key).values_list(key, flat=True))
        raise CommandError(
            _("There is no jurisdiction “%(slug)s” (there are: %(known)s).")
            % {"slug": value, "known": known or _("none")},
            returncode=USAGE,
        )
    return city


def add_cities_argument(parser: CommandParser) -> None:
    """`--jurisdiction` for a command that works on every city unless told one, read by `cities_named`."""
    parser.add_argument(
        "--jurisdiction",
        help="One city's Open311 jurisdiction_id (e.g. springfield.gov) or slug; default: every city.",
    )


def cities_named(value: str | None) -> list[Jurisdiction]:
    """Every city (by slug) with None, else the one named (`jurisdiction_named`, which refuses an unknown one)."""
    if value is None:
        return list(Jurisdiction.objects.order_by("slug"))
    return [jurisdiction_named(value)]


def file_not_loaded(file: str, problems: Iterable[str]) -> CommandError:
    """The error of a file that was refused whole: every problem on a line of its own (exit USAGE)."""
    return CommandError(
        _("%(file)s was not loaded; nothing changed:\n  %(problems)s")
        % {"file": file, "problems": "\n  ".join(problems)},
        returncode=USAGE,
    )


def add_output_argument(parser: CommandParser) -> None:
    parser.add_argument("-o", "--output", help="The file to write (default: standard output).")


def write_output(command: BaseCommand, text: str, output: str | None) -> bool:
    """The text to the `--output` file, or to standard output without one; True when it went to the file.
    A file that cannot be written is a CommandError (exit USAGE)."""
    if output is None:
        command.stdout.write(text, ending="")
        return False
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise CommandError(
            _("Cannot write %(file)s: %(error)s") % {"file": output, "error": error}, returncode=USAGE
        ) from None
    return True
