"""Several delivery workers on PostgreSQL: every row is sent exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from notifications import transports, worker
from notifications.enums import OutboxStatus
from notifications.models import Outbox
from notifications.outbox import enqueue


class CountingTransport:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: Counter[int] = Counter()

    def send(self, row: Outbox) -> str:
        time.sleep(0.002)  # widen the window in which another worker could grab the same row
        with self.lock:
            self.sent[row.pk] += 1
        return f"t-{row.pk}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_never_send_a_row_twice(org, monkeypatch):
    transport = CountingTransport()
    monkeypatch.setattr(transports, "get_transport", lambda channel: transport)
    ids = [
        enqueue(
            channel="sms", template="receipt", context={}, address=f"1380013{n:04d}", idempotency_key=f"conc-{n}"
        ).pk
        for n in range(200)
    ]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            start.wait()
            while worker.step(name, limit=7):
                pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(transport.sent) == sorted(ids)
    assert set(transport.sent.values()) == {1}
    assert Outbox.objects.filter(status=OutboxStatus.SENT, attempts=1).count() == 200
