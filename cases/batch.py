"""Appending many system entries to many cases' audit chains in a few statements (a worker's batch).

``case_action`` appends one event per action with four statements (the chain head, the row as
stored, the event, the head moved). A worker acting on hundreds of cases at once (the SLA sweeper's
escalations) uses ``record_many`` instead: the heads of all its cases are read in one query, each
event's seq, previous hash and keyed hash are computed here in order (two entries of one case chain
one after the other), the events go in with one multi-row INSERT, the heads move with one UPDATE,
and then ``case_changed`` is sent for each event, as ``case_action`` sends it, so every receiver
(timers, notifications) sees the same thing it would have seen one action at a time; then
``cases_changed_in_batch`` once for the set, with the actions it held (the stats rollups recount
it there, set-wise, unless no action of the set moves a figure).

Only for entries that change no audited column of the case: the row digest of each event is that
of the case row as the caller locked and loaded it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Subquery

from . import audit, chain
from .copy_rows import insert_rows
from .domain import case_changed, cases_changed_in_batch
from .models import Case, CaseEvent


@dataclass
class Entry:
    """One system entry for ``record_many``: ``case`` is the locked row, unchanged by the entry."""

    case: Case
    action: str
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    public: bool | None = None
    as_label: str = "system"


def chain_heads(case_ids: set[int]) -> dict[int, tuple[int, str]]:
    """(seq, hash) of each case's last event, in one query over the (case, seq) index."""
    last_seq = CaseEvent.objects.filter(case_id=OuterRef("case_id")).order_by("-seq").values("seq")[:1]
    rows = CaseEvent.objects.filter(case_id__in=case_ids, seq=Subquery(last_seq)).values_list("case_id", "seq", "hash")
    return {case_id: (seq, hash_) for case_id, seq, hash_ in rows}


def _move_heads(heads: dict[int, tuple[int, str]]) -> None:
    """One UPDATE … FROM a ``VALUES`` list of (id, seq, hash) for every case (PostgreSQL and SQLite
    ≥ 3.33); ``bulk_update``'s CASE WHEN expressions cost more to build than the whole statement
    takes to run, and a derived table of 500 ``SELECT``s joined by ``UNION ALL`` took PostgreSQL
    longer to plan than to run. Like case_action's head move: neither version nor updated_at changes."""
    table = connection.ops.quote_name(Case._meta.db_table)
    rows = ", ".join(["(%s, %s, %s)"] * len(heads))
    params = [value for pk, (seq, hash_) in heads.items() for value in (pk, seq, hash_)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v (id, seq, hash) AS (VALUES {rows}) "
            f"UPDATE {table} SET audit_head_seq = v.seq, audit_head_hash = v.hash FROM v WHERE {table}.id = v.id",
            params,
        )


def record_many(entries: list[Entry], *, now: dt.datetime) -> list[CaseEvent]:
    """Append one event per entry (in the given order) and announce each. The caller holds the
    cases' row locks in its transaction."""
    if not entries:
        return []
    # The hash covers ``at.isoformat()``, and the column reads back in UTC: hash it as it will read.
    now = now.astimezone(dt.UTC)
    heads = chain_heads({e.case.pk for e in entries})
    digests: dict[int, str] = {}
    events = []
    for entry in entries:
        case = entry.case
        info = audit.action_for_new_event(entry.action)
        if case.pk not in digests:
            digests[case.pk] = chain.row_digest({name: getattr(case, name) for name in chain.AUDITED_COLUMNS})
        seq, prev = heads.get(case.pk, (0, ""))
        event = CaseEvent(
            case=case,
            seq=seq + 1,
            at=now,
            actor=None,
            actor_label=entry.as_label,
            role=entry.as_label,
            transition=entry.action,
            from_state=case.state,
            to_state=case.state,
            note=entry.note,
            data=entry.data,
            public=info.public if entry.public is None else entry.public,
            client_ip=None,
            prev_hash=prev,
            hash_version=chain.KEYED,
            row_digest=digests[case.pk],
        )
        event.hash = event.compute_hash()
        heads[case.pk] = (event.seq, event.hash)
        events.append(event)
    insert_rows(events)
    cases = {e.case.pk: e.case for e in entries}
    for pk, case in cases.items():
        case.audit_head_seq, case.audit_head_hash = heads[pk]
    _move_heads({pk: heads[pk] for pk in cases})
    for entry, event in zip(entries, events, strict=True):
        case_changed.send(
            sender=Case,
            case=entry.case,
            event=event,
            action=entry.action,
            actor=None,
            payload=entry.data,
            batched=True,
        )
    cases_changed_in_batch.send(sender=Case, case_ids=list(cases), actions={e.action for e in entries})
    return events
