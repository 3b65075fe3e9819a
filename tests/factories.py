"""factory-boy factories for the domain. A default `JurisdictionFactory` is Philadelphia-shaped."""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civic311.catalogue.models import AttributeValue, Department, RoutingRule, Service, ServiceAttribute, ServiceGroup
from civic311.jurisdictions.models import Holiday, Jurisdiction, Neighborhood
from civic311.people.models import DEPARTMENT_ROLES, Requester, User
from civic311.service_requests.models import ServiceRequest

# Every member of staff the factory makes signs in with this.
PASSWORD = "correct horse battery staple"

_Model = TypeVar("_Model")

if TYPE_CHECKING:

    class ModelFactory(factory.django.DjangoModelFactory[_Model]):
        # factory_boy's __new__ is untyped, so mypy would take `StaffFactory()` for a StaffFactory: calling a
        # factory makes (and saves) its model.
        def __new__(cls, *args: Any, **kwargs: Any) -> _Model: ...  # type: ignore[misc]

else:
    ModelFactory = factory.django.DjangoModelFactory


def box(min_long: float, min_lat: float, max_long: float, max_lat: float) -> dict:
    """A GeoJSON polygon for a rectangle."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[min_long, min_lat], [max_long, min_lat], [max_long, max_lat], [min_long, max_lat], [min_long, min_lat]]
        ],
    }


class JurisdictionFactory(ModelFactory[Jurisdiction]):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("slug",)

    slug = "philadelphia"
    name = "Philadelphia"
    jurisdiction_id = "phila.gov"
    time_zone = "America/New_York"
    min_lat, max_lat = 39.87, 40.14
    min_long, max_long = -75.28, -74.96
    intake_cutoff = dt.time(14, 0)
    business_day_end = dt.time(17, 0)
    is_default = True


class HolidayFactory(ModelFactory[Holiday]):
    class Meta:
        model = Holiday

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    name = "Holiday"


class NeighborhoodFactory(ModelFactory[Neighborhood]):
    """Center City by default: a box around City Hall (39.9526 N, 75.1635 W)."""

    class Meta:
        model = Neighborhood

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    slug = factory.Sequence(lambda n: f"neighborhood-{n}")
    name = factory.Sequence(lambda n: f"Neighborhood {n}")
    boundary = factory.LazyFunction(lambda: box(-75.18, 39.94, -75.14, 39.96))


class DepartmentFactory(ModelFactory[Department]):
    class Meta:
        model = Department

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    slug = factory.Sequence(lambda n: f"department-{n}")
    name = factory.Sequence(lambda n: f"Department {n}")
    contact_email = factory.LazyAttribute(lambda o: f"{o.slug}@example.org")


class ServiceGroupFactory(ModelFactory[ServiceGroup]):
    class Meta:
        model = ServiceGroup

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class ServiceFactory(ModelFactory[Service]):
    """Illegal Dumping-like: 5 business days, no questions unless added."""

    class Meta:
        model = Service

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    code = factory.Sequence(lambda n: f"SR-T{n:02d}")
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "A problem the city fixes."
    group = factory.SubFactory(ServiceGroupFactory, jurisdiction=factory.SelfAttribute("..jurisdiction"))
    department = factory.SubFactory(DepartmentFactory, jurisdiction=factory.SelfAttribute("..jurisdiction"))
    sla_unit = Service.SlaUnit.BUSINESS_DAYS
    sla_value = 5
    service_notice = "5 Business Days"


class ServiceAttributeFactory(ModelFactory[ServiceAttribute]):
    class Meta:
        model = ServiceAttribute

    service = factory.SubFactory(ServiceFactory)
    code = factory.Sequence(lambda n: f"question_{n}")
    datatype = ServiceAttribute.Datatype.STRING
    description = factory.Sequence(lambda n: f"Question {n}")
    required = False


class AttributeValueFactory(ModelFactory[AttributeValue]):
    class Meta:
        model = AttributeValue

    attribute = factory.SubFactory(ServiceAttributeFactory)
    key = factory.Sequence(lambda n: f"value_{n}")
    name = factory.Sequence(lambda n: f"Value {n}")


class RoutingRuleFactory(ModelFactory[RoutingRule]):
    class Meta:
        model = RoutingRule

    service = factory.SubFactory(ServiceFactory)
    kind = RoutingRule.Kind.HAZARD_ALERT


class StaffFactory(ModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    is_staff = True
    password = factory.django.Password(PASSWORD)


class RequesterFactory(ModelFactory[Requester]):
    class Meta:
        model = Requester

    first_name = "Pat"
    last_name = "Resident"
    email = "pat@example.org"


def select_attribute(
    service: Service, code: str, keys: list[str], *, required: bool = False, multi: bool = False
) -> ServiceAttribute:
    """A single- or multi-value list question with the given keys (names are the keys capitalised)."""
    attribute = ServiceAttributeFactory(
        service=service,
        code=code,
        required=required,
        datatype=ServiceAttribute.Datatype.MULTIVALUELIST if multi else ServiceAttribute.Datatype.SINGLEVALUELIST,
    )
    for order, key in enumerate(keys):
        AttributeValueFactory(attribute=attribute, key=key, name=key.capitalize(), order=order)
    return attribute


def filed_request(service: Service | None = None, *, now: dt.datetime | None = None, **report_fields) -> ServiceRequest:
    """A request filed through the real intake rule (no shortcuts), at City Hall unless told otherwise;
    filed `now` (default: the clock's now)."""
    from civic311.service_requests import services as requests

    service = service or ServiceFactory()
    fields: dict[str, Any] = {"lat": "39.9526", "long": "-75.1635", "description": "Mattresses on the sidewalk."}
    fields.update(report_fields)
    report = requests.Report(service_code=service.code, **fields)
    return requests.submit(service.jurisdiction, report, now=now).service_request


def with_role(user, role: str, department=None, *, with_group: bool = True):
    """Give a member of staff a role, as an administrator would; returns the user.

    `with_group=False` leaves out the role's group, so that a test controls the model permissions
    (what the admin and the staff API let in) apart from the role (which rows the rules let them see).
    """
    from civic311.people.services import grant_role

    grant_role(user, role, department=department, actor=None)
    if not with_group:
        user.groups.clear()
    return user


def staff_in_role(role: str, department=None, **fields):
    """A new member of staff (StaffFactory `fields`) holding `role`; a department role is held in
    `department`, or in a new department when none is given; any other role ignores `department`."""
    department = (department or DepartmentFactory()) if role in DEPARTMENT_ROLES else None
    return with_role(StaffFactory(**fields), role, department)


def jpeg(
    name: str = "photo.jpg", size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (120, 80, 40)
) -> SimpleUploadedFile:
    """An upload of a real JPEG photo of one colour."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
