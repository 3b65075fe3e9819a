"""Writes of the people app, one module per part, one front door (`from civic311.people import services`):

- customers.py: the CRM's customer records (residents the contact centre knows), their phones, e-mails
  and addresses, consent, linking requesters, merging duplicates; every write by staff audited.
- staff.py: contact-centre teams and staff role assignments, and the groups that follow them.
"""

from ..contact_details import legacy_phone_digits, normalize_email, normalize_phone
from .customers import (
    AddressIn,
    PhoneIn,
    add_address,
    add_email,
    add_phone,
    check_email,
    check_phone,
    create_customer,
    link_requester,
    merge_customers,
    record_consent,
    remove_address,
    remove_email,
    remove_phone,
    set_primary_address,
    set_primary_email,
    set_primary_phone,
    update_customer,
)
from .staff import (
    check_team,
    ensure_role_groups,
    grant_role,
    move_to_team,
    revoke_role,
    save_team,
    set_liaison_neighborhoods,
    sync_role_groups_of,
)

__all__ = [
    "AddressIn",
    "PhoneIn",
    "add_address",
    "add_email",
    "add_phone",
    "check_email",
    "check_phone",
    "check_team",
    "create_customer",
    "ensure_role_groups",
    "grant_role",
    "legacy_phone_digits",
    "link_requester",
    "merge_customers",
    "move_to_team",
    "normalize_email",
    "normalize_phone",
    "record_consent",
    "remove_address",
    "remove_email",
    "remove_phone",
    "revoke_role",
    "save_team",
    "set_liaison_neighborhoods",
    "set_primary_address",
    "set_primary_email",
    "set_primary_phone",
    "sync_role_groups_of",
    "update_customer",
]
