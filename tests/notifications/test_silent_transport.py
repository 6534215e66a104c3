"""A server that accepts the connection and never answers must cost the delivery worker one
timeout and a retry, never a hung step inside a transaction; a worker that dies holding a claim
leaves the row to another worker once its lease lapses."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
import time_machine
from django.core import mail
from django.db import DatabaseError, close_old_connections, connection, transaction

from notifications import transports, worker
from notifications.enums import OutboxStatus
from notifications.models import Outbox
from notifications.outbox import backoff, enqueue, outbox_record_failure

pytestmark = pytest.mark.django_db(transaction=True)  # so a transaction open during a send shows

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class SilentServer:
    """Listens on 127.0.0.1, accepts every connection, reads nothing and writes nothing."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self.accepted.append(self.sock.accept()[0])
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def silent_smtp(settings, silent_server) -> SilentServer:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = silent_server.port
    settings.EMAIL_TIMEOUT = 1
    return silent_server


def email_row(key: str = "silent") -> Outbox:
    return enqueue(channel="email", template="receipt", context={}, address="citizen@example.com", idempotency_key=key)


def spy_on_email_send(monkeypatch, during=None) -> list[bool]:
    """Wrap the real e-mail transport: records whether a transaction was open when it was
    called, and runs ``during(row)`` just before the real send."""
    seen: list[bool] = []
    real = transports.EmailTransport.send

    def send(self, row):
        seen.append(connection.in_atomic_block)
        if during is not None:
            during(row)
        return real(self, row)

    monkeypatch.setattr(transports.EmailTransport, "send", send)
    return seen


def test_a_silent_mail_server_fails_the_row_with_backoff_in_bounded_time_outside_any_transaction(
    users, silent_smtp, monkeypatch, settings
):
    seen = spy_on_email_send(monkeypatch)
    with time_machine.travel(T0, tick=True):
        row = email_row()
        start = time.monotonic()
        assert worker.step("w1") is True
        took = time.monotonic() - start
        failed_at = datetime.now(UTC)
    assert silent_smtp.accepted, "the worker never reached the silent server"
    assert seen == [False], "a transaction was open while the transport talked to the server"
    assert took < 5, f"the step took {took:.1f} s with EMAIL_TIMEOUT=1"

    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_by) == (OutboxStatus.PENDING, 1, "")
    assert "timed out" in row.last_error
    assert abs((row.next_attempt_at - failed_at) - backoff(1)).total_seconds() < 5

    # Retried later: not before its backoff, then it goes out (the server works again).
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(failed_at, tick=False):
        assert worker.step("w2") is False
    with time_machine.travel(row.next_attempt_at, tick=False):
        assert worker.step("w2") is True
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert [m.to for m in mail.outbox] == [["citizen@example.com"]]


@pytest.mark.postgres
def test_another_connection_can_lock_the_row_while_the_silent_server_is_being_waited_for(
    users, silent_smtp, monkeypatch
):
    """On PostgreSQL: the worker holds no row lock during the send (the old code did, inside
    its transaction, for as long as the server kept silent)."""
    outcome: list[str] = []

    def lock_from_elsewhere(row) -> None:
        def run() -> None:
            try:
                with transaction.atomic():
                    Outbox.objects.select_for_update(nowait=True).get(pk=row.pk)
                outcome.append("locked")
            except DatabaseError as exc:
                outcome.append(f"blocked: {exc}")
            finally:
                close_old_connections()
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=10)

    spy_on_email_send(monkeypatch, during=lock_from_elsewhere)
    row = email_row()
    assert worker.step("w1") is True
    assert outcome == ["locked"]
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING and row.attempts == 1


def test_a_row_claimed_by_a_worker_that_died_is_sent_by_another_after_the_lease(users, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(T0, tick=False):
        row = email_row("orphan")
        assert worker.claim_batch("dead") == [row.pk]  # ... and the process is killed here
    with time_machine.travel(T0 + worker.LEASE / 2, tick=False):
        assert worker.step("w2") is False  # still leased to the dead worker
        assert mail.outbox == []
    with time_machine.travel(T0 + worker.LEASE + worker.LEASE / 10, tick=False):
        assert worker.step("w2") is True
        # The dead worker's late word changes nothing, and it cannot send the row again.
        assert outbox_record_failure(row.pk, worker_id="dead", error="late", permanent=False) is None
        assert worker.deliver(row.pk, "dead") is False
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_by, row.last_error) == (OutboxStatus.SENT, 1, "", "")
    assert len(mail.outbox) == 1


def test_the_lease_is_renewed_before_each_send_so_it_need_outlast_one_send_not_a_batch(users, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    taken_meanwhile: list[list[int]] = []
    with time_machine.travel(T0, tick=False) as traveller:
        email_row("a"), email_row("b")
        real = transports.EmailTransport.send

        def slow_send(self, row):
            traveller.shift(worker.LEASE * 0.75)  # each send takes three quarters of a lease
            taken_meanwhile.append(worker.claim_batch("w2"))  # another worker looks for work
            return real(self, row)

        monkeypatch.setattr(transports.EmailTransport, "send", slow_send)
        assert worker.Delivery(worker_id="w1").step() is True
    # The second send ends 1.5 leases after the batch was claimed: without the renewal before
    # it, w2 would have taken the row mid-send and sent it a second time.
    assert taken_meanwhile == [[], []]
    assert sorted(Outbox.objects.values_list("status", "claimed_by")) == [(OutboxStatus.SENT, "")] * 2
    assert len(mail.outbox) == 2


def test_twilio_requests_give_up_after_the_configured_timeout(settings, silent_server):
    settings.TWILIO_TIMEOUT = 0.5
    client = transports.twilio_client()
    start = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        client.http_client.request("GET", f"http://127.0.0.1:{silent_server.port}/2010-04-01/Accounts.json")
    assert time.monotonic() - start < 5


def test_sms_and_outbound_calls_use_the_client_with_the_timeout(settings, monkeypatch):
    from telephony import services

    settings.TWILIO_TIMEOUT = 3
    monkeypatch.setattr(transports.TwilioSMSTransport, "_client", None)
    assert transports.TwilioSMSTransport().client().http_client.timeout == 3
    assert services._twilio_client().http_client.timeout == 3


def test_an_in_app_message_retried_after_a_death_between_send_and_record_is_not_doubled(users):
    from notifications.models import Notification

    with time_machine.travel(T0, tick=False):
        row = enqueue(
            channel="inapp", template="receipt", context={}, recipient=users["clerk_cgj"], idempotency_key="inapp"
        )
        assert worker.claim_batch("dead") == [row.pk]
        transports.InAppTransport().send(Outbox.objects.get(pk=row.pk))  # sent, then the worker died
    with time_machine.travel(T0 + worker.LEASE * 1.1, tick=False):
        assert worker.step("w2") is True
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert Notification.objects.filter(user=users["clerk_cgj"]).count() == 1
