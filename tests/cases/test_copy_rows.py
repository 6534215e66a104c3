"""``insert_rows`` (COPY on PostgreSQL) writes exactly the rows ``bulk_create`` writes, comes back
with the primary keys, and with ``ignore_conflicts`` skips a stored key as ``ON CONFLICT DO NOTHING``
does. On SQLite it is ``bulk_create`` itself, and the same assertions hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy

from cases import copy_rows
from cases.copy_rows import insert_rows
from cases.models import Case, CaseEvent
from notifications.models import Outbox
from sla.models import SupervisionOrder
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["copy", "values"])
def path(request, monkeypatch):
    """Each test twice: a handful of rows through the COPY path all the same (PostgreSQL; SQLite has
    none and takes the other), and through the kept ``INSERT … VALUES`` of a few rows."""
    monkeypatch.setattr(copy_rows, "COPY_FROM_ROWS", 1 if request.param == "copy" else 10**9)
    return request.param


NOW = dt.datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _outbox_rows(prefix: str, case: Case, users) -> list[Outbox]:
    """Rows with every kind of value the batch writes: JSON with Chinese text, nesting, numbers,
    booleans and nulls (one dict shared by two rows, as a notice's context is), a lazy translated
    string, a null and a real foreign key, aware datetimes in two zones, a null datetime."""
    shared = {"title": "路灯不亮", "n": 3, "ok": True, "none": None, "nested": {"list": [1, "二", 3.5]}}
    return [
        Outbox(
            idempotency_key=f"{prefix}:1",
            channel="inapp",
            template="timer_breached",
            context=shared,
            recipient=users["clerk_cgj"],
            case=case,
            next_attempt_at=NOW,
            created_at=NOW,
        ),
        Outbox(
            idempotency_key=f"{prefix}:2",
            channel="email",
            template="timer_breached",
            context=shared,
            recipient=users["clerk_cgj"],
            address="clerk@example.org",
            case=case,
            next_attempt_at=NOW.astimezone(SHANGHAI),
            created_at=NOW,
        ),
        Outbox(
            idempotency_key=f"{prefix}:3",
            channel="sms",
            template="case_registered",
            context={"quote": 'it\'s "quoted"\t\\ and\nnew line'},
            address=gettext_lazy("短信"),
            last_error="tab\there, backslash \\ and \\N",
            next_attempt_at=NOW,
            created_at=NOW,
            claim_expires_at=None,
        ),
    ]


def _stored(prefix: str) -> list[dict]:
    rows = Outbox.objects.filter(idempotency_key__startswith=f"{prefix}:").order_by("idempotency_key").values()
    return [{k: (v.split(":", 1)[1] if k == "idempotency_key" else v) for k, v in r.items() if k != "id"} for r in rows]


def test_insert_rows_writes_exactly_the_rows_bulk_create_writes(users):
    case = CaseFactory(actor=users["agent"])
    Outbox.objects.bulk_create(_outbox_rows("bulk", case, users))
    insert_rows(_outbox_rows("copy", case, users))
    copied = _stored("copy")
    assert copied == _stored("bulk")
    assert len(copied) == 3
    assert copied[0]["context"]["nested"] == {"list": [1, "二", 3.5]}
    assert copied[2]["address"] == "短信" and copied[2]["last_error"] == "tab\there, backslash \\ and \\N"
    assert copied[1]["next_attempt_at"] == NOW  # the same instant, whatever zone it came in


def test_insert_rows_gives_the_new_rows_their_primary_keys(users):
    case = CaseFactory(actor=users["agent"])
    rows = insert_rows(_outbox_rows("pk", case, users))
    assert all(r.pk is not None and not r._state.adding for r in rows)
    stored = dict(Outbox.objects.filter(idempotency_key__startswith="pk:").values_list("idempotency_key", "id"))
    assert stored == {r.idempotency_key: r.pk for r in rows}
    # And the table's own sequence moved past them: the next ordinary insert does not collide.
    later = Outbox.objects.create(idempotency_key="pk:later", channel="inapp", template="timer_breached")
    assert later.pk > max(stored.values())


def test_insert_rows_writes_orders_as_bulk_create_does(users):
    case = CaseFactory(actor=users["agent"])
    dept = case.department or users["clerk_cgj"].department

    def orders(note: str) -> list[SupervisionOrder]:
        return [
            SupervisionOrder(case=case, department=dept, level=level, issued_at=NOW, note=f"{note}{level}")
            for level in (1, 2)
        ]

    SupervisionOrder.objects.bulk_create(orders("bulk"))
    insert_rows(orders("copy"))
    fields = ("case_id", "timer_id", "department_id", "level", "issued_by_id", "issued_at", "answer_by", "answer")

    def stored(note: str) -> list[tuple]:
        return list(SupervisionOrder.objects.filter(note__startswith=note).order_by("level").values_list(*fields))

    assert stored("copy") == stored("bulk") and len(stored("copy")) == 2


def test_ignore_conflicts_skips_a_stored_key_and_leaves_its_row_alone(users):
    case = CaseFactory(actor=users["agent"])
    first = _outbox_rows("dup", case, users)
    insert_rows(first[:1], ignore_conflicts=True)
    again = _outbox_rows("dup", case, users)
    again[0].template = "case_registered"  # the same key with another value: the stored row wins
    with transaction.atomic():
        insert_rows(again, ignore_conflicts=True)
        insert_rows(again, ignore_conflicts=True)  # twice in one transaction: nothing left over to copy again
    stored = _stored("dup")
    assert [r["idempotency_key"] for r in stored] == ["1", "2", "3"]
    assert stored[0]["template"] == "timer_breached"
    assert Outbox.objects.filter(idempotency_key__startswith="dup:").count() == 3


@pytest.mark.postgres
def test_on_postgresql_the_rows_go_in_with_copy(users, path):
    if path != "copy":
        pytest.skip("the COPY path")
    case = CaseFactory(actor=users["agent"])
    with CaptureQueriesContext(connection) as ctx:
        insert_rows(_outbox_rows("sql", case, users))
    sql = [q["sql"] for q in ctx.captured_queries]
    assert any(s.startswith('COPY "notifications_outbox"') for s in sql)
    assert not any("INSERT" in s for s in sql)


@pytest.mark.postgres
def test_a_few_rows_go_in_with_one_insert(users, monkeypatch, path):
    if path != "values":
        pytest.skip("the few-rows path")
    # One action's notices (a registration's) stay one statement: COPY only pays from many rows.
    monkeypatch.setattr(copy_rows, "COPY_FROM_ROWS", 50)
    case = CaseFactory(actor=users["agent"])
    with CaptureQueriesContext(connection) as ctx:
        insert_rows(_outbox_rows("few", case, users), ignore_conflicts=True)
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["INSERT"]


def test_a_new_case_and_its_event_are_stored_as_save_stores_them(users):
    """The registration's rows: a case whose pk is known (an ``auto_now`` column filled as ``save``
    fills it), an event whose pk comes back from the database."""
    model = CaseFactory(actor=users["agent"])
    events = list(model.events.order_by("seq"))
    columns = [f.attname for f in Case._meta.concrete_fields if f.attname not in ("id", "tracking_no", "updated_at")]

    def copy_of(case: Case, **changes) -> Case:
        clone = Case(**{name: getattr(case, name) for name in columns}, **changes)
        clone.updated_at = None
        return clone

    saved = copy_of(model, tracking_no="S1")
    saved.save(force_insert=True)
    kept = copy_of(model, tracking_no="K1", pk=saved.pk + 1000)
    insert_rows([kept])
    assert kept.pk == saved.pk + 1000 and not kept._state.adding
    assert kept.updated_at is not None  # filled on the way in, as save fills it
    rows = {c.tracking_no: c for c in Case.objects.filter(tracking_no__in=["S1", "K1"])}
    assert [getattr(rows["K1"], n) for n in columns] == [getattr(rows["S1"], n) for n in columns]

    event = CaseEvent(
        **{f.attname: getattr(events[0], f.attname) for f in CaseEvent._meta.concrete_fields if f.attname != "id"}
    )
    event.case_id, event.seq = kept.pk, 1
    insert_rows([event])
    assert event.pk is not None
    stored = CaseEvent.objects.get(pk=event.pk)
    assert (stored.data, stored.client_ip, stored.at, stored.hash) == (
        events[0].data,
        events[0].client_ip,
        events[0].at,
        events[0].hash,
    )
