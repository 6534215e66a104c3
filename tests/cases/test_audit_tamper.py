"""Tamper evidence: a keyed chain, its head on the case row, the row's digest, and checkpoints.

Every tampering here is done the way an intruder with database access would: raw SQL, behind
the services' back. Each of the six kinds is named with its case and its first bad link."""

from __future__ import annotations

import importlib
import json
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection

from cases import chain, integrity, services
from cases.enums import State
from cases.models import Case, CaseEvent
from tests.factories import make_case_in_state

pytestmark = pytest.mark.django_db

EVENTS = connection.ops.quote_name(CaseEvent._meta.db_table)
CASES = connection.ops.quote_name(Case._meta.db_table)


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(events=EVENTS, cases=CASES), params)


def verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def verify_fails(*args: str) -> tuple[str, str]:
    err = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit", *args, stdout=StringIO(), stderr=err)
    return str(exc.value), err.getvalue()


@pytest.fixture
def two_cases(users):
    closed = make_case_in_state(State.CLOSED, users)  # six events: register … feedback
    other = make_case_in_state(State.IN_PROGRESS, users)
    return closed, other


def _broken_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("BROKEN ")]


def test_new_events_are_keyed_and_the_head_and_row_digest_follow(two_cases):
    closed, _other = two_cases
    closed.refresh_from_db()
    last = closed.events.order_by("-seq").first()
    assert last.hash_version == chain.KEYED
    assert (closed.audit_head_seq, closed.audit_head_hash) == (6, last.hash)
    row = Case.objects.filter(pk=closed.pk).values(*chain.AUDITED_COLUMNS).get()
    assert last.row_digest == chain.row_digest(row)
    # The keyed hash is not the plain SHA-256 anyone could recompute.
    assert last.hash != chain.legacy_hash({"x": 1}) and len(last.hash) == 64


def test_a_clean_database_verifies_with_its_checkpoint(two_cases):
    call_command("audit_checkpoint", stdout=StringIO())
    out = verify()
    assert "All 2 case histories verify." in out
    assert "Checked against 1 checkpoint(s)" in out


def test_1_an_edited_middle_event_is_named(two_cases):
    closed, other = two_cases
    raw("UPDATE {events} SET note = %s WHERE case_id = %s AND seq = 3", ["篡改", closed.pk])
    message, err = verify_fails()
    assert message == "1 of 2 case histories are broken."
    [line] = _broken_lines(err)
    assert line.startswith(f"BROKEN {closed.tracking_no}: event seq=3 ")
    assert "[edited event] content does not match its hash" in line


def test_2_a_deleted_middle_event_is_named(two_cases):
    closed, _other = two_cases
    raw("DELETE FROM {events} WHERE case_id = %s AND seq = 3", [closed.pk])
    _message, err = verify_fails()
    [line] = _broken_lines(err)
    assert line.startswith(f"BROKEN {closed.tracking_no}: event seq=4 ")
    assert "[deleted event] sequence gap: expected 3, found 4" in line


def test_3_a_deleted_last_event_is_named_by_the_head(two_cases):
    closed, _other = two_cases
    raw("DELETE FROM {events} WHERE case_id = %s AND seq = 6", [closed.pk])
    _message, err = verify_fails()
    [line] = _broken_lines(err)
    assert line.startswith(f"BROKEN {closed.tracking_no}: event seq=6 ")
    assert "[deleted last event] the case row's head is seq 6 but its last event is seq 5" in line


def test_3b_a_deleted_last_event_with_the_head_moved_back_shows_in_the_row(two_cases):
    closed, _other = two_cases
    fifth = closed.events.get(seq=5)
    raw("DELETE FROM {events} WHERE case_id = %s AND seq = 6", [closed.pk])
    raw("UPDATE {cases} SET audit_head_seq = 5, audit_head_hash = %s WHERE id = %s", [fifth.hash, closed.pk])
    _message, err = verify_fails()
    [line] = _broken_lines(err)
    # The deleted feedback closed the case: the row no longer matches what event 5 signed.
    assert line.startswith(f"BROKEN {closed.tracking_no}: event seq=5 ")
    assert "[case row edited]" in line


def test_3c_a_deleted_last_note_with_the_head_moved_back_is_caught_by_the_checkpoint(two_cases, users):
    closed, _other = two_cases
    services.case_add_note(case=closed, actor=users["dispatcher"], note="群众来电表示感谢")
    call_command("audit_checkpoint", stdout=StringIO())
    sixth = closed.events.get(seq=6)
    raw("DELETE FROM {events} WHERE case_id = %s AND seq = 7", [closed.pk])
    raw("UPDATE {cases} SET audit_head_seq = 6, audit_head_hash = %s WHERE id = %s", [sixth.hash, closed.pk])
    _message, err = verify_fails()
    [line] = _broken_lines(err)
    assert line.startswith(f"BROKEN {closed.tracking_no}: event seq=7 [deleted last event]")
    assert "recorded head seq 7; the chain now ends at seq 6: events were deleted" in line


def _rehash_chain(case: Case, *, key: str, version: int, note: str) -> None:
    """What an intruder without AUDIT_KEY can do: rewrite a chain and recompute every hash with a
    key of their own (or as legacy SHA-256), and move the head to match."""
    prev = ""
    for ev in case.events.order_by("seq"):
        ev.note, ev.prev_hash, ev.hash_version = (note if ev.seq == 2 else ev.note), prev, version
        if version == chain.LEGACY:
            ev.row_digest = ""
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("django.conf.settings.AUDIT_KEY", key)
            ev.hash = ev.compute_hash()
        raw(
            "UPDATE {events} SET note = %s, prev_hash = %s, hash = %s, hash_version = %s, row_digest = %s "
            "WHERE id = %s",
            [ev.note, ev.prev_hash, ev.hash, ev.hash_version, ev.row_digest, ev.pk],
        )
        prev = ev.hash
    raw("UPDATE {cases} SET audit_head_hash = %s WHERE id = %s", [prev, case.pk])


def test_4_a_chain_rewritten_and_rehashed_without_the_key_is_named(two_cases):
    closed, _other = two_cases
    _rehash_chain(closed, key="guessed-key", version=chain.KEYED, note="改写的转办意见")
    _message, err = verify_fails()
    [line] = _broken_lines(err)
    assert line.startswith(f"BROKEN {closed.tracking_no}: event seq=1 ")
    assert "[rewritten chain] no hash from here on verifies with AUDIT_KEY" in line


def test_4b_a_chain_downgraded_to_legacy_hashes_is_caught_by_the_checkpoint(two_cases):
    closed, _other = two_cases
    call_command("audit_checkpoint", stdout=StringIO())
    _rehash_chain(closed, key="unused", version=chain.LEGACY, note="改写的转办意见")
    _message, err = verify_fails()
    [line] = _broken_lines(err)
    assert line.startswith(f"BROKEN {closed.tracking_no}: event seq=6 [rewritten chain]")
    assert "differs from the one audit-checkpoint-" in line


@pytest.mark.parametrize(
    ("column", "value"),
    [("state", "registered"), ("citizen_phone", "13900000000"), ("title", "改过的标题"), ("version", 1)],
)
def test_5_a_case_row_edited_directly_is_named(two_cases, column, value):
    closed, other = two_cases
    raw(f"UPDATE {{cases}} SET {connection.ops.quote_name(column)} = %s WHERE id = %s", [value, closed.pk])
    _message, err = verify_fails()
    [line] = _broken_lines(err)
    assert line.startswith(f"BROKEN {closed.tracking_no}: event seq=6 ")
    assert "[case row edited]" in line and "edited directly" in line
    assert other.tracking_no not in err


def test_5b_a_department_moved_by_queryset_update_is_named(two_cases):
    from cases.models import Department

    closed, _other = two_cases
    Case.objects.filter(pk=closed.pk).update(department=Department.objects.get(code="HBJ"))
    _message, err = verify_fails()
    assert f"BROKEN {closed.tracking_no}: event seq=6 " in err and "[case row edited]" in err


def test_6_a_case_whose_events_were_all_deleted_is_named(two_cases):
    closed, _other = two_cases
    raw("DELETE FROM {events} WHERE case_id = %s", [closed.pk])
    _message, err = verify_fails()
    [line] = _broken_lines(err)
    assert line.startswith(f"BROKEN {closed.tracking_no}: event seq=1 ")
    assert "[all events deleted] the case row's head is seq 6 but the case has no events" in line


def test_6b_all_events_deleted_and_the_head_reset_is_still_named(two_cases):
    closed, _other = two_cases
    call_command("audit_checkpoint", stdout=StringIO())
    raw("DELETE FROM {events} WHERE case_id = %s", [closed.pk])
    raw("UPDATE {cases} SET audit_head_seq = 0, audit_head_hash = '' WHERE id = %s", [closed.pk])
    _message, err = verify_fails()
    lines = _broken_lines(err)
    assert f"BROKEN {closed.tracking_no}: event seq=1 [all events deleted] the case has no events" in lines[0]
    assert "recorded head seq 6; the chain now has no events" in lines[1]


def test_a_case_deleted_outright_is_named_by_the_checkpoint(two_cases):
    closed, other = two_cases
    call_command("audit_checkpoint", stdout=StringIO())
    # Everything that points at the case goes first (timers, outbox, events, …), then the row.
    for rel in Case._meta.related_objects:
        if rel.many_to_many:
            through = rel.through if hasattr(rel, "through") else rel.remote_field.through
            table, column = through._meta.db_table, through._meta.get_field(rel.field.m2m_reverse_field_name()).column
        elif rel.one_to_many or rel.one_to_one:
            table, column = rel.related_model._meta.db_table, rel.field.column
        else:
            continue
        raw(
            f"DELETE FROM {connection.ops.quote_name(table)} WHERE {connection.ops.quote_name(column)} = %s", [other.pk]
        )
    for field in Case._meta.many_to_many:
        through = field.remote_field.through._meta
        column = through.get_field(field.m2m_field_name()).column
        raw(f"DELETE FROM {connection.ops.quote_name(through.db_table)} WHERE {column} = %s", [other.pk])
    raw("DELETE FROM {cases} WHERE id = %s", [other.pk])
    _message, err = verify_fails()
    [line] = _broken_lines(err)
    assert line.startswith(f"BROKEN {other.tracking_no}: [case deleted] in audit-checkpoint-")
    assert closed.tracking_no not in err


def test_a_case_left_out_of_a_checkpoint_is_named(two_cases, tmp_path):
    closed, other = two_cases
    path = integrity.write_checkpoint()
    body = json.loads(path.read_text())
    body["heads"] = [h for h in body["heads"] if h[0] != other.pk]
    body["digest"] = integrity._digest(body["heads"])  # the intruder cannot redo the MAC
    path.write_text(json.dumps(body))
    message, err = verify_fails()
    assert "MAC does not verify with AUDIT_KEY" in err
    assert "A checkpoint does not verify." in message
    # With the key (an insider re-signing), the omission itself is still named.
    body["mac"] = chain.mac(body["digest"])
    path.write_text(json.dumps(body))
    Case.objects.filter(pk=other.pk).update(registered_at=closed.registered_at.replace(year=2020))
    _message, err = verify_fails()
    assert f"BROKEN {other.tracking_no}: [missing from checkpoint]" in err


def test_the_command_exits_non_zero_on_tampering(two_cases):
    closed, _other = two_cases
    raw("DELETE FROM {events} WHERE case_id = %s AND seq = 6", [closed.pk])
    with pytest.raises(SystemExit) as exc:
        execute_from_command_line(["manage.py", "verify_audit"])
    assert exc.value.code == 1


def _make_legacy(case: Case) -> None:
    """Turn a case's history into what the pre-keyed code wrote: SHA-256, no row digest."""
    prev = ""
    for ev in case.events.order_by("seq"):
        ev.prev_hash, ev.hash_version, ev.row_digest = prev, chain.LEGACY, ""
        ev.hash = ev.compute_hash()
        raw(
            "UPDATE {events} SET prev_hash = %s, hash = %s, hash_version = 1, row_digest = '' WHERE id = %s",
            [ev.prev_hash, ev.hash, ev.pk],
        )
        prev = ev.hash
    raw("UPDATE {cases} SET audit_head_hash = %s WHERE id = %s", [prev, case.pk])


def test_legacy_events_still_verify_and_new_ones_are_keyed_after_them(two_cases, users):
    _closed, other = two_cases
    _make_legacy(other)
    assert "All 2 case histories verify." in verify()
    services.case_add_note(case=other, actor=users["clerk_cgj"], note="已电话联系")
    versions = list(other.events.order_by("seq").values_list("hash_version", flat=True))
    assert versions == [1, 1, 1, 2]
    assert "All 2 case histories verify." in verify()
    raw("UPDATE {events} SET note = %s WHERE case_id = %s AND seq = 2", ["篡改", other.pk])
    _message, err = verify_fails()
    assert f"BROKEN {other.tracking_no}: event seq=2 " in err and "[edited event]" in err


def test_a_legacy_event_after_a_keyed_one_is_a_rewrite(two_cases):
    closed, _other = two_cases
    last = closed.events.get(seq=6)
    last.hash_version, last.row_digest = chain.LEGACY, ""
    raw("UPDATE {events} SET hash_version = 1, hash = %s WHERE id = %s", [last.compute_hash(), last.pk])
    raw("UPDATE {cases} SET audit_head_hash = %s WHERE id = %s", [last.compute_hash(), closed.pk])
    _message, err = verify_fails()
    assert f"BROKEN {closed.tracking_no}: event seq=6 " in err
    assert "[rewritten chain] a legacy (unkeyed) hash after a keyed one" in err


def test_the_migration_backfills_heads_from_existing_events(two_cases):
    closed, other = two_cases
    raw("UPDATE {cases} SET audit_head_seq = 0, audit_head_hash = ''", [])
    migration = importlib.import_module("cases.migrations.0008_keyed_audit_chain_heads")
    migration.backfill_heads(apps, None)
    for case in (closed, other):
        case.refresh_from_db()
        last = case.events.order_by("-seq").first()
        assert (case.audit_head_seq, case.audit_head_hash) == (last.seq, last.hash)
    assert "All 2 case histories verify." in verify()
