"""The same rule as the admin: active staff, and Django's model permissions for what they do."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from civic311.people import roles


class StaffModelPermission(BasePermission):
    """Active staff holding one of the permissions the view names for the action.

    A view sets `action_permissions`: an action name (or "*" for every other action) mapped to the
    permissions of which the user needs any one, e.g. `("requests.view_servicerequest",
    "requests.change_servicerequest")`: like the admin, whoever may change a request may also see it.
    An anonymous caller is refused with 401 by DRF, a signed-in user without the right with 403.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not roles.may_use_staff_api(user):
            return False
        action = getattr(view, "action", None)
        if action is None:
            return True  # a method the view does not route (405), or OPTIONS: staff may ask
        table: dict[str, tuple[str, ...]] = getattr(view, "action_permissions", {})
        needed = table.get(action, table.get("*"))
        if needed is None:
            return False  # an action nobody declared is nobody's
        return any(user.has_perm(permission) for permission in needed)


class InTheirCity(BasePermission):
    """The contacts, customers and inbox of a city are for its own staff (admins: any city's); another
    city's staff are refused with 403, whatever their model permissions."""

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) is None:
            return True
        return roles.may_see_city(request.user, view.jurisdiction.pk)


class SeesCustomers(BasePermission):
    """Customer records are personal data: only those the roles let see residents' contact details."""

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) is None:
            return True
        return roles.may_see_customers(request.user)


class WorksTheInbox(BasePermission):
    """The inbox of e-mails, texts and posts: active staff who may work this city's inbox
    (`roles.may_work_inbox`); what they may do with an item is then the inbox services' rule."""

    def has_permission(self, request, view) -> bool:
        if not roles.may_use_staff_api(request.user):
            return False
        if getattr(view, "action", None) is None:
            return True
        return roles.may_work_inbox(request.user, view.jurisdiction.pk)
