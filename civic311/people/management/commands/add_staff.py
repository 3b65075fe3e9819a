"""`manage.py add_staff USERNAME --jurisdiction CITY --department SLUG --role ROLE [--role ROLE…] [--email E]
[--first-name F] [--last-name L]`: a member of a city's staff, in their home department, with their roles.

The account has no password until its owner sets one (`manage.py changepassword USERNAME`, or the
admin's password form): nobody can sign in with a password that was typed on a command line.
Run it again to add roles or move the account to another department; roles already held are kept.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from civic311.catalogue.models import Department
from civic311.jurisdictions.management.arguments import USAGE, jurisdiction_named
from civic311.people.models import DEPARTMENT_ROLES, RoleAssignment, StaffRole, User
from civic311.people.services import grant_role


class Command(BaseCommand):
    help = (
        "Add a member of a city's staff with a home department and roles (or give an existing one more "
        "roles). Roles: " + ", ".join(StaffRole.values) + "."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--jurisdiction", required=True, help="The city's jurisdiction_id or slug.")
        parser.add_argument(
            "--department",
            required=True,
            help="The slug of their home department in that city (agents: the contact centre's). "
            "It is what limits them to their city.",
        )
        parser.add_argument(
            "--role",
            action="append",
            choices=StaffRole.values,
            required=True,
            help="A role to grant; repeat for several. Department roles are held in --department.",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(
        self,
        *args,
        username: str,
        jurisdiction: str,
        department: str,
        role: list[str],
        email: str,
        first_name: str,
        last_name: str,
        **options,
    ) -> None:
        city = jurisdiction_named(jurisdiction)
        home = Department.objects.filter(jurisdiction=city, slug=department).first()
        if home is None:
            known = ", ".join(
                Department.objects.filter(jurisdiction=city).order_by("slug").values_list("slug", flat=True)
            ) or _("none")
            raise CommandError(
                _("%(city)s has no department “%(slug)s” (it has: %(known)s).")
                % {"city": city.name, "slug": department, "known": known},
                returncode=USAGE,
            )
        try:
            with transaction.atomic():
                user, created = User.objects.get_or_create(
                    username=username.strip(),
                    defaults={"email": email.strip(), "first_name": first_name.strip(), "last_name": last_name.strip()},
                )
                if created:
                    user.set_unusable_password()
                user.is_staff, user.department = True, home
                user.full_clean(exclude=["password"])
                user.save()
                granted = []
                for name in dict.fromkeys(role):
                    held_in = home if name in DEPARTMENT_ROLES else None
                    if not RoleAssignment.objects.filter(user=user, role=name, department=held_in).exists():
                        grant_role(user, name, department=held_in, actor=None)
                        granted.append(name)
        except ValidationError as error:
            raise CommandError(
                _("%(username)s was not saved: %(problems)s")
                % {"username": username, "problems": " ".join(error.messages)},
                returncode=USAGE,
            ) from None
        message = (
            _("Added %(username)s in %(department)s (%(city)s); roles granted: %(roles)s.")
            if created
            else _("Updated %(username)s in %(department)s (%(city)s); roles granted: %(roles)s.")
        )
        self.stdout.write(
            message
            % {
                "username": user.username,
                "department": home.name,
                "city": city.jurisdiction_id,
                "roles": ", ".join(granted) or _("none new"),
            }
        )
        if created:
            self.stdout.write(
                _("No password yet: set one with manage.py changepassword %(username)s.") % {"username": user.username}
            )
