"""The public dataset's columns: Philadelphia's `public_cases_fc`, in its order.

The export writes these and the importer reads them, so a city can move its history between the two
(and other cities' tools that read Philadelphia's dataset read ours).
"""

from __future__ import annotations

PUBLIC_CASES_COLUMNS: tuple[str, ...] = (
    "objectid",
    "service_request_id",
    "subject",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "closed_datetime",
    "address",
    "zipcode",
    "media_url",
    "lat",
    "lon",
)
# Added after the city's columns, and only where the city publishes what residents wrote.
DESCRIPTION_COLUMN = "description"

# The dataset's public status: two values, as Philadelphia publishes them.
OPEN, CLOSED = "Open", "Closed"
