"""`manage.py demo_login`: a fresh password for the demo's `admin`, printed with where to use it."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from civic311.demo.services import ADMIN_USERNAME, reset_admin_password


class Command(BaseCommand):
    help = "Give the admin user a fresh random password (creating the user if missing) and print it."

    def handle(self, *args, **options) -> None:
        password = reset_admin_password()
        self.stdout.write(f"Admin: http://127.0.0.1:8000/admin/  user: {ADMIN_USERNAME}  password: {password}")
