"""Writes to service requests. Every way in (the public form, the admin, Open311, the console, the
staff API, imports and tasks) goes through these functions, so a rule lives in exactly one place.

Each function checks everything first and writes nothing when any check fails; the writes of one call
happen in one transaction. The modules are named for what they do; this package is their one front
door (`from civic311.service_requests import services`), so callers need not know which file holds a
rule.
"""

from civic311.people.contact_details import check_address, is_valid_email, is_valid_phone, phone_digits

from .access import check_may_change, check_may_view
from .checks import check_description, check_media_url
from .department_work import add_photo, assign, create_follow_on, merge_duplicate, transfer
from .escalations import record_escalation, record_redress
from .history import RESIDENT, SYSTEM, record_history
from .intake import (
    CannedAnswer,
    Report,
    Submission,
    allocate_tracking_numbers,
    check_information_request,
    end_contact,
    log_information_request,
    open_contact,
    submit,
)
from .resident_links import (
    RESIDENT_SALT,
    resident_comment,
    resident_link_token,
    resident_reopen,
    resident_token_is_valid,
    resident_window_open,
)
from .status_changes import (
    EDITABLE_DETAILS,
    add_note,
    change_status,
    check_details,
    record_another_report,
    update_details,
)

__all__ = [
    "EDITABLE_DETAILS",
    "RESIDENT",
    "RESIDENT_SALT",
    "SYSTEM",
    "CannedAnswer",
    "Report",
    "Submission",
    "add_note",
    "add_photo",
    "allocate_tracking_numbers",
    "assign",
    "change_status",
    "check_address",
    "check_description",
    "check_details",
    "check_information_request",
    "check_may_change",
    "check_may_view",
    "check_media_url",
    "create_follow_on",
    "end_contact",
    "is_valid_email",
    "is_valid_phone",
    "log_information_request",
    "merge_duplicate",
    "open_contact",
    "phone_digits",
    "record_another_report",
    "record_escalation",
    "record_history",
    "record_redress",
    "resident_comment",
    "resident_link_token",
    "resident_reopen",
    "resident_token_is_valid",
    "resident_window_open",
    "submit",
    "transfer",
    "update_details",
]
