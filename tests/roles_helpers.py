"""The world the role rules are checked in (test_roles' matrix; test_request_permissions' writes)."""

from __future__ import annotations

from civic311.people.models import RoleAssignment, StaffRole, User
from civic311.people.roles import ROLE_NAMES

from .factories import (
    DepartmentFactory,
    JurisdictionFactory,
    ServiceFactory,
    StaffFactory,
    filed_request,
    staff_in_role,
)

R = StaffRole
# The roles staff hold: every role but the liaison's, which a resident's account holds (see roles.ROLE_NAMES).
STAFF_ROLES = [role for role in StaffRole if role in ROLE_NAMES]


class World:
    """Two departments of one city and a request in each: "ours" (Streets, the subjects' department) and
    "theirs" (Water); `subject(kind)` makes an account of each kind the rules' matrix (test_roles) names."""

    def __init__(self):
        jurisdiction = JurisdictionFactory()
        self.streets = DepartmentFactory(jurisdiction=jurisdiction, slug="streets", name="Streets")
        self.water = DepartmentFactory(jurisdiction=jurisdiction, slug="water", name="Water")
        self.ours = filed_request(ServiceFactory(jurisdiction=jurisdiction, department=self.streets))
        self.theirs = filed_request(ServiceFactory(jurisdiction=jurisdiction, department=self.water))
        assert (self.ours.department, self.theirs.department) == (self.streets, self.water)

    @staticmethod
    def assigned(service_request, user):
        service_request.assignee_id = getattr(user, "pk", None)
        return service_request

    def subject(self, kind: str):
        from django.contrib.auth.models import AnonymousUser

        if kind == "nobody (anonymous)":
            return AnonymousUser()
        fields = {"username": kind.split()[0] + "-subject", "is_superuser": kind == "superuser"}
        role = {
            "agent": R.AGENT,
            "supervisor": R.SUPERVISOR,
            "department staff": R.DEPARTMENT_STAFF,
            "department manager": R.DEPARTMENT_MANAGER,
            "surveyor": R.SURVEYOR,
            "community staff": R.COMMUNITY_STAFF,
            "leadership": R.LEADERSHIP,
            "admin": R.ADMIN,
            "inactive agent": R.AGENT,
        }.get(kind)
        user = StaffFactory(**fields) if role is None else staff_in_role(role, self.streets, **fields)
        if kind == "inactive agent":
            User.objects.filter(pk=user.pk).update(is_active=False)
        if kind.startswith("not staff"):
            RoleAssignment.objects.create(user=user, role=R.AGENT)  # by hand: grant_role refuses non-staff
            User.objects.filter(pk=user.pk).update(is_staff=False)
        return User.objects.get(pk=user.pk)
