"""Signals other domains listen to, so requests need not know who acts on them.

Both are sent by the worker that announces a history entry (civic311.requests.announcements), inside the
transaction that marks the entry announced: a receiver writes its own rows (an outbox message, a
forwarding row) and lets any error propagate, so the announcement is rolled back and retried as a whole.
"""

from django.dispatch import Signal

# The request's "opened" entry is being announced; keyword argument: service_request.
service_request_filed = Signal()

# A history entry is being announced (a status change, a note public or internal, an assignment, a hazard
# alert...); keyword argument: history_entry. Notifications and surveys listen here.
history_recorded = Signal()
