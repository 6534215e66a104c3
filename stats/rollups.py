"""The monthly rollups: kept as cases move, rebuilt from raw rows on demand, read by every surface.

``rollups_apply`` runs inside each case action's transaction (``stats.receivers``): it computes
the case's fact anew (``stats.figures.facts_of``), subtracts the one it stored last time, adds the
new one and the rating round or return the event records, all in one upsert. A registration
writes its fact and its upsert in one statement on PostgreSQL (2 on SQLite). A case writes to its own shard of each key
(``ROLLUP_SHARDS``), so concurrent registrations do not queue on one row. The upserts run in key
order, so two actions moving counts between the same rows never deadlock; they are the last writes of the action, so a
row lock on a busy month's row is held only until the commit.

``rollups_rebuild`` recomputes everything from the cases and their events (``manage.py
rebuild_rollups``): after a bulk import, a change of the response term, or data moved by hand.
``rollups_refresh`` does the same for a few cases.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet, Sum

from cases.copy_rows import json_insert, json_text
from cases.enums import Transition
from cases.models import Case, CaseEvent
from sla.enums import AuditAction

from .figures import ALL_COUNTS, Fact, Key, ResponseTerms, facts_of, registration_fact
from .models import CaseFigures, MonthlyRollup

_KEY_COLUMNS = ("month", "department_key", "category_id", "channel", "kind")
Deltas = dict[Key, Counter]
# Rows per key that concurrent actions spread over (MonthlyRollup.shard): a case always writes to
# shard ``case_id % ROLLUP_SHARDS``, so two registrations of one key commit without waiting.
ROLLUP_SHARDS = 16


# --- keeping them --------------------------------------------------------------------------


# Actions that move no figure: a case's fact is read from its row, its reply clocks' due and stop
# times and its rating and return events (``figures.facts_of``), and an escalation of an overdue
# clock changes none of them (the clock's status and level; the case row's audit head only).
# Recounting a case for one (the SLA sweeper's burst: hundreds per batch) would find it unchanged.
FIGURE_NEUTRAL_ACTIONS = frozenset({AuditAction.TIMER_ESCALATED})


def rollups_apply(*, case: Case, action: str, event: CaseEvent) -> None:
    """Move ``case``'s figures for ``action`` (inside the action's transaction, the case row locked)."""
    if action in FIGURE_NEUTRAL_ACTIONS:
        return
    if action == Transition.REGISTER:
        fact = registration_fact(case)
        stored = CaseFigures(case_id=case.pk, **_stored_fields(fact))
        _upsert({case.pk % ROLLUP_SHARDS: _deltas(fact.keyed())}, new_fact=stored)
        return
    _refresh([case.pk])


def rollups_refresh(case_ids: Iterable[int]) -> None:
    """Count these cases anew from their rows and events (after an edit that bypassed the services)."""
    with transaction.atomic():
        _refresh(list(case_ids))


def _refresh(case_ids: list[int]) -> None:
    new = {f.case_id: f for f in facts_of(Case.objects.filter(pk__in=case_ids))}
    old = {row.case_id: row for row in CaseFigures.objects.filter(case_id__in=case_ids)}
    sharded: dict[int, Deltas] = defaultdict(lambda: defaultdict(Counter))
    changed: list[CaseFigures] = []
    for pk in case_ids:
        deltas = sharded[pk % ROLLUP_SHARDS]
        fact, stored = new.get(pk), old.get(pk)
        before = _stored_keyed(stored) if stored else {}
        after = fact.keyed() if fact else {}
        if before == after and stored is not None and fact is not None and _clocks(stored) == _clocks(fact):
            continue
        for key, counts in before.items():
            deltas[key].subtract(counts)
        for key, counts in after.items():
            deltas[key].update(counts)
        if fact is not None:
            changed.append(CaseFigures(case_id=pk, **_stored_fields(fact)))
    if changed:
        CaseFigures.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["case"],
            update_fields=["month", "category_id", "channel", "kind", "parts", "reply_late_seconds", "reply_live_due"],
        )
    _upsert(sharded)


def _clocks(row: CaseFigures | Fact) -> tuple[int | None, Any]:
    return (row.reply_late_seconds, row.reply_live_due)


def _stored_fields(fact: Fact) -> dict[str, Any]:
    return {
        "reply_late_seconds": fact.reply_late_seconds,
        "reply_live_due": fact.reply_live_due,
        "month": fact.month,
        "category_id": fact.category_id,
        "channel": fact.channel,
        "kind": fact.kind,
        "parts": {str(dept): counts for dept, counts in fact.parts.items()},
    }


def _stored_keyed(row: CaseFigures) -> dict[Key, dict[str, int]]:
    return {(row.month, int(d), row.category_id, row.channel, row.kind): c for d, c in row.parts.items()}


def _deltas(keyed: dict[Key, dict[str, int]]) -> Deltas:
    return {key: Counter(counts) for key, counts in keyed.items()}


def _key_fields(key: Key) -> dict[str, Any]:
    return dict(zip(_KEY_COLUMNS, key, strict=True))


def _upsert(sharded: dict[int, Deltas], *, new_fact: CaseFigures | None = None, create_empty: bool = False) -> None:
    """Add each shard's ``deltas`` to its rollup rows (creating the missing ones) in one statement,
    in key order (so two actions moving counts between the same rows never deadlock). A new case's
    ``new_fact`` is inserted by the same statement on PostgreSQL (a data-modifying WITH), before it
    on SQLite (which has none). ``create_empty``: write keys whose deltas are all zero too
    (``rollups_fold``'s empty rows)."""
    rows = sorted(
        ((*key, shard), counts)
        for shard, deltas in sharded.items()
        for key, counts in deltas.items()
        if create_empty or any(counts.values())
    )
    prefix, params = "", []
    if new_fact is not None:
        if connection.vendor == "postgresql" and rows:
            insert, params = json_insert([new_fact])
            prefix = f"WITH new_fact AS ({insert}) "
        else:
            new_fact.save(force_insert=True)
    if not rows:
        return
    table = MonthlyRollup._meta.db_table
    columns = [*_KEY_COLUMNS, "shard", *ALL_COUNTS]
    if connection.vendor == "postgresql":  # the rows as one JSON parameter: one kept statement text
        with connection.cursor() as cursor:
            cursor.execute(prefix + _pg_upsert_sql(), [*params, json_text([_row(columns, r) for r in rows])])
        return
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    for key, counts in rows:
        params += [connection.ops.adapt_datefield_value(key[0]), *key[1:], *(counts.get(c, 0) for c in ALL_COUNTS)]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in ALL_COUNTS)
    sql = (
        f"{prefix}INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(rows))} "
        f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}, shard) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _row(columns: list[str], row: tuple[tuple[Any, ...], Counter]) -> dict[str, Any]:
    key, counts = row
    return dict(zip(columns, (*key, *(counts.get(c, 0) for c in ALL_COUNTS)), strict=True))


@cache
def _pg_upsert_sql() -> str:
    """PostgreSQL's upsert of rollup rows given as a JSON array (in key order: it keeps that order)."""
    table = MonthlyRollup._meta.db_table
    columns = ", ".join([*_KEY_COLUMNS, "shard", *ALL_COUNTS])
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in ALL_COUNTS)
    return (
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM json_populate_recordset(NULL::{table}, %s::json) "
        f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}, shard) DO UPDATE SET {updates}"
    )


# --- folding the shards ------------------------------------------------------------------------


def rollups_fold(*, months: Iterable[date] | None = None) -> int:
    """Fold every key's shards into its shard 0 (of ``months``, default all), so a read sums one
    row per key instead of up to ``ROLLUP_SHARDS``: after a day of intake every key of the month
    has all its shards, and the report's read grows with them (16× the rows). Exact while case
    actions run: one short transaction per month and department key locks that group's rows in
    key order (the order ``_upsert`` writes them), moves the other shards' counts onto shard 0 and
    deletes them; a shard written meanwhile is only waited for. Returns the rows folded away."""
    groups = MonthlyRollup.objects.filter(shard__gt=0)
    if months is not None:
        groups = groups.filter(month__in=list(months))
    folded = 0
    for month, department_key in sorted(set(groups.values_list("month", "department_key"))):
        group = MonthlyRollup.objects.filter(month=month, department_key=department_key)
        # Shard 0 of each key exists before anything is locked (an empty row counts nothing), so
        # the transaction below only locks existing rows, all in one order: no deadlock with an
        # action that inserts a key's shard 0 while holding another row.
        keys = set(group.filter(shard__gt=0).values_list(*_KEY_COLUMNS))
        _upsert({0: {key: Counter({"registered": 0}) for key in keys}}, create_empty=True)
        with transaction.atomic():
            rows = list(
                group.order_by(*_KEY_COLUMNS, "shard")
                .select_for_update()
                .values("pk", *_KEY_COLUMNS, "shard", *ALL_COUNTS)
            )
            moved: Deltas = defaultdict(Counter)
            gone = []
            for row in rows:
                if row["shard"]:
                    gone.append(row["pk"])
                    moved[tuple(row[c] for c in _KEY_COLUMNS)].update({c: row[c] for c in ALL_COUNTS if row[c]})
            MonthlyRollup.objects.filter(pk__in=gone).delete()
            _upsert({0: moved})
        folded += len(gone)
    return folded


# --- rebuilding from raw rows ------------------------------------------------------------------

CHUNK = 5000


def recount(cases: QuerySet[Case] | None = None) -> tuple[list[Fact], Deltas]:
    """The facts of every case (or of ``cases``) and the rollup sums they make, from raw rows:
    what the rollups must hold. The rebuild writes it; the tests compare the kept rollups with it."""
    qs = cases if cases is not None else Case.objects.all()
    terms = ResponseTerms()
    facts: list[Fact] = []
    sums: Deltas = defaultdict(Counter)
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        for fact in facts_of(qs.filter(pk__gte=chunk[0], pk__lte=chunk[-1]), response_due=terms):
            facts.append(fact)
            for key, counts in fact.keyed().items():
                sums[key].update(counts)
    return facts, sums


def rollups_rebuild() -> tuple[int, int]:
    """Replace every rollup and stored fact with a recount from raw rows; returns (cases, rows).
    Takes the rollup table's lock on PostgreSQL, so actions wait for it rather than interleave."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {MonthlyRollup._meta.db_table} IN EXCLUSIVE MODE")
        facts, sums = recount()
        CaseFigures.objects.all().delete()
        MonthlyRollup.objects.all().delete()
        for i in range(0, len(facts), CHUNK):
            CaseFigures.objects.bulk_create(
                [CaseFigures(case_id=f.case_id, **_stored_fields(f)) for f in facts[i : i + CHUNK]]
            )
        rows = [
            MonthlyRollup(**_key_fields(key), **counts) for key, counts in sorted(sums.items()) if any(counts.values())
        ]
        MonthlyRollup.objects.bulk_create(rows, batch_size=CHUNK)
    return len(facts), len(rows)


def stored_sums() -> dict[Key, dict[str, int]]:
    """The rollup table as {key: non-zero counts}, its shards summed (to compare with ``recount``)."""
    out = {}
    for row in MonthlyRollup.objects.order_by().values(*_KEY_COLUMNS).annotate(**_sums()):
        counts = {c: row[c] for c in ALL_COUNTS if row[c]}
        if counts:
            out[tuple(row[c] for c in _KEY_COLUMNS)] = counts
    return out


# --- reading them ------------------------------------------------------------------------


def _sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in ALL_COUNTS}


def month_rows(month: date) -> list[dict[str, Any]]:
    """The month's sums per department key, channel and kind (one query)."""
    return list(
        MonthlyRollup.objects.filter(month=month)
        .order_by()
        .values("department_key", "channel", "kind")
        .annotate(**_sums())
    )


def months_rows(first: date, last: date, *, by_department: bool = False) -> list[dict[str, Any]]:
    """Sums per month (and department key) from ``first`` to ``last`` (one query)."""
    keys = ["month", "department_key"] if by_department else ["month"]
    return list(
        MonthlyRollup.objects.filter(month__gte=first, month__lte=last).order_by().values(*keys).annotate(**_sums())
    )


def series_rows(first: date, last: date, *, department_keys: list[int] | None = None) -> list[dict[str, Any]]:
    """Sums per month, all departments or those keys (one query)."""
    qs = MonthlyRollup.objects.filter(month__gte=first, month__lte=last)
    if department_keys is not None:
        qs = qs.filter(department_key__in=department_keys)
    return list(qs.order_by().values("month").annotate(**_sums()))


def report_rows(month: date, *, first: date) -> list[dict[str, Any]]:
    """Every sum a month's report shows, in one query: ``month``'s per department key, channel,
    kind and category (its tables, charts and top categories), and each earlier month's from
    ``first`` per department key (the trend, and the ranking's last month and last year). The
    breakdown columns (``r_channel``, ``r_kind``, ``r_category``) read ``""``/``0`` on the earlier
    months' rows. Written in SQL with the sums cast back to integers: through the ORM, PostgreSQL's
    ``numeric`` sums decoded as ``Decimal`` and converted back cost more than the query itself."""
    table = MonthlyRollup._meta.db_table
    sums = ", ".join(f"CAST(SUM({c}) AS BIGINT)" for c in ALL_COUNTS)
    this = connection.ops.adapt_datefield_value(month)
    sql = (
        f"SELECT month, department_key, CASE WHEN month = %s THEN channel ELSE '' END, "
        f"CASE WHEN month = %s THEN kind ELSE '' END, CASE WHEN month = %s THEN category_id ELSE 0 END, {sums} "
        f"FROM {table} WHERE month >= %s AND month <= %s GROUP BY 1, 2, 3, 4, 5"
    )
    names = ("month", "department_key", "r_channel", "r_kind", "r_category", *ALL_COUNTS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [this, this, this, connection.ops.adapt_datefield_value(first), this])
        found = cursor.fetchall()
    rows = [dict(zip(names, row, strict=True)) for row in found]
    for row in rows:
        if isinstance(row["month"], str):  # SQLite
            row["month"] = date.fromisoformat(row["month"])
    return rows


def overdue_candidates(month: date, *, now: Any, limit: int) -> list[int]:
    """The cases of ``month`` among which the ``limit`` most overdue reply clocks are: the ones
    with the longest late stops and the ones whose running clock fell due first (two index reads)."""
    facts = CaseFigures.objects.filter(month=month)
    late = facts.filter(reply_late_seconds__isnull=False).order_by("-reply_late_seconds")
    running = facts.filter(reply_live_due__lt=now).order_by("reply_live_due")
    ids = list(late.values_list("case_id", flat=True)[:limit])
    return ids + list(running.values_list("case_id", flat=True)[:limit])


def category_rows(month: date, *, limit: int) -> list[dict[str, Any]]:
    """The month's most registered categories (one query)."""
    return list(
        MonthlyRollup.objects.filter(month=month)
        .order_by()
        .values("category_id")
        .annotate(n=Sum("registered"))
        .filter(n__gt=0)
        .order_by("-n", "category_id")[:limit]
    )
