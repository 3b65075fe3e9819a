"""The demo's agents' day in the console: a few finished contacts each today, made through the console's
own services (so they are exactly what an agent would leave), with the customers the demo already has.

Call `give_agents_console_contacts(jurisdiction)` after the customers are made; running it again the
same day adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from civic311.catalogue.models import Service
from civic311.catalogue.selectors import offered_services
from civic311.console import selectors, services
from civic311.jurisdictions.models import Jurisdiction
from civic311.people.models import Customer, StaffRole, User
from civic311.service_requests.models import Channel, Contact

ANSWERS = (
    "Trash and recycling are collected on the same day; put them out by 7 a.m.",
    "Bulky items are picked up by appointment; gave the Sanitation number.",
    "Explained how to renew a parking permit online.",
    "Gave the Licenses and Inspections phone number and opening hours.",
)


def give_agents_console_contacts(
    jurisdiction: Jurisdiction, *, per_agent: int = 4, seed: int = 311, now: dt.datetime | None = None
) -> int:
    """Finished information contacts for every agent, earlier today; returns how many were made."""
    now = now or timezone.now()
    rng = random.Random(seed)
    agents = list(
        User.objects.filter(role_assignments__role=StaffRole.AGENT, is_active=True).distinct().order_by("username")
    )
    customers = list(Customer.objects.filter(jurisdiction=jurisdiction, merged_into__isnull=True).order_by("pk")[:200])
    # An information contact is about an information service (set-out times, permits), as in the history.
    topics = list(offered_services(jurisdiction).filter(kind=Service.Kind.INFORMATION)[:10])
    day = selectors.agent_contacts_today
    desks = list(selectors.desks_of(jurisdiction))  # a walk-in records the desk the resident came to
    made = 0
    for agent in agents:
        if day(agent, jurisdiction, now=now).contacts:
            continue
        # Earlier *today* in the city: just after midnight, two hours back would be yesterday, and a demo
        # seeded again would find no contacts today and make more.
        started = max(
            now - dt.timedelta(hours=2), jurisdiction.midnight(timezone.localtime(now, jurisdiction.zone).date())
        )
        for _ in range(per_agent):
            started += dt.timedelta(minutes=rng.randint(5, 20))
            if started >= now:
                break
            channel = rng.choice(selectors.CONSOLE_CHANNELS)
            desk = rng.choice(desks) if channel == Channel.WALK_IN and desks else None
            contact = services.start_contact(jurisdiction, agent, channel, desk=desk, now=started)
            customer = rng.choice(customers) if customers and rng.random() < 0.7 else None
            if customer is not None:
                services.attach_customer(contact, customer, agent=agent)
            services.answer_information(
                contact,
                summary=rng.choice(ANSWERS),
                agent=agent,
                service=rng.choice(topics) if topics else None,
                outcome=Contact.Outcome.INFORMATION,
            )
            consent = rng.random() < 0.4
            phone = customer.phones.filter(is_primary=True).first() if customer is not None else None
            services.finish_contact(
                contact,
                agent=agent,
                survey_consent=consent and phone is not None,
                callback_phone=phone.number if phone is not None else "",
                now=min(now, started + dt.timedelta(seconds=rng.randint(90, 480))),
            )
            made += 1
    return made
