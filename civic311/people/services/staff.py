"""Writes to staff accounts: contact-centre teams and role assignments, and the Django groups that follow
them (`people/roles.py` says what each role may do; this module keeps the rows in step).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import roles
from ..models import (
    NEIGHBORHOOD_ROLES,
    RoleAssignment,
    Team,
    User,
)
from ..roles import GROUP_PREFIX, ROLE_NAMES, ROLE_PERMISSIONS, group_name

if TYPE_CHECKING:
    from civic311.catalogue.models import Department
    from civic311.jurisdictions.models import Neighborhood

logger = logging.getLogger(__name__)


# --- contact-centre teams ---------------------------------------------------------------------------------


def check_team(team: Team) -> None:
    """A team's supervisor holds the supervisor role and works in the team's city (ValidationError if not)."""
    supervisor = team.supervisor
    if supervisor is None:
        return
    if not roles.may_supervise_team(supervisor):
        raise ValidationError({"supervisor": [_("The team's supervisor must hold the supervisor role.")]})
    if not roles.sees_jurisdiction(supervisor, team.jurisdiction_id):
        raise ValidationError({"supervisor": [_("The team's supervisor works for another city.")]})


def save_team(team: Team, *, actor: User | None) -> Team:
    """Create or change a team (admins; `actor` None is the system: the demo, imports)."""
    if actor is not None and not roles.may_manage_teams(actor):
        raise PermissionDenied(_("Only administrators manage teams."))
    check_team(team)
    team.full_clean()
    team.save()
    return team


def move_to_team(user: User, team: Team | None, *, actor: User | None) -> User:
    """Put a member of staff in `team` (or in none). Past survey results keep the team they were taken in."""
    if actor is not None and not roles.may_manage_teams(actor):
        raise PermissionDenied(_("Only administrators manage teams."))
    if team is not None and not roles.sees_jurisdiction(user, team.jurisdiction_id):
        raise ValidationError({"team": [_("This team belongs to another city.")]})
    User.objects.filter(pk=user.pk).update(team=team)
    user.team = team
    return user


# --- staff roles -----------------------------------------------------------------------------------------


def _department_label(department: Department | None) -> str:
    return f" ({department})" if department is not None else ""


def grant_role(user: User, role: str, *, department: Department | None = None, actor: User | None) -> RoleAssignment:
    """Give `user` a role (in `department`, for the department roles). Only admins grant; `actor` None is
    the system (the demo, imports). Refuses (ValidationError, writing nothing) a non-staff account, a
    department missing for a department role or given for another role, and a role already held. The
    user's groups follow (see `sync_role_groups_of`); an admin grant is also written to the admin's log.
    """
    if actor is not None and not roles.may_grant_roles(actor):
        raise PermissionDenied(_("Only administrators may grant roles."))
    errors: dict[str, list[str]] = {}
    if not roles.is_role(role):
        errors["role"] = [_("Choose one of the roles.")]
    if not roles.may_hold_roles(user):
        errors["user"] = [_("Only staff accounts can hold a role.")]
    if roles.is_department_role(role) and department is None:
        errors["department"] = [_("Choose the department this role is held in.")]
    elif roles.is_role(role) and not roles.is_department_role(role) and department is not None:
        errors["department"] = [_("This role is not held in a department; leave the department empty.")]
    if not errors and RoleAssignment.objects.filter(user=user, role=role, department=department).exists():
        errors["role"] = [_("This staff member already holds this role.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        assignment = RoleAssignment.objects.create(
            user=user, role=role, department=department, granted_by=actor, granted_at=timezone.now()
        )
        _log_role_change(actor, user, ADDITION, f"Granted {role}{_department_label(department)}")
    roles.forget_roles(user)
    logger.info("role %s granted to user %s", role, user.pk)
    return assignment


def revoke_role(user: User, role: str, *, department: Department | None = None, actor: User | None) -> None:
    """Take a role (in `department`) from `user`. Only admins revoke; ValidationError when not held."""
    if actor is not None and not roles.may_grant_roles(actor):
        raise PermissionDenied(_("Only administrators may revoke roles."))
    with transaction.atomic():
        deleted, _rows = RoleAssignment.objects.filter(user=user, role=role, department=department).delete()
        if not deleted:
            raise ValidationError({"role": [_("This staff member does not hold this role.")]})
        _log_role_change(actor, user, CHANGE, f"Revoked {role}{_department_label(department)}")
    roles.forget_roles(user)
    logger.info("role %s revoked from user %s", role, user.pk)


def set_liaison_neighborhoods(user: User, neighborhoods: Iterable[Neighborhood]) -> None:
    """Make `user` a liaison of exactly `neighborhoods` (none: no longer a liaison). Called by the
    Neighborhood Liaison Program (`community`), which checks its own rule first: a liaison is made by being
    trained, not by an administrator. The account must be an active resident's account, not staff: the
    liaison role grants nothing a staff account should mix with."""
    wanted = {neighborhood.pk: neighborhood for neighborhood in neighborhoods}
    if wanted and not roles.may_hold_liaison_role(user):
        raise ValidationError({"user": [_("A liaison signs in with a resident's account, not a staff account.")]})
    role = NEIGHBORHOOD_ROLES[0]
    with transaction.atomic():
        held = set(RoleAssignment.objects.filter(user=user, role=role).values_list("neighborhood_id", flat=True))
        RoleAssignment.objects.filter(user=user, role=role).exclude(neighborhood_id__in=list(wanted)).delete()
        RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(user=user, role=role, neighborhood=neighborhood, granted_at=timezone.now())
                for pk, neighborhood in wanted.items()
                if pk not in held
            ]
        )
    roles.forget_liaison_neighborhoods(user)
    if held != set(wanted):
        logger.info("liaison neighborhoods of user %s now %d", user.pk, len(wanted))


def _log_role_change(actor: User | None, user: User, flag: int, message: str) -> None:
    """The history of grants and revokes by staff, in the admin's log (the user's "History" page)."""
    if actor is None:
        return
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.create(
        user_id=actor.pk,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        action_flag=flag,
        change_message=message,
    )


def ensure_role_groups() -> dict[str, Group]:
    """One Django group per role carrying exactly `ROLE_PERMISSIONS[role]`; idempotent."""
    groups = {}
    for role in ROLE_NAMES:
        group, _created = Group.objects.get_or_create(name=group_name(role))
        wanted = ROLE_PERMISSIONS[role]
        permissions = [
            permission
            for permission in Permission.objects.select_related("content_type")
            if f"{permission.content_type.app_label}.{permission.codename}" in wanted
        ]
        missing = wanted - {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        if missing:
            raise ImproperlyConfigured(f"Unknown permissions for role {role}: {sorted(missing)}")
        group.permissions.set(permissions)
        groups[role] = group
    return groups


def sync_role_groups_of(user: User) -> None:
    """Put `user` in the groups of the roles they hold, and out of the other roles' groups. Groups that
    are not role groups are left alone."""
    held = {
        group_name(role)
        for role in RoleAssignment.objects.filter(user=user, role__in=ROLE_NAMES).values_list("role", flat=True)
    }
    current = {group.name: group for group in user.groups.filter(name__startswith=GROUP_PREFIX)}
    stale = [group for name, group in current.items() if name not in held]
    if stale:
        user.groups.remove(*stale)
    missing = held - set(current)
    if missing:
        groups = {group.name: group for group in Group.objects.filter(name__in=missing)}
        if len(groups) < len(missing):
            groups = {group_name(role): group for role, group in ensure_role_groups().items()}
        user.groups.add(*(groups[name] for name in missing))
    # Django caches permissions per user object.
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
