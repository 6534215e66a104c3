"""``outbox.bulk()`` and ``events.coalesced()``: a worker's batch writes its messages in one go and
sends one live event per topic, with the same keys and the same outcome as one call at a time."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications import events, outbox
from notifications.models import Outbox

pytestmark = pytest.mark.django_db


def test_bulk_writes_the_rows_of_many_calls_at_once_and_keeps_rows_already_stored(users):
    first = outbox.enqueue(
        channel="email", template="receipt", context={"n": 1}, address="a@x.cn", idempotency_key="k1"
    )
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), outbox.bulk() as gathered:
        for key in ("k1", "k2", "k2", "k3"):  # k1 is stored already; k2 asked twice
            outbox.enqueue(channel="email", template="receipt", context={"n": 2}, address="a@x.cn", idempotency_key=key)
        outbox.notify_staff("CGJ", "timer_warning", {}, "timer:1:w")
        outbox.notify_staff("CGJ", "timer_warning", {}, "timer:2:w")
        assert Outbox.objects.count() == 1  # nothing written inside the block
    assert sorted(gathered.rows) == sorted(
        ["k1", "k2", "k3"]
        + [f"timer:{t}:w:u{u.pk}:inapp" for t in (1, 2) for u in (users["clerk_cgj"], users["head_cgj"])]
        + [f"timer:{t}:w:u{u.pk}:email" for t in (1, 2) for u in (users["clerk_cgj"], users["head_cgj"]) if u.email]
    )
    first.refresh_from_db()
    assert first.context == {"n": 1}  # the stored row is left as it was
    assert Outbox.objects.count() == len(gathered.rows)
    # The department, its staff and their preferences were read once for both calls.
    assert sum('FROM "cases_user"' in q["sql"] for q in ctx.captured_queries) == 1


def test_bulk_writes_nothing_when_the_block_fails(users):
    with pytest.raises(RuntimeError), transaction.atomic(), outbox.bulk():
        outbox.enqueue(channel="email", template="receipt", context={}, address="a@x.cn", idempotency_key="k")
        raise RuntimeError("the batch failed")
    assert not Outbox.objects.exists()


def test_coalesced_sends_one_event_per_topic(monkeypatch, django_capture_on_commit_callbacks):
    sent: list[tuple[str, str, dict]] = []
    monkeypatch.setattr(
        events, "_send_now_rollback_unsafe", lambda topic, type_, data: sent.append((topic, type_, data))
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic(), events.coalesced():
        for i in range(events.BATCH_SAMPLE + 5):
            events.publish("board", "timer.breached", {"tracking_no": f"T{i}"})
        events.publish("board", "supervision.issued", {"tracking_no": "T0"})
        events.publish("inbox.CGJ", "timer.breached", {"tracking_no": "T0"})
        assert sent == []
    assert sent[1] == ("inbox.CGJ", "timer.breached", {"tracking_no": "T0"})  # alone: sent as it was
    topic, type_, data = sent[0]
    assert (topic, type_, len(sent)) == ("board", events.BATCH_EVENT, 2)
    assert data["count"] == events.BATCH_SAMPLE + 6 and data["truncated"] is True
    assert data["types"] == {"timer.breached": events.BATCH_SAMPLE + 5, "supervision.issued": 1}
    assert len(data["events"]) == events.BATCH_SAMPLE
