"""Data for the survey tests: consenting contacts, trained surveyors, supervisors."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from civic311.people.models import Customer, CustomerAddress, CustomerEmail, StaffRole
from civic311.requests.models import Channel, Contact
from civic311.surveys.models import SurveyorTraining

from .factories import ServiceFactory, StaffFactory, with_role

SIX_ANSWERS = {"explained": "yes", "informed": "yes", "timely": "no", "satisfied": "yes",
               "feedback": "Quick and kind.", "contact": {"name": "", "phone": "", "email": ""}}


def contact(jurisdiction, *, ended_ago: dt.timedelta = dt.timedelta(hours=1), consent: bool | None = True,
            phone: str = "215-555-0101", customer=None, agent=None, service=None, channel=Channel.PHONE,
            now: dt.datetime | None = None) -> Contact:
    """A finished contact (information given) that ended `ended_ago` before now."""
    ended = (now or timezone.now()) - ended_ago
    return Contact.objects.create(
        jurisdiction=jurisdiction, channel=channel, outcome=Contact.Outcome.INFORMATION,
        service=service or ServiceFactory(jurisdiction=jurisdiction), agent=agent or StaffFactory(),
        customer=customer, callback_phone=phone, survey_consent=consent,
        started_at=ended - dt.timedelta(minutes=4), ended_at=ended,
    )


def customer(jurisdiction, first="Philomena", last="Quackenbush", email="philomena.q@example.org",
             address="4321 Zebrawood Lane") -> Customer:
    person = Customer.objects.create(jurisdiction=jurisdiction, first_name=first, last_name=last, consent_survey=True)
    CustomerEmail.objects.create(customer=person, email=email, is_primary=True)
    CustomerAddress.objects.create(customer=person, address=address, is_primary=True)
    return person


def surveyor(*, trained: bool = True, **fields):
    user = with_role(StaffFactory(**fields), StaffRole.SURVEYOR)
    if trained:
        SurveyorTraining.objects.create(user=user, course="Survey calls 101",
                                        completed_on=timezone.localdate() - dt.timedelta(days=30))
    return user


def supervisor(**fields):
    return with_role(StaffFactory(**fields), StaffRole.SUPERVISOR)
