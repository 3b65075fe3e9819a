"""Names in the demo's catalogue (`data/philadelphia-catalogue.toml`) that the demo's own code refers to.

The catalogue itself (descriptions, keywords, questions, routing rules, departments' hours and escalation
ladders, Spanish) lives in that file and is loaded by `load_catalogue` like any city's; the file's header
says which parts are the City's published catalogue (`data/philly_services.csv`) and which the demo's.
"""

from __future__ import annotations

# The CSV has no code for Directory Assistance (the City's data leaves it blank); the demo gives it a
# local code so it can be a catalogue entry that information contacts point at.
DIRECTORY_ASSISTANCE_CODE = "INFO-DIRECTORY"

# The contact center's staff are the agents who take calls, walk-ins, e-mails and social posts.
CONTACT_CENTER = "Philly311 Contact Center"

# A demo invention, not a real Philadelphia body: a neighborhood partner that takes Fishtown's graffiti
# jobs, to show a NEIGHBORHOOD routing rule at work.
PARTNER_DEPARTMENT_NAME = "Fishtown Community Graffiti Partnership"
