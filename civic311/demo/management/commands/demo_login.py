"""`manage.py demo_login`: fresh passwords for the demo's `admin` and one person of each working role
(supervisor, agent, department manager and staff), printed with where to use them."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from civic311.demo.services import ADMIN_USERNAME, reset_admin_password, reset_demo_passwords


class Command(BaseCommand):
    help = "Give the admin and one demo person per role fresh random passwords and print them."

    def handle(self, *args, **options) -> None:
        password = reset_admin_password()
        # bin/demo passes its PORT on; the server listens there.
        port = os.environ.get("PORT", "8000")
        self.stdout.write(f"Admin: http://127.0.0.1:{port}/admin/  user: {ADMIN_USERNAME}  password: {password}")
        for sign_in in reset_demo_passwords():
            self.stdout.write(
                f"{sign_in.role}: http://127.0.0.1:{port}{sign_in.path}  user: {sign_in.username}  "
                f"password: {sign_in.password}"
            )
