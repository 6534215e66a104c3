"""Live events: only after commit, numbered per topic, replayable; Redis trouble never fails a request."""

from __future__ import annotations

import pytest
from django.db import transaction

from cases import services
from cases.enums import State
from notifications import events
from tests.factories import CaseFactory, make_case_in_state, reply_kwargs

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Every event that reached the channel layer, as (topic, seq, type, data)."""
    out: list[tuple] = []
    real = events._send_now_rollback_unsafe

    def spy(topic, type_, data):
        event = real(topic, type_, data)
        if event:
            out.append((event["topic"], event["seq"], event["type"], event["data"]))
        return event

    real_all = events._send_all_now_rollback_unsafe

    def spy_all(topics, type_, data):  # one event to several topics: one round trip with Redis
        before = len(out)
        sent = real_all(topics, type_, data)
        if len(out) == before:  # not sent one by one through spy
            out.extend((e["topic"], e["seq"], e["type"], e["data"]) for e in sent if e)
        return sent

    monkeypatch.setattr(events, "_send_now_rollback_unsafe", spy)
    monkeypatch.setattr(events, "_send_all_now_rollback_unsafe", spy_all)
    return out


def test_registration_announces_case_registered_to_desk_and_queue_after_commit(
    users, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = CaseFactory(actor=users["agent"])
        assert sent == []  # nothing before commit
    for cb in callbacks:
        cb()
    assert [(t, s, ty) for t, s, ty, _ in sent] == [("desk", 1, "case.registered"), ("queue", 1, "case.registered")]
    assert sent[0][3] == {
        "tracking_no": case.tracking_no,
        "state": "registered",
        "from": "",
        "action": "register",
        "department": None,
        "priority": "normal",
        "version": 1,
    }


def test_events_carry_no_personal_data(users, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = CaseFactory(actor=users["agent"])
    flat = repr(sent)
    assert case.citizen_phone not in flat and case.citizen_name not in flat and case.access_code not in flat


def test_a_rolled_back_action_sends_nothing(users, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            CaseFactory(actor=users["agent"])
            raise RuntimeError("boom")
    assert callbacks == [] and sent == []


def test_assignment_goes_to_queue_board_and_the_departments_inbox_only(users, sent, django_capture_on_commit_callbacks):
    case = CaseFactory(actor=users["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ"])
    assert [(t, ty) for t, _, ty, _ in sent] == [
        ("queue", "case.assigned"),
        ("board", "case.assigned"),
        ("inbox.CGJ", "case.assigned"),
        ("inbox.HBJ", "case.assigned"),
    ]


def test_state_changes_reach_the_queue_only_when_they_touch_its_states(users, sent, django_capture_on_commit_callbacks):
    case = make_case_in_state(State.ASSIGNED, users)
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_sign_for(case=case, actor=users["clerk_cgj"])
    assert [(t, ty) for t, _, ty, _ in sent] == [("board", "case.state_changed"), ("inbox.CGJ", "case.state_changed")]
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_reply(**reply_kwargs(), case=case, actor=users["clerk_cgj"], text="已处理完毕。")
    assert [t for t, _, _, _ in sent] == ["queue", "board", "inbox.CGJ"]


def test_sequence_numbers_rise_per_topic_and_replay_returns_what_was_missed(isolated_realtime):
    for n in range(3):
        events._send_now_rollback_unsafe("queue", "case.registered", {"n": n})
    events._send_now_rollback_unsafe("desk", "case.registered", {"n": 9})
    assert events.current_seq("queue") == 3 and events.current_seq("desk") == 1
    assert [e["seq"] for e in events.replay("queue", 1)] == [2, 3]
    assert events.replay("queue", 3) == []
    assert events.replay("queue", 7) is None  # ahead of the server: the counter was reset


def test_replay_asks_for_a_refetch_when_the_buffer_no_longer_has_the_gap(isolated_realtime):
    small = events.MemoryLog(size=2)
    events.set_event_log(small)
    for n in range(5):
        events._send_now_rollback_unsafe("board", "timer.breached", {"n": n})
    assert [e["seq"] for e in events.replay("board", 3)] == [4, 5]
    assert events.replay("board", 1) is None


def test_publish_swallows_a_dead_redis_and_the_action_still_commits(
    users, monkeypatch, django_capture_on_commit_callbacks
):
    # A Redis that is not there: nothing listens on port 1.
    events.set_event_log(events.RedisLog("redis://127.0.0.1:1/0"))
    with django_capture_on_commit_callbacks(execute=True):
        case = CaseFactory(actor=users["agent"])
    assert case.pk is not None and case.outbox_messages.count() == 1
    assert events.current_seq("queue") is None and events.replay("queue", 0) is None
