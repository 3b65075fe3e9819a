"""`manage.py demo_login`: a fresh password for the demo's `admin`, printed with where to use it."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from civic311.demo.services import ADMIN_USERNAME, reset_admin_password


class Command(BaseCommand):
    help = "Give the admin user a fresh random password (creating the user if missing) and print it."

    def handle(self, *args, **options) -> None:
        password = reset_admin_password()
        # bin/demo passes its PORT on; the server listens there.
        port = os.environ.get("PORT", "8000")
        self.stdout.write(f"Admin: http://127.0.0.1:{port}/admin/  user: {ADMIN_USERNAME}  password: {password}")
