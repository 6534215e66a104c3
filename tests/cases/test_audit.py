"""The audit trail: every action appends one hash-chained event; tampering is detected."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cases import services
from cases.enums import State
from cases.integrity import verify_chain
from cases.models import CaseEvent
from tests.factories import CaseFactory, make_case_in_state

pytestmark = pytest.mark.django_db

TABLE = CaseEvent._meta.db_table


def verify(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def verify_fails(*args: str) -> tuple[str, str]:
    err = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit", *args, stdout=StringIO(), stderr=err)
    return str(exc.value), err.getvalue()


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=connection.ops.quote_name(TABLE)), params)


@pytest.fixture
def two_cases(users):
    closed = make_case_in_state(State.CLOSED, users)
    other = make_case_in_state(State.IN_PROGRESS, users)
    return closed, other


def test_each_case_has_its_own_unbroken_chain(two_cases):
    closed, other = two_cases
    events = list(closed.events.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0].prev_hash == ""
    for prev, ev in zip(events, events[1:], strict=False):
        assert ev.prev_hash == prev.hash
        assert ev.hash == ev.compute_hash()
    assert other.events.order_by("seq").first().prev_hash == ""
    out, err = verify()
    assert "All 2 case histories verify." in out
    assert err == ""


def test_every_event_records_actor_role_states_and_time(two_cases, users):
    closed, _other = two_cases
    rows = list(
        closed.events.order_by("seq").values_list("transition", "actor__username", "role", "from_state", "to_state")
    )
    assert rows == [
        ("register", "agent", "agent", "", "registered"),
        ("assign", "dispatcher", "dispatcher", "registered", "assigned"),
        ("sign_for", "clerk_cgj", "clerk", "assigned", "in_progress"),
        ("reply", "clerk_cgj", "clerk", "in_progress", "replied"),
        ("approve", "dispatcher", "dispatcher", "replied", "answered"),
        ("feedback", None, "citizen", "answered", "closed"),
    ]
    assert all(e.at is not None for e in closed.events.all())


def test_a_history_written_with_a_local_now_verifies(users):
    # Services take one ``now`` from their caller (STYLE 17); a caller in Asia/Shanghai time, like the
    # dispatch tests' MONDAY, once wrote events hashed with "+08:00" that read back in UTC.
    local = dt.datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    case = CaseFactory(actor=users["agent"], now=local)
    case = services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", now=local)
    assert [e.at for e in case.events.order_by("seq")] == [local, local]
    assert verify_chain(case.pk) == (True, None, "")
    out, _err = verify()
    assert "All 1 case histories verify." in out


def test_an_edited_note_is_named_with_its_case_and_seq(two_cases):
    closed, other = two_cases
    raw("UPDATE {table} SET note = %s WHERE case_id = %s AND seq = %s", ["已妥善处理（篡改）", closed.pk, 4])
    message, err = verify_fails()
    assert message == "1 of 2 case histories are broken."
    assert f"BROKEN {closed.tracking_no}: event seq=4" in err
    assert "content does not match its hash" in err
    assert other.tracking_no not in err


def test_an_edit_with_a_recomputed_hash_is_caught_by_the_next_link(two_cases):
    closed, _other = two_cases
    event = closed.events.get(seq=3)
    event.note = "伪造"
    forged = event.compute_hash()
    raw("UPDATE {table} SET note = %s, hash = %s WHERE id = %s", ["伪造", forged, event.pk])
    _message, err = verify_fails()
    assert f"BROKEN {closed.tracking_no}: event seq=4" in err
    assert "prev_hash does not match the previous event" in err


def test_a_deleted_event_is_detected_as_a_gap(two_cases):
    closed, _other = two_cases
    raw("DELETE FROM {table} WHERE case_id = %s AND seq = %s", [closed.pk, 3])
    _message, err = verify_fails()
    assert f"BROKEN {closed.tracking_no}: event seq=4" in err
    assert "sequence gap: expected 3, found 4" in err


def test_verify_can_check_one_case(two_cases):
    closed, other = two_cases
    raw("DELETE FROM {table} WHERE case_id = %s AND seq = %s", [closed.pk, 2])
    out, _err = verify("--case", other.tracking_no)
    assert "All 1 case histories verify." in out
    _message, err = verify_fails("--case", closed.tracking_no)
    assert closed.tracking_no in err


def test_queryset_update_and_delete_are_refused(two_cases):
    closed, _other = two_cases
    with pytest.raises(PermissionError):
        CaseEvent.objects.update(note="x")
    with pytest.raises(PermissionError):
        CaseEvent.objects.filter(case=closed).update(note="x")
    with pytest.raises(PermissionError):
        CaseEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        CaseEvent.objects.filter(case=closed, seq=6).delete()
    assert closed.events.count() == 6


def test_an_event_cannot_be_saved_again_or_deleted(two_cases):
    closed, _other = two_cases
    event = closed.events.get(seq=2)
    event.note = "改写"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    event.refresh_from_db()
    assert event.note == "请核实处理"
    verify()


def test_reveal_and_notes_join_the_chain(two_cases, users):
    _closed, other = two_cases
    services.case_reveal_contact(case=other, actor=users["clerk_cgj"])
    services.case_add_note(case=other, actor=users["clerk_cgj"], note="已电话联系群众")
    rows = list(other.events.order_by("-seq").values_list("transition", "public")[:2])
    assert rows == [("note", False), ("reveal", False)]
    out, _err = verify()
    assert "All 2 case histories verify." in out


def test_a_non_ascii_access_code_is_just_a_wrong_code(users):
    from cases.exceptions import CaseNotFound
    from cases.selectors import case_for_citizen

    case = make_case_in_state("registered", users)
    with pytest.raises(CaseNotFound):
        case_for_citizen(case.tracking_no, "查询码错误")
    assert case_for_citizen(case.tracking_no, case.access_code.lower()).pk == case.pk
