"""Domain events the cases app announces; other apps react to them.

``case_changed`` is sent *inside* the transaction of the action, after the
``CaseEvent`` is written, once per event (``cases.services.case_action``).
Receivers that keep state in the database (SLA timers, notification outbox rows)
write in the same transaction, so they commit or roll back with the action.
Anything that leaves the process (WebSocket events, e-mail, SMS) must be deferred
with ``transaction.on_commit`` by the receiver.

Keyword arguments: ``case``, ``event`` (the CaseEvent), ``action`` (its audit name:
a cases ``Transition`` value or another app's dotted name, see ``cases.audit``),
``actor`` (User or None), ``payload`` (dict of action-specific values); ``batched``
(True when ``cases.batch.record_many`` sends it, one of many).

``cases_changed_in_batch`` follows a ``record_many`` batch once, in the same transaction, with
``case_ids`` and ``actions`` (the set of audit names the batch wrote): a receiver that can act on
the set at once (the stats rollups) does so there and skips the batched ``case_changed`` sends, so a worker's batch costs it the same few statements for
3 cases or 300.
"""

from django.dispatch import Signal

case_changed = Signal()
cases_changed_in_batch = Signal()
