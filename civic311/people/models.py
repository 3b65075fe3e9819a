"""People: staff who sign in, and the residents who ask for help.

A requester's contact details live here, apart from the request, so that public output of a request
can never reach them by accident and so that they can be anonymised without touching the request.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .contact_details import format_phone


class User(AbstractUser):
    """A member of staff (agents, department staff, supervisors, administrators)."""

    department = models.ForeignKey(
        "catalogue.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("department"),
    )
    # The contact-centre team an agent works in now: its supervisor coaches them (see Team).
    team = models.ForeignKey(
        "Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("staff member")  # type: ignore[assignment]
        verbose_name_plural = _("staff")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    """A contact-centre team: agents led by one supervisor, who holds the team's meetings and coaches its
    agents on their survey results. The satisfaction reports break results down by team."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="teams", verbose_name=_("jurisdiction")
    )
    name = models.CharField(_("name"), max_length=100)
    supervisor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_teams",
        verbose_name=_("supervisor"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "name"], name="unique_team_name")]

    def __str__(self) -> str:
        return self.name


class Requester(models.Model):
    """Contact details a resident chose to give with a request. Every field is optional."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # A social media author ("mastodon:@ana@mastodon.social"): the only detail kept of a post turned into a
    # request (civic311.inbox).
    handle = models.CharField(_("social media handle"), max_length=200, blank=True)
    # The language the resident used when filing (a code of settings.LANGUAGES; empty when unknown): their
    # e-mails and text messages about the request are written in it (`people.selectors.language_for`).
    language = models.CharField(_("language"), max_length=10, blank=True)
    # A default rather than auto_now_add, so imports and the demo can give the real date.
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The CRM record this person is, when the contact centre knows them (see Customer).
    customer = models.ForeignKey(
        "Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requesters",
        verbose_name=_("customer"),
    )

    class Meta:
        verbose_name = _("requester")
        verbose_name_plural = _("requesters")
        # A resident's "my requests" (`public.sign_in_views`) finds their requests by e-mail, in any case.
        indexes = [models.Index(Lower("email"), name="requester_email_lower_idx")]

    def __str__(self) -> str:
        # Shown to staff only; never used in logs or public output.
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or format_phone(self.phone) or self.handle or str(_("anonymous"))

    @property
    def is_empty(self) -> bool:
        return not (self.first_name or self.last_name or self.email or self.phone or self.handle)


class Customer(models.Model):
    """A resident the contact centre knows: the CRM record behind their contacts and requests.

    Several phones, e-mails and addresses; consent to be contacted and to be surveyed; merged into
    another record when two turn out to be the same person (the duplicate keeps pointing at the survivor).
    """

    jurisdiction = models.ForeignKey("jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="customers")
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10, blank=True)
    consent_contact = models.BooleanField(
        _("may be contacted"), default=False, help_text=_("Agreed to hear back about their requests.")
    )
    consent_survey = models.BooleanField(
        _("may be surveyed"), default=False, help_text=_("Agreed to a satisfaction survey call.")
    )
    consent_updated_at = models.DateTimeField(_("consent last changed"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged", verbose_name=_("merged into")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # Set once the record's personal data is gone (retention or erasure, `civic311.privacy.retention`); the
    # row stays so that the audit, merged records and the request counts still resolve.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["jurisdiction", "last_name", "first_name"], name="customer_name_idx")]

    def __str__(self) -> str:
        # Shown to staff allowed to see customers; never used in logs or public output.
        name = f"{self.first_name} {self.last_name}".strip()
        return name or str(_("Customer %(id)s") % {"id": self.pk})


class CustomerPhone(models.Model):
    class Label(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        HOME = "home", pgettext_lazy("phone type", "Home")
        WORK = "work", _("Work")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone"), max_length=40)
    # The matching key, for finding a caller whatever way the number was written: E.164 without extension
    # ("+12156868686"); digits only for a number stored before E.164 that does not parse.
    digits = models.CharField(max_length=20, editable=False, db_index=True)
    label = models.CharField(_("label"), max_length=10, choices=Label.choices, default=Label.MOBILE)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        constraints = [models.UniqueConstraint(fields=["customer", "digits"], name="unique_customer_phone")]

    def __str__(self) -> str:
        return format_phone(self.number)


class CustomerEmail(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("e-mail"))
    # Lower case, for finding a customer whatever way the address was written.
    normalized = models.CharField(max_length=254, editable=False, db_index=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        constraints = [models.UniqueConstraint(fields=["customer", "normalized"], name="unique_customer_email")]

    def __str__(self) -> str:
        return self.email


class CustomerAddress(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    address = models.CharField(_("address"), max_length=300)
    zipcode = models.CharField(_("ZIP code"), max_length=10, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    long = models.FloatField(_("longitude"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return self.address


class PersonalDataAccess(models.Model):
    """The audit of staff looking at a resident's personal data: who, whose, why and when."""

    class Purpose(models.TextChoices):
        VIEW = "view", _("Viewed")
        SEARCH = "search", _("Searched")
        EDIT = "edit", _("Changed")
        MERGE = "merge", _("Merged")
        EXPORT = "export", _("Exported")
        ERASE = "erase", _("Erased")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="personal_data_accesses")
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requester = models.ForeignKey(Requester, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    # Where it happened ("admin", "console", "staff API"); never the data itself.
    where = models.CharField(_("where"), max_length=40, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "at"], name="pd_access_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_purpose_display()} {self.at:%Y-%m-%d %H:%M}"


class SignInEvent(models.Model):
    """The audit of staff sign-in: wrong passwords and codes, refusals after too many, and sign-ins."""

    class Outcome(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        WRONG_PASSWORD = "wrong_password", _("Wrong password")
        WRONG_CODE = "wrong_code", _("Wrong authenticator code")
        LOCKED_OUT = "locked_out", _("Refused: too many failures")

    # The account tried, and its username (kept if the account is deleted); both empty for a name that is
    # no account.
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    username = models.CharField(_("username"), max_length=150, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    client_address = models.CharField(_("client address"), max_length=64, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("sign-in event")
        verbose_name_plural = _("sign-in events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["at"], name="sign_in_event_at_idx")]

    def __str__(self) -> str:
        return f"{self.username} {self.get_outcome_display()} {self.at:%Y-%m-%d %H:%M}"


class StaffTOTPDevice(models.Model):
    """A staff member's authenticator app (RFC 6238 TOTP), the optional second factor at sign-in."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    # Base32; the server must read it to check codes.
    secret = models.CharField(max_length=64, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # The last 30-second step a code was accepted for: a code is never accepted twice.
    last_used_step = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    def __str__(self) -> str:
        return str(self.user)


class StaffRole(models.TextChoices):
    """What a member of staff does here; what each may see and change is in `civic311.people.roles`."""

    AGENT = "agent", _("Contact-centre agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    DEPARTMENT_MANAGER = "department_manager", _("Department manager")
    SURVEYOR = "surveyor", _("Surveyor")
    COMMUNITY_STAFF = "community_staff", _("Community engagement staff")
    LEADERSHIP = "leadership", _("Leadership")
    ADMIN = "admin", _("Administrator")
    # The one role a resident's account holds: a trained volunteer of the Neighborhood Liaison Program, in
    # one neighborhood per row. Granted and taken back by the programme (`community`), never in the admin.
    LIAISON = "liaison", _("Neighborhood liaison")


# The roles held in one department: for these a department is required, for every other role forbidden.
DEPARTMENT_ROLES = (StaffRole.DEPARTMENT_STAFF, StaffRole.DEPARTMENT_MANAGER)
# The roles held in one neighborhood (the liaison's): a neighborhood is required for these, forbidden for others.
NEIGHBORHOOD_ROLES = (StaffRole.LIAISON,)


class RoleAssignment(models.Model):
    """One role held by one member of staff (in one department, for the department roles).

    Written only through `civic311.people.services.grant_role` / `revoke_role`; the user's Django groups
    follow their assignments (one group per role, see `sync_role_groups`).
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("staff member")
    )
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)
    # A department going (the demo city deleted) takes its roles with it.
    department = models.ForeignKey(
        "catalogue.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("department"),
    )
    neighborhood = models.ForeignKey(
        "jurisdictions.Neighborhood",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("neighborhood"),
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["user", "role", "department", "pk"]
        constraints = [
            # NULLs are distinct in a unique index: the role without a department needs its own constraint.
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=models.Q(department__isnull=False),
                name="unique_role_in_department",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(department__isnull=True, neighborhood__isnull=True),
                name="unique_role_without_department",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "neighborhood"],
                condition=models.Q(neighborhood__isnull=False),
                name="unique_role_in_neighborhood",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=[role.value for role in NEIGHBORHOOD_ROLES], neighborhood__isnull=False)
                    | (
                        ~models.Q(role__in=[role.value for role in NEIGHBORHOOD_ROLES])
                        & models.Q(neighborhood__isnull=True)
                    )
                ),
                name="neighborhood_exactly_for_neighborhood_roles",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=[role.value for role in DEPARTMENT_ROLES], department__isnull=False)
                    | (
                        ~models.Q(role__in=[role.value for role in DEPARTMENT_ROLES])
                        & models.Q(department__isnull=True)
                    )
                ),
                name="department_exactly_for_department_roles",
            ),
        ]

    def __str__(self) -> str:
        role = self.get_role_display()
        place = self.department if self.department_id else self.neighborhood if self.neighborhood_id else None
        return f"{self.user}: {role} ({place})" if place is not None else f"{self.user}: {role}"


class EmailSignInLink(models.Model):
    """A link e-mailed to sign in without a password: a liaison into their account, a resident into "my
    requests" (the requests filed with that e-mail address). Short-lived and single use; only a hash of the
    token is kept, so a copy of the table signs nobody in. Written by `people.email_sign_in`."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField(_("e-mail"))
    # The liaison's account the link signs into; empty for a resident's "my requests".
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("account")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail sign-in link")
        verbose_name_plural = _("e-mail sign-in links")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["expires_at"], name="sign_in_link_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M}"
