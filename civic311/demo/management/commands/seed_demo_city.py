"""`manage.py seed_demo_city`: bring up Philadelphia, the demo city, with a year of history."""

from __future__ import annotations

import logging
import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic311.community.services import rollups
from civic311.console import journey_snapshots
from civic311.demo import community as demo_programme
from civic311.demo import services as demo
from civic311.demo import youth as demo_youth
from civic311.demo.address_points import add_address_points
from civic311.demo.console_contacts import give_agents_console_contacts
from civic311.demo.inbox import create_inbox
from civic311.demo.knowledge import load_articles
from civic311.demo.social_posts import create_post_history
from civic311.demo.streets import add_streets
from civic311.demo.surveys import create_survey_history
from civic311.insights import forecast_services, operations_rollups
from civic311.insights.models import ForecastRun
from civic311.text_intelligence import training


class Command(BaseCommand):
    help = (
        "Build the demo city (Philadelphia): calendar, neighborhoods, catalogue, staff, a year of "
        "service requests, contacts and history, and a few hundred CRM customers. Safe to run again: an "
        "existing demo city is kept unless --reset is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--requests", type=int, default=15_000, help="How many service requests to make (default 15,000)."
        )
        parser.add_argument("--days", type=int, default=365, help="Over how many days, ending now (default 365).")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes that write the history at once (PostgreSQL only; default: one per "
            "CPU core from 300,000 requests, else 1).",
        )
        parser.add_argument("--seed", type=int, default=311, help="Random seed, for a repeatable city.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo city and everything in it, then build it again."
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask before --reset deletes the city.",
        )

    def handle(
        self, *args, requests: int, days: int, seed: int, reset: bool, interactive: bool, workers: int | None, **options
    ) -> None:
        if requests < 0 or days < 1:
            raise CommandError("--requests must be 0 or more and --days at least 1.")
        started = time.monotonic()
        # Seeding grants roles and finishes contacts by the hundred; their INFO lines would bury the summary.
        logging.getLogger("civic311").setLevel(logging.WARNING)
        city = demo.demo_city()
        if city is not None and reset:
            self._confirm_reset(city, interactive)
            self.stdout.write(f"Deleting {city.name} ({city.jurisdiction_id})…")
            demo.delete_demo_city(city)
            city = None

        city = demo.create_jurisdiction()
        demo.load_neighborhoods(city)
        demo.load_catalogue(city)
        add_streets(city)  # before the inbox: its posts and texts name streets
        add_address_points(city)  # the addresses along them, for the report form's geocoder
        demo.create_staff(city)
        load_articles(city)  # the knowledge base follows its data file on every run, like the catalogue
        if city.service_requests.exists():
            # The agents' day in the console is "today": a demo started again on another day gets its own.
            today = give_agents_console_contacts(city)
            create_survey_history(city)  # days already surveyed are left alone
            self._programme(city, seed=311)  # a city seeded before the liaison programme gets one
            self._youth(city, seed=311)  # and its youth program and pilot
            if not city.service_models.filter(active=True).exists():
                training.train(city)  # a city seeded before text intelligence gets its service model
            create_inbox(city, seed=311)  # and its inbox: the doors, a week of e-mails, texts and posts
            create_post_history(city, seed=311)  # and a season of posts for the social trends
            rollups.sweep(city)  # the neighborhood figures: counted the first time, brought up to date after
            self._insight(city)  # the forecast and the journeys' figures, as the nightly tasks would make them
            self.stdout.write(
                f"The demo city {city.name} is already there; its catalogue and staff are up to date"
                f"{f', and {today} console contacts were made for today' if today else ''}. "
                "Use --reset to rebuild it."
            )
            return

        self.stdout.write(f"Making {requests:,} service requests over {days} days for {city.name}…")
        stats = demo.generate_history(
            city,
            requests=requests,
            days=days,
            seed=seed,
            workers=workers if workers is not None else (os.cpu_count() or 1) if requests >= 300_000 else 1,
            progress=lambda line: self.stderr.write(line, style_func=str),
        )
        training.train(city)  # the service suggester learns from the history just made
        self._youth(city, seed=seed)  # before the figures: its field walks file requests
        create_inbox(city, seed=seed)  # the inbox (a week of e-mails, texts and posts): it files requests too
        create_post_history(city, seed=seed)  # a season of posts for the social trends
        rollups.rebuild(city)  # the neighborhood pages' figures
        customers = demo.create_demo_customers(city, seed=seed)
        give_agents_console_contacts(city, seed=seed)
        create_survey_history(city, seed=seed)
        self._programme(city, seed=seed)
        self._insight(city)
        self.stdout.write(
            self.style.SUCCESS(
                f"{city.name} is ready in {time.monotonic() - started:.1f} s: {stats.requests:,} service requests, "
                f"{stats.contacts:,} contacts, {stats.history_entries:,} history entries "
                f"({stats.rows_per_second:,.0f} rows/s), {customers:,} customers."
            )
        )
        self.stdout.write("Sign in with: CIVIC311_DEMO=1 python manage.py demo_login")

    def _insight(self, city) -> None:
        """What the periodic tasks make (the operations figures, the volume forecast, this and last month's
        journey figures), so the supervisors' pages have something to show on the first day. Only what is
        missing is made."""
        if not city.service_requests.exists():
            return
        operations_rollups.sweep(city)  # the operations figures: counted the first time, brought up to date after
        if not ForecastRun.objects.filter(jurisdiction=city).exists():
            forecast_services.make_forecast(city)
        journey_snapshots.store_all_snapshots(jurisdiction=city)

    def _programme(self, city, *, seed: int) -> None:
        """The Neighborhood Liaison Program (once), and the demo liaison to sign in as."""
        began = time.monotonic()
        made = demo_programme.create_programme(city, seed=seed)
        if made.liaisons:
            self.stdout.write(
                f"Liaison program: {made.liaisons:,} liaisons ({made.active:,} active), {made.applications:,} "
                f"applications, {made.sessions:,} training sessions, {made.filings:,} requests filed by liaisons "
                f"in {time.monotonic() - began:.1f} s."
            )
        self.stdout.write(
            f"Liaison: sign in at /sign-in/ with {demo_programme.DEMO_LIAISON_EMAIL} "
            "(the link is e-mailed to var/mail/)."
        )

    def _youth(self, city, *, seed: int) -> None:
        """The Youth Engagement Program's cohorts and a pilot assessment (once)."""
        began = time.monotonic()
        made = demo_youth.create_youth_program(city, seed=seed)
        if made.cohorts:
            self.stdout.write(
                f"Youth program: {made.cohorts} cohorts, {made.participants} participants, {made.walk_requests} "
                f"requests filed on field walks, {made.certificates} certificates; a pilot with "
                f"{made.pilot_participants} staff and {made.focus_groups} focus groups in "
                f"{time.monotonic() - began:.1f} s."
            )

    def _confirm_reset(self, city, interactive: bool) -> None:
        if not (interactive and sys.stdin.isatty()):
            return
        answer = input(
            f"This deletes {city.name} ({city.jurisdiction_id}) with every request, contact and service in it.\n"
            "Type 'yes' to continue: "
        )
        if answer.strip().lower() != "yes":
            raise CommandError("Nothing was deleted.")
