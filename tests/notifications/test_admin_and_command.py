"""The outbox in the admin (filter by status, retry action) and the worker's command and SIGTERM."""

from __future__ import annotations

import os
import signal

import pytest
from django.core.management import call_command
from django.urls import reverse

from notifications import worker
from notifications.enums import OutboxStatus
from notifications.models import Outbox
from notifications.outbox import enqueue
from notifications.transports import ConsoleSMSTransport

pytestmark = pytest.mark.django_db


def test_the_admin_lists_failed_messages_by_status_and_retries_them(client, users):
    failed = enqueue(channel="sms", template="receipt", context={}, address="13800138000", idempotency_key="f")
    Outbox.objects.filter(pk=failed.pk).update(status=OutboxStatus.FAILED, attempts=8, last_error="twilio error 21211")
    sent = enqueue(channel="sms", template="receipt", context={}, address="13900139000", idempotency_key="s")
    Outbox.objects.filter(pk=sent.pk).update(status=OutboxStatus.SENT)
    client.force_login(users["admin"])
    url = reverse("admin:notifications_outbox_changelist")
    page = client.get(url, {"status__exact": "failed"}).content.decode()
    assert "twilio error 21211" in page and "13900139000" not in page
    resp = client.post(url, {"action": "retry", "_selected_action": [failed.pk, sent.pk]})
    assert resp.status_code == 302
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (OutboxStatus.PENDING, 0, "")
    assert sent.status == OutboxStatus.SENT  # a sent message is never re-sent by the action


def test_run_delivery_worker_once_sends_what_is_due(users, capsys):
    enqueue(
        channel="sms",
        template="receipt",
        context={"tracking_no": "2026112100001", "access_code": "ABC234"},
        address="13800138000",
        idempotency_key="cmd",
    )
    call_command("run_delivery_worker", "--once", "--idle-sleep", "0")
    assert Outbox.objects.get(idempotency_key="cmd").status == OutboxStatus.SENT
    address, text = ConsoleSMSTransport.sent[-1]
    assert address == "13800138000" and "2026112100001" in text and "ABC234" in text
    assert "stopped after 1 steps: {'sent': 1}" in capsys.readouterr().out


def test_sigterm_stops_the_delivery_command_after_its_current_step(users, monkeypatch, capsys):
    enqueue(channel="sms", template="receipt", context={}, address="13800138000", idempotency_key="t")
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    steps: list[bool] = []
    real_step = worker.Delivery.step

    def step_then_sigterm(self: worker.Delivery) -> bool:
        did = real_step(self)
        steps.append(did)
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill <pid>` would; the handler only sets a flag
        return did

    monkeypatch.setattr(worker.Delivery, "step", step_then_sigterm)
    call_command("run_delivery_worker", "--idle-sleep", "0")
    assert steps == [True]
    assert Outbox.objects.get(idempotency_key="t").status == OutboxStatus.SENT
    assert "stopped after 1 steps" in capsys.readouterr().out
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
