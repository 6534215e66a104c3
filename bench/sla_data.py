"""Bulk data for the sla benchmarks: a million cases and timers in seconds, with INSERT … SELECT
over generate_series on PostgreSQL (row-by-row ORM inserts would take an hour).

Only for a database whose name contains "bench": it empties the case and timer tables.
Used by bench/sla_sweeper.py and bench/overdue_board.py; not a test module.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casecenter.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import NOT_PROVIDED  # noqa: E402

from cases.models import Case, Category, Department  # noqa: E402
from cases.seed import load_district  # noqa: E402
from sla.models import Calendar, Timer  # noqa: E402

DEPARTMENTS = ["CGJ", "ZJJ", "RSJ", "SJJ", "HBJ", "JTJ", "JYJ", "WJJ", "MZJ", "GAJ", "SWJ", "JD-E", "JD-W"]
STAGES = ["reply", "sign_for", "review", "triage"]


def prepare_database() -> None:
    if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
        sys.exit("needs DATABASE_URL=postgres://…/<name with 'bench'> (the tables are emptied)")
    call_command("migrate", verbosity=0)
    load_district()
    from sla.seed import seed_calendars_now

    seed_calendars_now()


def _constant_columns(model: Any, sample: dict[str, Any], varying: set[str]) -> tuple[list[str], list[Any]]:
    """Column names and DB values of every concrete field not in ``varying`` (from ``sample`` or the default)."""
    cols, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in varying or f.attname in varying:
            continue
        if f.attname in sample:
            value = sample[f.attname]
        elif f.default is not NOT_PROVIDED:
            value = f.get_default()
        elif f.null:
            value = None
        else:
            value = ""
        cols.append(f.column)
        values.append(f.get_db_prep_save(value, connection))
    return cols, values


@contextmanager
def board_triggers_off():
    """Bulk loads and reshapes of the timer table with the board's counter triggers off (one
    statement over millions of rows would carry its whole transition table), recounted after."""
    from sla import board_counts

    with connection.cursor() as cur:
        cur.execute("ALTER TABLE sla_timer DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("ALTER TABLE sla_timer ENABLE TRIGGER USER")
        board_counts.rebuild()


def insert_cases_and_timers(n_open: int, n_due: int, *, now: dt.datetime) -> float:
    """``n_open`` in-progress cases, each with one live timer, of which ``n_due`` are due at ``now``
    (the rest due in a year); returns the seconds it took."""
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE sla_extension, sla_supervisionorder, sla_timer, sla_boardcount, cases_caseevent, "
            "cases_case_assisting_departments, cases_attachment, cases_case RESTART IDENTITY CASCADE"
        )
    dept_ids = list(Department.objects.filter(code__in=DEPARTMENTS).order_by("code").values_list("id", flat=True))
    cat = Category.objects.get(code="CITY-VEND")
    cols, values = _constant_columns(
        Case,
        {
            "channel": "web",
            "kind": "complaint",
            "category_id": cat.pk,
            "title": "基准测试工单",
            "content": "基准",
            "state": "in_progress",
            "registered_at": now - dt.timedelta(days=30),
            "updated_at": now,
            "assigned_at": now - dt.timedelta(days=29),
        },
        varying={"tracking_no", "department_id"},
    )
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO cases_case ({', '.join(cols)}, tracking_no, department_id) "
            f"SELECT {placeholders}, 'B' || lpad(g::text, 12, '0'), (%s::bigint[])[1 + g %% %s] "
            f"FROM generate_series(1, %s) g",
            [*values, dept_ids, len(dept_ids), n_open],
        )
    cal = Calendar.objects.get(code="CN")
    far = now + dt.timedelta(days=365)
    due = now - dt.timedelta(hours=1)
    cols, values = _constant_columns(
        Timer,
        {
            "calendar_id": cal.pk,
            "term_unit": "working_days",
            "term_value": 13,
            "status": "running",
            "started_at": now - dt.timedelta(days=29),
        },
        varying={"case_id", "department_id", "stage", "warn_at", "due_at", "original_due_at", "next_action_at"},
    )
    placeholders = ", ".join(["%s"] * len(values))
    with board_triggers_off():
        with connection.cursor() as cur:
            # The first n_due cases (by id) are overdue; the others are far from any action.
            cur.execute(
                f"INSERT INTO sla_timer ({', '.join(cols)}, case_id, department_id, stage, warn_at, due_at, "
                f"original_due_at, next_action_at) "
                f"SELECT {placeholders}, c.id, c.department_id, (%s::text[])[1 + c.id %% 4], "
                f"CASE WHEN c.id <= %s THEN %s ELSE %s END, CASE WHEN c.id <= %s THEN %s ELSE %s END, "
                f"CASE WHEN c.id <= %s THEN %s ELSE %s END, CASE WHEN c.id <= %s THEN %s ELSE %s END "
                f"FROM cases_case c",
                [
                    *values,
                    STAGES,
                    n_due,
                    due - dt.timedelta(days=2),
                    far - dt.timedelta(days=30),
                    n_due,
                    due,
                    far,
                    n_due,
                    due,
                    far,
                    n_due,
                    due - dt.timedelta(days=2),
                    far - dt.timedelta(days=30),
                ],
            )
            cur.execute("ANALYZE cases_case; ANALYZE sla_timer")
    return time.perf_counter() - t0


def add_staff(per_department: int) -> int:
    """``per_department`` clerks with an e-mail address in each bench department (who the
    deadline messages go to: in-app and e-mail each); returns how many there are."""
    from cases.enums import Role
    from cases.models import User

    User.objects.filter(username__startswith="bench_", role=Role.CLERK).delete()  # not bench/intake.py's agent
    users = [
        User(username=f"bench_{d.code}_{i}", role=Role.CLERK, department=d, email=f"bench{i}@{d.code.lower()}.example")
        for d in Department.objects.filter(code__in=DEPARTMENTS)
        for i in range(per_department)
    ]
    User.objects.bulk_create(users)
    return len(users)


def reset_burst(n_due: int) -> None:
    """Put the first ``n_due`` cases' timers back to due-and-untouched, and drop what acting on
    them wrote (orders, events, outbox rows, relayed events): the next round starts from the same
    burst without reloading millions of rows."""
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE sla_supervisionorder, cases_caseevent, notifications_outbox, notifications_relayedevent CASCADE"
        )
        cur.execute(
            "UPDATE sla_timer SET status = 'running', breached_at = NULL, warned_at = NULL, escalation_level = 0, "
            "next_escalation_at = NULL, next_action_at = warn_at, claimed_by = '', claim_expires_at = NULL "
            "WHERE case_id <= %s",
            [n_due],
        )
        cur.execute("UPDATE cases_case SET audit_head_seq = 0, audit_head_hash = '' WHERE id <= %s", [n_due])
        cur.execute("VACUUM ANALYZE sla_timer")
        cur.execute("VACUUM ANALYZE cases_case")


def figure(name: str, measured: str, goal: str, anchor: str, met: bool) -> None:
    """One line of the figures table (bench/all collects them)."""
    print(f"FIGURE\t{name}\t{measured}\t{goal}\t{anchor}\t{'yes' if met else 'NO'}", flush=True)
