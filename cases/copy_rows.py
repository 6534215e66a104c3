"""Writing many new rows of one model in a few round trips: ``insert_rows``, ``bulk_create``'s
peer for a worker's batch.

On PostgreSQL the rows go in through ``COPY … FROM STDIN`` (psycopg 3's ``cursor.copy``): the
values are adapted by psycopg's C dumpers and streamed, where ``bulk_create`` prepares every value
through its field in Python, builds arrays for its ``UNNEST`` insert and has psycopg quote every
element of them in Python (in the SLA sweeper's profile that was most of a batch's client time;
for 2,000 outbox rows 22 ms of CPU against 180 ms). Primary keys are drawn from the table's
sequence first, in one query, so the objects come back with their ``pk`` set, as ``bulk_create``
leaves them on PostgreSQL. With ``ignore_conflicts`` the rows are copied into a temporary table
and moved with one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (COPY itself cannot skip a
duplicate); as with ``bulk_create(ignore_conflicts=True)`` no pk is set then.

Below ``COPY_FROM_ROWS`` rows, and on SQLite (the embedded default), it is one ``INSERT … VALUES``
(with ``RETURNING`` the new pks): for the few rows of one action (a registration's case row, its
event, its clock, its notices) one statement is fewer round trips than the sequence read or
temporary table and the COPY. That statement's text is built once per model, row count and
options and kept; only the values are prepared per call. ``Model.save`` and ``bulk_create`` build
and compile the statement anew each time (for the case row's 63 columns about as much CPU as
PostgreSQL spends running it), which was a fifth of an intake's CPU in the web process. No
``pre_save``/``post_save`` signals are sent: insert only models nothing listens to (the reference
data that ``cases.refcache`` watches is written by ``save``).

The value of each field is what the model instance holds; for the few field kinds whose database
value differs from the Python one (JSON, lazy strings, naive datetimes, anything not listed here)
the field converts it, as ``bulk_create`` would; on SQLite every field converts its value. Fields
with ``auto_now``/``auto_now_add`` are filled as ``save`` fills them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from typing import Any
from uuid import UUID

from django.db import connection, models, transaction
from django.utils.functional import Promise

# Field kinds whose Python value psycopg adapts to the stored value as it is.
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)

# Rows from which COPY pays for its extra round trips (a worker's batch has hundreds or thousands).
COPY_FROM_ROWS = 50

Converter = Callable[[Any], Any]
_plans: dict[type[models.Model], tuple[list[models.Field], list[Converter]]] = {}
_sequences: dict[str, str] = {}


def _as_is(value: Any) -> Any:
    return str(value) if isinstance(value, Promise) else value


def _converter(field: models.Field) -> Converter:
    kind = field.get_internal_type()
    if kind in _AS_IS:
        return _as_is
    if isinstance(field, models.JSONField):
        return _JSON  # per call: see _json_converter
    if kind == "DateTimeField":
        return lambda value: (
            value if value is None or value.tzinfo is not None else field.get_db_prep_save(value, connection)
        )
    return lambda value: field.get_db_prep_save(value, connection)


def _JSON(value: Any) -> Any:  # noqa: N802 - a marker in a plan, replaced per call by _json_converter
    raise AssertionError("replaced per call")


def _json_converter(field: models.JSONField) -> Converter:
    """JSON text of a value, once per value object in one call: the rows of one notice share its
    context dict (one per recipient and channel)."""
    encoder, done = field.encoder, {}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        key = id(value)  # the values are alive (held by the objects) for the whole call
        if key not in done:
            done[key] = json.dumps(value, cls=encoder)
        return done[key]

    return convert


def _plan(model: type[models.Model]) -> tuple[list[models.Field], list[Converter]]:
    """The columns COPY writes (the pk included) and a converter for each, once per model."""
    if model not in _plans:
        fields = list(model._meta.concrete_fields)
        _plans[model] = (fields, [_converter(f) for f in fields])
    return _plans[model]


def _filled_on_save(field: models.Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _next_ids(table: str, pk_column: str, n: int) -> list[int]:
    if table not in _sequences:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk_column])
            _sequences[table] = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [_sequences[table], n])
        return sorted(row[0] for row in cursor.fetchall())


def insert_rows(objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> Sequence[models.Model]:
    """Insert ``objs`` (new instances of one model) and return them, as ``bulk_create`` does
    (see the module docstring). Runs in the caller's transaction (in one of its own if none is open)."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM_ROWS:
        return _insert_values(model, objs, ignore_conflicts=ignore_conflicts)
    fields, converters = _plan(model)
    pk = model._meta.pk
    qn = connection.ops.quote_name
    table = model._meta.db_table
    with transaction.atomic(savepoint=False):
        if not ignore_conflicts:
            missing = [obj for obj in objs if obj.pk is None]
            for obj, new_id in zip(missing, _next_ids(table, pk.column, len(missing)) if missing else [], strict=True):
                obj.pk = new_id
            copied, target = fields, table
        else:  # the database picks the pks of the rows it keeps
            copied = [f for f in fields if f is not pk]
            target = f"cc_copy_{table}"
        columns = ", ".join(qn(f.column) for f in copied)
        pairs = [
            (f.attname, _json_converter(f) if convert is _JSON else convert)
            for f, convert in zip(fields, converters, strict=True)
            if f in copied
        ]
        with connection.cursor() as cursor:
            if ignore_conflicts:
                cursor.execute(
                    f"CREATE TEMPORARY TABLE IF NOT EXISTS {qn(target)} ON COMMIT DELETE ROWS AS "
                    f"SELECT {columns} FROM {qn(table)} WITH NO DATA"
                )
            auto = [f for f in copied if _filled_on_save(f)]
            with cursor.copy(f"COPY {qn(target)} ({columns}) FROM STDIN") as copy:
                for obj in objs:
                    for f in auto:
                        f.pre_save(obj, True)  # sets the attribute, as save does
                    values = obj.__dict__
                    copy.write_row([convert(values[name]) for name, convert in pairs])
            if ignore_conflicts:  # moved and emptied in one statement (a second call in this transaction starts clean)
                cursor.execute(
                    f"WITH moved AS (DELETE FROM {qn(target)} RETURNING {columns}) "
                    f"INSERT INTO {qn(table)} ({columns}) SELECT {columns} FROM moved ON CONFLICT DO NOTHING"
                )
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


# --- a few rows: one INSERT … VALUES whose text is kept --------------------------------------

# The most rows one INSERT … VALUES carries (SQLite allows 32,766 parameters per statement).
VALUES_BATCH = 200

_value_plans: dict[tuple[type[models.Model], str], list[tuple[models.Field, Converter, bool]]] = {}
_statements: dict[tuple[Any, ...], str] = {}


def _value_plan(model: type[models.Model]) -> list[tuple[models.Field, Converter, bool]]:
    """(field, converter, filled by ``pre_save``) for each concrete field, once per model and
    database kind. On PostgreSQL the converters give JSON values (``_insert_json``)."""
    key = (model, connection.vendor)
    if key not in _value_plans:
        plan = []
        for f in model._meta.concrete_fields:
            auto = _filled_on_save(f)
            if connection.vendor != "postgresql":  # the field adapts every value (datetimes: UTC text)
                convert = (lambda field: lambda value: field.get_db_prep_save(value, connection))(f)
            elif isinstance(f, models.JSONField):
                convert = _as_is  # the value itself, nested in the rows' JSON (no field here has an encoder)
                if f.encoder is not None:
                    raise ValueError(f"insert_rows: {model.__name__}.{f.name} has its own JSON encoder")
            else:
                convert = _converter(f)
            plan.append((f, convert, auto))
        _value_plans[key] = plan
    return _value_plans[key]


def _statement(model: type[models.Model], columns: list[models.Field], rows: int, *, ignore_conflicts: bool) -> str:
    pk = model._meta.pk
    returning = not ignore_conflicts and pk not in columns
    key = (model, connection.vendor, len(columns), rows, ignore_conflicts)  # the columns: all, or all but the pk
    if key not in _statements:
        qn = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in columns)}) "
            f"VALUES {', '.join([row] * rows)}"
        )
        if ignore_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        if returning:
            sql += f" RETURNING {qn(pk.column)}"
        _statements[key] = sql
    return _statements[key]


def _insert_values(
    model: type[models.Model], objs: Sequence[models.Model], *, ignore_conflicts: bool
) -> Sequence[models.Model]:
    """``objs`` in one ``INSERT … VALUES`` per ``VALUES_BATCH`` rows, each statement's text kept.
    New pks come back through ``RETURNING`` (in the rows' order) unless ``ignore_conflicts``."""
    with_pk = [obj.pk is not None for obj in objs]
    if any(with_pk) and not all(with_pk):  # the columns differ: each kind on its own
        _insert_values(
            model, [o for o, has in zip(objs, with_pk, strict=True) if has], ignore_conflicts=ignore_conflicts
        )
        _insert_values(
            model, [o for o, has in zip(objs, with_pk, strict=True) if not has], ignore_conflicts=ignore_conflicts
        )
        return objs
    if connection.vendor == "postgresql":
        _insert_json(model, objs, ignore_conflicts=ignore_conflicts)
        return objs
    pk = model._meta.pk
    plan = [step for step in _value_plan(model) if with_pk[0] or step[0] is not pk]
    columns = [f for f, _convert, _auto in plan]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(objs), VALUES_BATCH):
            batch = objs[start : start + VALUES_BATCH]
            params: list[Any] = []
            for obj in batch:
                values = obj.__dict__
                for f, convert, auto in plan:
                    params.append(convert(f.pre_save(obj, True) if auto else values[f.attname]))
            cursor.execute(_statement(model, columns, len(batch), ignore_conflicts=ignore_conflicts), params)
            if not ignore_conflicts and not with_pk[0]:
                for obj, (new_pk,) in zip(batch, cursor.fetchall(), strict=True):
                    obj.pk = new_pk
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


def _json_value(value: Any) -> Any:
    """The JSON form of a column value that ``json`` has none for: PostgreSQL reads it back with
    the column type's own input function (timestamps with their offset, numerics exactly)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | IPv4Address | IPv6Address | Promise):
        return str(value)
    raise TypeError(f"insert_rows: no JSON form for {type(value).__name__}")


def json_insert(
    objs: Sequence[models.Model], *, ignore_conflicts: bool = False, returning: bool = False
) -> tuple[str, list[Any]]:
    """PostgreSQL: the ``INSERT`` of ``objs`` (new instances of one model, all with their pk or all
    without) with every row in one parameter, a JSON array of objects keyed by column, unpacked by
    ``json_populate_recordset`` into the table's own row type; its text and its one parameter.

    One statement text per model and options, whatever the row count, and one value for psycopg
    to pass: psycopg parses the text of a statement with more than 50 parameters anew on every
    execution, and adapts each parameter in Python (for the case row's 63 columns that was about
    1 ms of a registration's CPU). ``insert_rows`` runs it; ``stats.rollups`` puts it in a
    data-modifying ``WITH``."""
    model = type(objs[0])
    with_pk = objs[0].pk is not None
    plan = _json_plan(model, with_pk)
    key = (model, "json", with_pk, ignore_conflicts, returning)
    if key not in _statements:
        qn = connection.ops.quote_name
        table, columns = qn(model._meta.db_table), ", ".join(qn(column) for column, *_rest in plan)
        sql = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM json_populate_recordset(NULL::{table}, %s::json)"
        if ignore_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        if returning:
            sql += f" RETURNING {qn(model._meta.pk.column)}"
        _statements[key] = sql
    rows = []
    for obj in objs:
        values, row = obj.__dict__, {}
        for column, attname, convert, auto in plan:
            value = auto.pre_save(obj, True) if auto is not None else values[attname]
            row[column] = value if convert is None else convert(value)
        rows.append(row)
    return _statements[key], [json_text(rows)]


_json_plans: dict[tuple[type[models.Model], bool], list[tuple[str, str, Converter | None, models.Field | None]]] = {}


def _json_plan(
    model: type[models.Model], with_pk: bool
) -> list[tuple[str, str, Converter | None, models.Field | None]]:
    """(column, attribute, converter or None where JSON takes the value as it is, the field where
    ``pre_save`` fills it) per column ``json_insert`` writes, once per model."""
    key = (model, with_pk)
    if key not in _json_plans:
        _json_plans[key] = [
            (f.column, f.attname, None if convert is _as_is else convert, f if auto else None)
            for f, convert, auto in _value_plan(model)
            if with_pk or f is not model._meta.pk
        ]
    return _json_plans[key]


def json_text(value: Any) -> str:
    """``value`` as JSON for PostgreSQL to read back into columns (``_json_value``)."""
    return json.dumps(value, default=_json_value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _insert_json(model: type[models.Model], objs: Sequence[models.Model], *, ignore_conflicts: bool) -> None:
    returning = objs[0].pk is None and not ignore_conflicts
    sql, params = json_insert(objs, ignore_conflicts=ignore_conflicts, returning=returning)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:  # in the rows' order, as bulk_create's INSERT … SELECT FROM UNNEST relies on too
            for obj, (new_pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = new_pk
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
