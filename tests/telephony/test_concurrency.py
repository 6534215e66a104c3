"""Twilio retries can arrive while the first delivery is still being handled: one effect, one answer."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from cases.models import Case
from telephony import simulate
from telephony.models import Call, SmsMessage, WebhookReceipt

from .conftest import CALLER, PUBLIC, TOKEN


def _race(post, n: int = 4) -> list[simulate.Reply]:
    barrier = threading.Barrier(n)
    replies: list[simulate.Reply] = []
    errors: list[BaseException] = []

    def worker() -> None:
        tw = simulate.Twilio(send=simulate.client_sender(Client()), public_base_url=PUBLIC, auth_token=TOKEN)
        try:
            barrier.wait()
            replies.append(post(tw))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return replies


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_sms_delivered_four_times_at_once_registers_one_case(org):
    replies = _race(lambda tw: simulate.sms(tw, CALLER, "幸福路路灯不亮。", message_sid="SM" + "7" * 32))

    assert [r.status for r in replies] == [200] * 4
    assert len({r.body for r in replies}) == 1
    assert Case.objects.count() == 1
    assert SmsMessage.objects.count() == 1
    assert WebhookReceipt.objects.filter(kind="sms_incoming").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_incoming_call_delivered_four_times_at_once_makes_one_call(org, in_hours):
    sid = "CA" + "7" * 32

    replies = _race(lambda tw: tw.post("voice/incoming/", simulate.call_params(sid, CALLER, CallStatus="ringing")))

    assert [r.status for r in replies] == [200] * 4
    assert len({r.body for r in replies}) == 1
    assert Call.objects.filter(call_sid=sid).count() == 1
