"""Receivers of the people app, connected in `PeopleConfig.ready`."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import RoleAssignment, User
from .services import sync_role_groups_of

# --- a user's groups follow their role assignments, however the rows change (grant, revoke, a cascade) ------


@receiver(post_save, sender=RoleAssignment, dispatch_uid="people.role_assignment_saved")
@receiver(post_delete, sender=RoleAssignment, dispatch_uid="people.role_assignment_deleted")
def _role_assignment_changed(sender: Any, instance: RoleAssignment, origin: Any = None, **kwargs: Any) -> None:
    if isinstance(origin, User):
        return  # the user is being deleted: their group rows go with them
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        sync_role_groups_of(user)
