"""A small city for the service suggester's tests: four services a resident can report (and one for
information), with English and Spanish catalogue text, and a history of descriptions the test writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.utils import timezone

from civic311.catalogue.models import Service
from civic311.jurisdictions.models import Jurisdiction
from civic311.service_requests.models import ServiceRequest
from civic311.text_intelligence import training
from civic311.text_intelligence.models import ServiceModel

from ..factories import DepartmentFactory, ServiceFactory, ServiceGroupFactory, select_attribute

CATALOGUE = {
    "SR-ST01": (
        "Street Defect",
        "A pothole, cave-in or broken utility cover in a city street.",
        "pothole, hole in street, cave-in, sinkhole, manhole cover, bache, hoyo",
        {"es": {"name": "Desperfecto en la calle", "description": "Un bache, un hundimiento o una tapa rota."}},
    ),
    "SR-ST04": (
        "Street Light Outage",
        "A street light that is out, flickering or on during the day.",
        "street light, streetlight, lamp post, light out, dark street, poste de luz, farola",
        {"es": {"name": "Luz de la calle apagada", "description": "Un poste de luz apagado o que parpadea."}},
    ),
    "SR-CL01": (
        "Graffiti Removal",
        "Graffiti on a wall, fence, mailbox or building.",
        "graffiti, tag, spray paint, vandalism",
        {"es": {"name": "Quitar grafiti", "description": "Grafiti o pintadas en una pared o una cerca."}},
    ),
    "SR-PD01": (
        "Abandoned Vehicle",
        "A car that has not moved in weeks, with flat tires or no plates.",
        "abandoned car, junk car, no plates, expired tags",
        {"es": {"name": "Vehículo abandonado", "description": "Un carro abandonado sin placas."}},
    ),
}

HISTORY = {
    "SR-ST01": [
        "big pothole in the right lane",
        "pothole on my street damaged my tire",
        "street caving in by the drain",
        "manhole cover loose and clanking",
        "hay un bache enorme en la calle",
        "deep hole in the road",
    ],
    "SR-ST04": [
        "street light out in front of my house",
        "the lamp post is dark all night",
        "streetlight flickering on and off",
        "la luz de la calle no sirve",
        "light on the pole is broken, block is dark",
    ],
    "SR-CL01": [
        "graffiti on the side wall of the store",
        "someone spray painted our garage",
        "tags all over the fence",
        "grafiti en la pared de la escuela",
        "paint tags on my front door",
    ],
    "SR-PD01": [
        "abandoned car with flat tires and no plates",
        "car has not moved in a month",
        "junk car covered in tickets",
        "carro abandonado sin placas",
        "van with expired tags never moves",
    ],
}


def small_city(jurisdiction: Jurisdiction) -> dict[str, Service]:
    """The four reportable services and an information service (SR-IR01), by code."""
    department = DepartmentFactory(jurisdiction=jurisdiction)
    group = ServiceGroupFactory(jurisdiction=jurisdiction)
    services = {}
    for order, (code, (name, description, keywords, translations)) in enumerate(CATALOGUE.items()):
        services[code] = ServiceFactory(
            jurisdiction=jurisdiction,
            department=department,
            group=group,
            code=code,
            name=name,
            description=description,
            keywords=keywords,
            translations=translations,
            order=order,
        )
    select_attribute(services["SR-ST01"], "defect_type", ["pothole", "sinkhole"])
    services["SR-IR01"] = ServiceFactory(
        jurisdiction=jurisdiction,
        department=department,
        group=group,
        code="SR-IR01",
        name="Information Request",
        description="Questions about city services, hours and trash days.",
        keywords="question, information, hours, trash day, phone number",
        kind=Service.Kind.INFORMATION,
    )
    return services


def add_history(
    services: dict[str, Service],
    descriptions: Mapping[str, Iterable[str]] = HISTORY,
    *,
    copies: int = 20,
    now: dt.datetime | None = None,
    at: tuple[float, float] | None = (39.9526, -75.1635),
    places: dict[str, tuple[float, float]] | None = None,
) -> int:
    """`copies` requests of every description (older the further down the list), made in one insert."""
    now = now or timezone.now()
    rows = []
    number = ServiceRequest.objects.count()
    for code, texts in descriptions.items():
        service = services[code]
        point = (places or {}).get(code, at)
        for copy in range(copies):
            for text in texts:
                number += 1
                requested = now - dt.timedelta(hours=number)
                rows.append(
                    ServiceRequest(
                        jurisdiction=service.jurisdiction,
                        tracking_number=f"T{number:07d}",
                        service=service,
                        department=service.department,
                        description=text if copy == 0 else f"{text} ({copy})",
                        lat=point[0] if point else None,
                        long=point[1] if point else None,
                        requested_at=requested,
                        updated_at=requested,
                    )
                )
    ServiceRequest.objects.bulk_create(rows)
    return len(rows)


def trained(jurisdiction: Jurisdiction, **options) -> ServiceModel:
    return training.train(jurisdiction, **options)


# (code, name, keywords, Spanish name, Spanish keywords): the few services the pages' tests pick from.
PAGE_SERVICES = (
    ("SR-ST01", "Street Defect", "pothole, hole in the road", "Defecto de la calle", "bache, hoyo"),
    ("SR-CL01", "Graffiti Removal", "graffiti, tagging, spray paint", "Eliminación de grafiti", "grafiti"),
    ("SR-ST02", "Illegal Dumping", "dumping, dumped, tires, mattress", "Vertido ilegal", "basura tirada"),
)


def page_services(
    jurisdiction: Jurisdiction,
    department: object,
    rows: Iterable[tuple[str, str, str, str, str]] = PAGE_SERVICES,
) -> dict[str, Service]:
    """The services of `rows` in `jurisdiction`, with their Spanish name and keywords, by code."""
    return {
        code: ServiceFactory(
            jurisdiction=jurisdiction,
            department=department,
            code=code,
            name=name,
            keywords=keywords,
            translations={"es": {"name": spanish, "keywords": spanish_keywords}},
        )
        for code, name, keywords, spanish, spanish_keywords in rows
    }
