"""The community app's periodic sweeps (needs the Huey consumer, `manage.py run_huey`); each is safe to run
twice or on several workers. The jobs that deliver messages are the notifications app's."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

# --- neighborhood figures (rollups) ---

# --- the programme: refreshers overdue ---

# --- liaisons' weekly digest ---
