"""Tracking numbers on PostgreSQL: one database sequence per local day, ``cases_tracking_YYYYMMDD``.

``nextval`` is the whole cost of a number: no row lock held to the end of the registration's
transaction (the old ``DailySequence`` row serialised every intake of the day), and a number
taken by a registration that then fails is simply skipped. The day's sequence is created on its
first use, starting after the highest number already given that day (the ``DailySequence`` row of
a day begun before this code, and the cases themselves), so switching mid-day cannot collide.
Each process remembers the days whose sequence it saw committed; a sequence created inside a
transaction that rolls back (a test's) is created again next time.

Old days' sequences stay (one small relation per day); ``drop_before(day)`` removes them.
"""

from __future__ import annotations

import datetime as dt
import threading

from django.db import DatabaseError, connection, transaction
from django.db.models.functions import Length

PREFIX = "cases_tracking_"
_known: set[dt.date] = set()
_lock = threading.Lock()


def sequence_name(day: dt.date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def _highest_given(day: dt.date) -> int:
    from .models import Case, DailySequence

    prefix = f"{day:%Y%m%d}"
    legacy = DailySequence.objects.filter(day=day).values_list("value", flat=True).first() or 0
    top = (
        Case.objects.filter(tracking_no__startswith=prefix)
        .order_by(Length("tracking_no").desc(), "-tracking_no")
        .values_list("tracking_no", flat=True)
        .first()
    )
    if top is None:
        return legacy
    suffix = top[len(prefix) :]
    return max(legacy, int(suffix) if suffix.isdigit() else 0)


def _create(day: dt.date) -> None:
    name = sequence_name(day)
    start = _highest_given(day) + 1
    try:
        # A savepoint: inside the caller's transaction, a concurrent creation of the same day's
        # sequence (a unique violation in the catalogue) must not abort it.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}" START WITH {int(start)}')
    except DatabaseError:
        # Another session created it at the same moment: it exists now, use it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if not cursor.fetchone()[0]:
                raise


def _remember(day: dt.date) -> None:
    with _lock:
        _known.add(day)


def next_values(day: dt.date) -> tuple[int, int]:
    """The day's next number and the id the new case row will have (``nextval`` of the table's own
    identity sequence, the one its INSERTs draw from), in one round trip: knowing the id before the
    INSERT, the registration writes the row with its audit chain head in it (no UPDATE after)."""
    from .models import Case

    if day not in _known:
        _create(day)
        transaction.on_commit(lambda: _remember(day))  # at once when no transaction is open
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(%s), nextval(pg_get_serial_sequence(%s, 'id'))", [sequence_name(day), Case._meta.db_table]
        )
        number, case_id = cursor.fetchone()
        return int(number), int(case_id)


def drop_before(day: dt.date) -> int:
    """Drop the sequences of the days before ``day``; how many were dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE %s", [PREFIX.replace("_", r"\_") + "%"]
        )
        names = [row[0] for row in cursor.fetchall() if row[0] < sequence_name(day)]
        for name in names:
            cursor.execute(f'DROP SEQUENCE IF EXISTS "{name}"')
    with _lock:
        _known.difference_update({d for d in _known if d < day})
    return len(names)


def forget() -> None:
    """Forget which days' sequences exist (tests: a flushed or recreated database)."""
    with _lock:
        _known.clear()
