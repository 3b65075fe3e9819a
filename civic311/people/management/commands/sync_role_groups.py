"""Create (or bring up to date) one Django group per staff role, and every user's role groups.

Idempotent: run after each deploy (new permissions in `ROLE_PERMISSIONS`) and as often as you like.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from civic311.people.models import RoleAssignment, User
from civic311.people.roles import GROUP_PREFIX
from civic311.people.services import ensure_role_groups, sync_role_groups_of


class Command(BaseCommand):
    help = "Create one group per staff role with that role's model permissions, and put staff in their roles' groups."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        groups = ensure_role_groups()
        users = User.objects.filter(pk__in=RoleAssignment.objects.values("user_id")) | User.objects.filter(
            groups__name__startswith=GROUP_PREFIX
        )
        count = 0
        for user in users.distinct():
            sync_role_groups_of(user)
            count += 1
        self.stdout.write(f"{len(groups)} role groups; {count} staff members' groups synced.")
