"""Signals other domains listen to, so requests need not know who acts on them."""

from django.dispatch import Signal

# Sent after the transaction that filed a request commits; keyword argument: service_request.
service_request_filed = Signal()

# Sent after the transaction that recorded a history entry commits (a status change, a note public or
# internal, an assignment, a hazard alert...); keyword argument: history_entry. Notifications listen here.
history_recorded = Signal()
