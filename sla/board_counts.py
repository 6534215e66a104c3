"""The overdue board's counts kept by PostgreSQL itself, so the board reads a few hundred rows
instead of every live timer (issue 11: p99 < 50 ms at 1,000,000 live timers).

What is counted is exactly what ``sla.board`` defines: cases (distinct) with live timers of the
board's stages, per responsible department and stage, and over the whole board, by colour
(``clock_colour``) and escalation. Colour moves with time without any write (a running clock turns
amber at ``warn_at`` and red at ``due_at``), so the counters hold each timer under its **stored**
colour, the colour it has before any of those moments passes:

    paused  -> paused;  breached -> breached;  running, warned -> warning;  running -> running

and the read adds what time changed since (``time_correction``): the running timers past their
``warn_at`` not yet warned, or past their ``due_at``. Those are exactly the sweeper's unswept
work, a handful when it keeps up (two partial indexes find them), all of the burst while it runs.

The counters are **append-only delta rows** (``BoardCount``): statement-level triggers on
``sla_timer`` (``TRIGGER_SQL``) recount, for the cases a statement touched, the case's flags before
and after from the transition tables, and insert the differences. No row is ever updated, so
concurrent registrations and sweeper batches never queue on a counter's lock. ``compact`` folds the
rows into one per key (each SLA worker every ``COMPACT_EVERY`` seconds: ``Sweeper.compact_every``); ``rebuild``
recounts from the timers (``manage.py board_counts --rebuild``).

Only PostgreSQL has transition tables; elsewhere (SQLite, the embedded default) the board counts
the timers directly, which is what ``tests/sla/test_board_counts.py`` compares the counters with.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction

from .deadlines import clock_colour
from .enums import ClockColour, Stage, TimerStatus
from .models import Timer

BOARD_STAGES = (Stage.TRIAGE, Stage.SIGN_FOR, Stage.REPLY, Stage.REVIEW)
COUNTS = ("running", "warning", "breached", "paused", "escalated")
COMPACT_EVERY = 30.0  # seconds between compactions in one worker process
# Statements of up to this many timer rows use the trigger's kept plan; larger ones are planned for
# their own size (``_trigger_function``).
FEW_ROWS = 32

_STAGES_SQL = ", ".join(f"'{s.value}'" for s in BOARD_STAGES)

# The stored colour of a live timer (the module docstring) and its flags.
_COLOUR_SQL = (
    "CASE WHEN {t}.status = 'paused' THEN 'paused' WHEN {t}.status = 'breached' THEN 'breached' "
    "WHEN {t}.warned_at IS NOT NULL THEN 'warning' ELSE 'running' END"
)
_FLAGS_SQL = ", ".join(
    [f"bool_or(colour = '{c}')::int AS {c}" for c in COUNTS[:4]] + ["bool_or(esc)::int AS escalated"]
)
_SUMS_SQL = ", ".join(f"sum(sgn * {c}) AS {c}" for c in COUNTS)
_NONZERO_SQL = " OR ".join(f"{c} <> 0" for c in COUNTS)


def _board_rows_sql(source: str, alias: str) -> str:
    """The board's view of timer rows from ``source``: live, of a board stage."""
    colour = _COLOUR_SQL.format(t=alias)
    return (
        f"SELECT {alias}.id, {alias}.case_id, {alias}.department_id, {alias}.stage, {colour} AS colour, "
        f"{alias}.escalation_level >= 1 AS esc FROM {source} {alias} "
        f"WHERE {alias}.stopped_at IS NULL AND {alias}.stage IN ({_STAGES_SQL})"
    )


def _deltas_sql(signed: str) -> str:
    """From ``signed`` (board rows with ``sgn`` +1 for after, -1 for before), the INSERT of the
    per-(department, stage) and whole-board differences of distinct-case flags."""
    return f"""
        signed AS ({signed}),
        per_row AS (SELECT sgn, case_id, department_id, stage, {_FLAGS_SQL}
                    FROM signed GROUP BY sgn, case_id, department_id, stage),
        per_case AS (SELECT sgn, case_id, {_FLAGS_SQL} FROM signed GROUP BY sgn, case_id),
        deltas AS (
            SELECT false AS is_total, department_id, stage, {_SUMS_SQL}
            FROM per_row GROUP BY department_id, stage
            UNION ALL
            SELECT true, NULL, '', {_SUMS_SQL} FROM per_case
        )
        INSERT INTO sla_boardcount (is_total, department_id, stage, {", ".join(COUNTS)})
        SELECT is_total, department_id, stage, {", ".join(COUNTS)} FROM deltas
        WHERE {_NONZERO_SQL}
    """


def _recount_sql() -> str:
    """INSERT of the counts recounted from every timer (one row per key)."""
    return "WITH " + _deltas_sql(f"SELECT 1 AS sgn, b.* FROM ({_board_rows_sql('sla_timer', 't')}) b").strip()


# What a timer statement may change on the board: only then do the triggers recount.
_MATTERS = (
    "(o.stopped_at IS NULL) IS DISTINCT FROM (n.stopped_at IS NULL) OR o.status IS DISTINCT FROM n.status "
    "OR (o.warned_at IS NULL) IS DISTINCT FROM (n.warned_at IS NULL) "
    "OR (o.escalation_level >= 1) IS DISTINCT FROM (n.escalation_level >= 1) "
    "OR o.department_id IS DISTINCT FROM n.department_id OR o.stage IS DISTINCT FROM n.stage "
    "OR o.case_id IS DISTINCT FROM n.case_id"
)


def _trigger_function(op: str) -> str:
    """The plpgsql function behind one of the three statement triggers (``op``: INSERT, UPDATE,
    DELETE). The cases touched are recounted before and after: after = their live board timers
    now; before = those minus the statement's new rows plus its old rows."""
    has_new, has_old = op in ("INSERT", "UPDATE"), op in ("UPDATE", "DELETE")
    if op == "INSERT":
        touched = "SELECT DISTINCT case_id FROM new_rows"
    elif op == "DELETE":
        touched = "SELECT DISTINCT case_id FROM old_rows"
    else:
        touched = (
            "SELECT o.case_id FROM old_rows o JOIN new_rows n ON n.id = o.id "
            f"WHERE {_MATTERS} UNION SELECT n.case_id FROM old_rows o JOIN new_rows n ON n.id = o.id "
            f"WHERE {_MATTERS}"
        )
    # The touched cases' clocks, looked up by case (the planner pulls the LATERAL subquery up: which
    # join it picks follows the transition tables' estimated size, hence the split by size below);
    # anti- and semi-joins (EXISTS) for the small sets, never NOT IN over a subquery (quadratic
    # when a statement over a million timers does not fit in memory).
    after = (
        "SELECT b.* FROM touched x CROSS JOIN LATERAL ("
        + _board_rows_sql("sla_timer", "t")
        + " AND t.case_id = x.case_id) b"
    )
    before = "SELECT a.* FROM after_rows a" + (
        " WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = a.id)" if has_new else ""
    )
    if has_old:
        before += (
            f" UNION ALL SELECT o2.* FROM ({_board_rows_sql('old_rows', 'o')}) o2"
            " WHERE EXISTS (SELECT 1 FROM touched x WHERE x.case_id = o2.case_id)"
        )
    signed = "SELECT 1 AS sgn, * FROM after_rows UNION ALL SELECT -1, * FROM before_rows"
    recount = f"""WITH touched AS ({touched}),
        after_rows AS ({after}),
        before_rows AS ({before}),
        {_deltas_sql(signed).strip()}"""
    rows = "new_rows" if has_new else "old_rows"
    # How each statement is planned matters more than anything else here. PL/pgSQL plans a static
    # statement once per connection and keeps that plan: planned for a statement of 100,000 rows (a
    # rebuild, a burst's batch), it hash-joins the whole table, and every later one-row change on
    # that connection (a clerk signing for a case, the sweeper's one-by-one path) paid a scan of
    # every timer: 360 ms to 2 s per UPDATE at 2,000,000 timers. So a statement of a few rows runs
    # the static statement (first planned, and kept, for a few rows: index lookups), and a larger one
    # is planned afresh (EXECUTE) for its own size. JIT is off: its compile time (0.4-1 s) was
    # chosen by those large estimates, and the trigger's queries never run long enough to repay it.
    return f"""
CREATE OR REPLACE FUNCTION sla_board_counts_{op.lower()}() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $body$
BEGIN
    IF NOT EXISTS ({touched}) THEN
        RETURN NULL;
    END IF;
    IF (SELECT count(*) FROM (SELECT 1 FROM {rows} LIMIT {FEW_ROWS + 1}) few) <= {FEW_ROWS} THEN
        {recount};
    ELSE
        EXECUTE $recount${recount}$recount$;
    END IF;
    RETURN NULL;
END
$body$;
"""


def _trigger(op: str) -> str:
    tables = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
    tables["DELETE"] = "OLD TABLE AS old_rows"
    return (
        f"CREATE TRIGGER sla_board_counts_{op.lower()} AFTER {op} ON sla_timer "
        f"REFERENCING {tables[op]} FOR EACH STATEMENT EXECUTE FUNCTION sla_board_counts_{op.lower()}();"
    )


OPS = ("INSERT", "UPDATE", "DELETE")
# The three functions alone (CREATE OR REPLACE): what a migration that changes them runs.
FUNCTIONS_SQL = "\n".join(_trigger_function(op) for op in OPS)
TRIGGER_SQL = "\n".join(_trigger_function(op) + _trigger(op) for op in OPS)
DROP_SQL = "\n".join(
    f"DROP TRIGGER IF EXISTS sla_board_counts_{op.lower()} ON sla_timer; "
    f"DROP FUNCTION IF EXISTS sla_board_counts_{op.lower()}();"
    for op in OPS
)


def kept() -> bool:
    """Whether this database keeps the counters (PostgreSQL); elsewhere the board counts directly."""
    return connection.vendor == "postgresql"


# --- maintenance -------------------------------------------------------------------------------


def compact() -> int:
    """Fold the delta rows into one row per key; returns how many rows there were. One statement:
    rows inserted meanwhile by other transactions are not in its snapshot and stay as they are."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH gone AS (DELETE FROM sla_boardcount RETURNING *),
            folded AS (
                SELECT is_total, department_id, stage, {", ".join(f"sum({c}) AS {c}" for c in COUNTS)}, count(*) AS n
                FROM gone GROUP BY is_total, department_id, stage
            ),
            kept AS (
                INSERT INTO sla_boardcount (is_total, department_id, stage, {", ".join(COUNTS)})
                SELECT is_total, department_id, stage, {", ".join(COUNTS)} FROM folded WHERE {_NONZERO_SQL}
            )
            SELECT coalesce(sum(n), 0) FROM folded
            """
        )
        return int(cur.fetchone()[0])


def rebuild() -> None:
    """Recount the counters from the timers. Timer writes wait for it (a SHARE lock on the table),
    so the recount is exact; reads go on."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("LOCK TABLE sla_timer IN SHARE MODE")
        cur.execute("DELETE FROM sla_boardcount")
        cur.execute(_recount_sql())


# --- reading -------------------------------------------------------------------------------------

Key = tuple[bool, int | None, str]


def stored_counts() -> dict[Key, dict[str, int]]:
    """The counters as stored: {(is_total, department_id, stage): {count: n}}."""
    sums = ", ".join(f"sum({c})" for c in COUNTS)
    with connection.cursor() as cur:
        cur.execute(f"SELECT is_total, department_id, stage, {sums} FROM sla_boardcount GROUP BY 1, 2, 3")
        return {(r[0], r[1], r[2]): dict(zip(COUNTS, map(int, r[3:]), strict=True)) for r in cur.fetchall()}


class _Clock:
    """The columns of a timer the colour rule reads (``clock_colour``), without a model instance:
    during a burst the correction reads every unswept timer."""

    __slots__ = ("case_id", "department_id", "stage", "status", "warned_at", "warn_at", "due_at")
    stopped_at = None  # only live timers are read
    breached_at = None
    is_live = True

    def __init__(self, row: tuple) -> None:
        for name, value in zip(self.__slots__, row, strict=True):
            setattr(self, name, value)


def _stored_colour(timer: _Clock) -> str:
    if timer.status == TimerStatus.PAUSED:
        return ClockColour.PAUSED
    if timer.status == TimerStatus.BREACHED:
        return ClockColour.BREACHED
    return ClockColour.WARNING if timer.warned_at is not None else ClockColour.RUNNING


def stale_cases(now: dt.datetime) -> list[int]:
    """Cases with a running board clock whose colour time has changed since it was stored: past
    its ``warn_at`` and not warned, or past its ``due_at`` (each from its partial index alone)."""
    running = Timer.objects.filter(stopped_at__isnull=True, status=TimerStatus.RUNNING, stage__in=BOARD_STAGES)
    unwarned = running.filter(warned_at__isnull=True, warn_at__lte=now).values_list("case_id", flat=True)
    overdue = running.filter(due_at__lte=now).values_list("case_id", flat=True)
    return list(unwarned.order_by().union(overdue.order_by()))


def time_correction(now: dt.datetime) -> dict[Key, dict[str, int]]:
    """What time changed since the stored colours: for every case with a stale clock
    (``stale_cases``), its flags at ``now`` minus its stored flags. No stale clock, no second query."""
    out: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    stale = stale_cases(now)
    if not stale:
        return out
    rows = Timer.objects.filter(case_id__in=stale, stopped_at__isnull=True, stage__in=BOARD_STAGES).values_list(
        *_Clock.__slots__
    )
    by_key: dict[tuple, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for row in rows.iterator(chunk_size=10_000):
        clock = _Clock(row)
        stored, real = _stored_colour(clock), clock_colour(clock, now=now)  # type: ignore[arg-type]
        for key in ((False, clock.department_id, clock.stage), (True, None, "")):
            colours = by_key[(clock.case_id, key)]
            colours[0].add(stored)
            colours[1].add(real)
    for (_case, key), (stored, real) in by_key.items():
        for c in COUNTS[:4]:
            out[key][c] += (c in real) - (c in stored)
    return out


def counts(now: dt.datetime) -> tuple[dict[tuple[int | None, str], dict[str, int]], dict[str, int]]:
    """The board's counts at ``now`` from the counters: ({(department_id, stage): counts}, totals)."""
    merged: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for part in (stored_counts(), time_correction(now)):
        for key, values in part.items():
            for c, n in values.items():
                merged[key][c] += n
    totals = merged.pop((True, None, ""), dict.fromkeys(COUNTS, 0))
    rows = {(k[1], k[2]): v for k, v in merged.items() if any(v.values())}
    return rows, totals
