"""The outbox: what each case action queues, idempotency, rendering, and the delivery worker's
retries, backoff, permanent failures and leases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from cases import services
from cases.enums import ReplyChannel, State
from cases.workers import Runner
from notifications import transports, worker
from notifications.enums import OutboxStatus, Template
from notifications.models import Notification, NotificationPreference, Outbox
from notifications.outbox import (
    MAX_ATTEMPTS,
    backoff,
    enqueue,
    notify_staff,
    outbox_mark_delivery,
    outbox_retry,
    render_message,
)
from notifications.transports import ConsoleSMSTransport, PermanentDeliveryError
from tests.factories import CaseFactory, make_case_in_state

pytestmark = pytest.mark.django_db


def rows(case, template=None):
    qs = Outbox.objects.filter(case=case).order_by("id")
    return qs.filter(template=template) if template else qs


# --- what gets queued ------------------------------------------------------------------


def test_registering_a_case_queues_an_sms_receipt_with_tracking_number_and_access_code(users):
    case = CaseFactory(actor=users["agent"])
    [receipt] = rows(case)
    assert (receipt.template, receipt.channel, receipt.address) == (Template.RECEIPT, "sms", case.citizen_phone)
    assert receipt.status == OutboxStatus.PENDING
    text = render_message(receipt.template, receipt.context, receipt.language).sms
    assert case.tracking_no in text and case.access_code in text
    assert text.startswith("【12345】您的诉求已受理")


def test_an_sms_intake_gets_no_second_receipt_because_the_webhook_reply_carries_it(users):
    case = CaseFactory(actor=None, channel="sms")
    assert not rows(case, Template.RECEIPT).exists()


def test_a_citizen_who_chose_email_gets_the_receipt_by_email(users):
    case = CaseFactory(actor=users["agent"], reply_channel=ReplyChannel.EMAIL)
    [receipt] = rows(case)
    assert (receipt.channel, receipt.address) == ("email", "zhangsan@example.com")


def test_a_citizen_without_any_address_gets_nothing_and_registration_still_works(users):
    case = CaseFactory(
        actor=users["agent"],
        citizen=services.Citizen(name="王五", phone="13800138000"),
        reply_channel=ReplyChannel.PHONE,
    )
    case.citizen_phone = ""
    assert rows(case).count() == 1  # the SMS receipt to the phone given for the call-back


def test_assignment_notifies_each_department_staff_member_in_app_and_by_email_when_they_have_one(users):
    users["head_cgj"].email = "head@cgj.example"
    users["head_cgj"].save()
    case = make_case_in_state(State.ASSIGNED, users)
    notices = rows(case, Template.CASE_ASSIGNED)
    got = sorted((r.recipient.username, r.channel) for r in notices)
    assert got == [("clerk_cgj", "inapp"), ("head_cgj", "email"), ("head_cgj", "inapp")]
    # the other department hears nothing
    assert not notices.filter(recipient=users["clerk_hbj"]).exists()


def test_a_staff_member_who_switched_off_assignment_emails_gets_only_the_in_app_notice(users):
    users["head_cgj"].email = "head@cgj.example"
    users["head_cgj"].save()
    NotificationPreference.objects.create(user=users["head_cgj"], disabled=["case_assigned:email"])
    case = make_case_in_state(State.ASSIGNED, users)
    got = sorted((r.recipient.username, r.channel) for r in rows(case, Template.CASE_ASSIGNED))
    assert got == [("clerk_cgj", "inapp"), ("head_cgj", "inapp")]


def test_approval_queues_the_answer_then_the_feedback_request_to_the_citizen(users):
    case = make_case_in_state(State.ANSWERED, users)
    answer, feedback = rows(case, Template.ANSWER).get(), rows(case, Template.FEEDBACK_REQUEST).get()
    assert answer.id < feedback.id
    assert answer.context["answer"] == "已安排执法队员现场劝离，并加强夜间巡查。"
    sms = render_message(feedback.template, feedback.context).sms
    assert "回复1满意 2基本满意 3不满意" in sms


def test_a_call_back_citizen_gets_no_written_answer_but_the_agents_get_a_call_back_task(users):
    case = make_case_in_state(State.ANSWERED, users, reply_channel=ReplyChannel.PHONE)
    assert not rows(case, Template.ANSWER).exists()
    assert [r.recipient.username for r in rows(case, Template.CALLBACK_DUE)] == ["agent"]


def test_rejection_and_merge_tell_the_citizen_why(users):
    rejected = make_case_in_state(State.REJECTED, users)
    [row] = rows(rejected, Template.REJECTED)
    assert row.context["reason"] == rejected.reject_reason.name_zh
    merged = make_case_in_state(State.MERGED, users)
    [row] = rows(merged, Template.MERGED)
    assert row.context["duplicate_of"] == merged.duplicate_of.tracking_no
    assert merged.duplicate_of.tracking_no in render_message(row.template, row.context).sms


def test_send_back_and_reopen_notify_the_department(users):
    case = make_case_in_state(State.REPLIED, users)
    services.case_send_back(case=case, actor=users["dispatcher"], note="答复过于简单")
    assert {r.recipient.username for r in rows(case, Template.CASE_SENT_BACK)} == {"clerk_cgj", "head_cgj"}


def test_nothing_is_queued_when_the_action_rolls_back(users):
    before = Outbox.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        CaseFactory(actor=users["agent"])
        raise RuntimeError("boom")
    assert Outbox.objects.count() == before


def test_enqueue_with_the_same_key_returns_the_existing_row(users):
    first = enqueue(
        channel="sms", template="receipt", context={"tracking_no": "1"}, address="13800138000", idempotency_key="k-1"
    )
    again = enqueue(
        channel="sms", template="receipt", context={"tracking_no": "2"}, address="13900139000", idempotency_key="k-1"
    )
    assert again.pk == first.pk and again.context == {"tracking_no": "1"}
    assert Outbox.objects.filter(idempotency_key="k-1").count() == 1


def test_notify_staff_for_warnings_is_idempotent_per_key(users):
    ctx = {"tracking_no": "2026112100001", "title": "路灯不亮", "department": "区城管局", "department_en": "CGJ"}
    first = notify_staff("CGJ", Template.TIMER_BREACHED, ctx, "timer:7:breached")
    second = notify_staff("CGJ", Template.TIMER_BREACHED, ctx, "timer:7:breached")
    assert [r.pk for r in first] == [r.pk for r in second] and len(first) == 2
    assert notify_staff("NOPE", Template.TIMER_BREACHED, ctx, "x") == []


def test_messages_render_in_english_for_staff_who_chose_english(users):
    NotificationPreference.objects.create(user=users["clerk_cgj"], language="en")
    case = make_case_in_state(State.ASSIGNED, users)
    row = rows(case, Template.CASE_ASSIGNED).get(recipient=users["clerk_cgj"])
    msg = render_message(row.template, row.context, row.language)
    assert msg.subject == f"New case: {case.tracking_no} {case.title}"


# --- the worker ----------------------------------------------------------------------------


def deliver_all(worker_id="w1"):
    while worker.step(worker_id):
        pass


def test_the_worker_sends_the_receipt_sms_and_marks_the_row_sent(users):
    case = CaseFactory(actor=users["agent"])
    deliver_all()
    row = rows(case).get()
    assert row.status == OutboxStatus.SENT and row.attempts == 1 and row.provider_id == f"console-{row.pk}"
    assert ConsoleSMSTransport.sent[-1][0] == case.citizen_phone
    assert worker.step("w1") is False  # nothing left: the step reports no work


def test_the_worker_sends_email_and_creates_in_app_notifications(users):
    users["head_cgj"].email = "head@cgj.example"
    users["head_cgj"].save()
    case = make_case_in_state(State.ASSIGNED, users)
    deliver_all()
    assert [m.to for m in mail.outbox] == [["head@cgj.example"]]
    assert mail.outbox[0].subject == f"新转办工单：{case.tracking_no} {case.title}"
    notes = Notification.objects.filter(case=case).order_by("user__username")
    assert [(n.user.username, n.read_at) for n in notes] == [("clerk_cgj", None), ("head_cgj", None)]


class FlakyTransport:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc
        self.calls = 0

    def send(self, row):
        self.calls += 1
        raise self.exc


def test_a_temporary_failure_is_retried_later_with_exponential_backoff(users, monkeypatch):
    flaky = FlakyTransport(ConnectionError("smtp down"))
    monkeypatch.setattr(transports, "get_transport", lambda channel: flaky)
    row = enqueue(channel="email", template="receipt", context={}, address="a@example.com", idempotency_key="t")
    start = timezone.now()
    assert worker.step("w1") is True
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.PENDING, 1, "ConnectionError: smtp down")
    assert row.next_attempt_at >= start + timedelta(seconds=30)
    assert worker.step("w1") is False  # not due yet
    # make it due: the second failure waits twice as long
    Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    worker.step("w1")
    row.refresh_from_db()
    assert row.attempts == 2 and flaky.calls == 2
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 20)] == [30, 60, 120, 3600]


def test_after_the_last_allowed_attempt_the_row_fails_for_good(users, monkeypatch):
    monkeypatch.setattr(transports, "get_transport", lambda channel: FlakyTransport(TimeoutError("slow")))
    row = enqueue(channel="sms", template="receipt", context={}, address="13800138000", idempotency_key="t")
    for _ in range(MAX_ATTEMPTS):
        Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        worker.step("w1")
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)
    Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert worker.step("w1") is False


def test_a_permanent_failure_fails_at_once_and_an_admin_retry_requeues_it(users, monkeypatch):
    monkeypatch.setattr(
        transports, "get_transport", lambda channel: FlakyTransport(PermanentDeliveryError("twilio error 21211"))
    )
    row = enqueue(channel="sms", template="receipt", context={}, address="12345", idempotency_key="t")
    worker.step("w1")
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.FAILED, 1, "twilio error 21211")
    assert outbox_retry(Outbox.objects.filter(pk=row.pk)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)


def test_an_invalid_email_address_is_a_permanent_failure(users):
    row = enqueue(channel="email", template="receipt", context={}, address="not-an-address", idempotency_key="t")
    worker.step("w1")
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED and "invalid e-mail" in row.last_error
    assert mail.outbox == []


def test_twilio_error_21610_is_permanent_and_other_twilio_errors_are_retried(users, settings, monkeypatch):
    from twilio.base.exceptions import TwilioRestException

    settings.SMS_BACKEND = "twilio"

    class FakeMessages:
        def __init__(self) -> None:
            self.codes = [21610, 20429]
            self.kwargs: list[dict] = []

        def create(self, **kwargs):
            self.kwargs.append(kwargs)
            raise TwilioRestException(400, "uri", msg="nope", code=self.codes.pop(0))

    class FakeClient:
        messages = FakeMessages()

    monkeypatch.setattr(transports.TwilioSMSTransport, "_client", FakeClient())
    a = enqueue(
        channel="sms", template="receipt", context={"tracking_no": "1"}, address="13800138000", idempotency_key="a"
    )
    b = enqueue(
        channel="sms", template="receipt", context={"tracking_no": "2"}, address="13800138001", idempotency_key="b"
    )
    worker.step("w1")
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (OutboxStatus.FAILED, OutboxStatus.PENDING)
    sent = FakeClient.messages.kwargs[0]
    assert sent["to"] == "+8613800138000"
    assert sent["status_callback"] == f"{settings.PUBLIC_BASE_URL}/telephony/twilio/sms/status/"


def test_twilio_success_stores_the_message_sid_and_a_later_failure_report_marks_the_row(users, settings, monkeypatch):
    settings.SMS_BACKEND = "twilio"

    class FakeClient:
        class messages:  # noqa: N801
            @staticmethod
            def create(**kwargs):
                return type("Msg", (), {"sid": "SM" + "a" * 32})()

    monkeypatch.setattr(transports.TwilioSMSTransport, "_client", FakeClient())
    row = enqueue(channel="sms", template="receipt", context={}, address="13800138000", idempotency_key="t")
    worker.step("w1")
    row.refresh_from_db()
    assert (row.status, row.provider_id) == (OutboxStatus.SENT, "SM" + "a" * 32)
    assert outbox_mark_delivery("SM" + "a" * 32, "delivered") is True
    row.refresh_from_db()
    assert (row.status, row.delivery_status) == (OutboxStatus.SENT, "delivered")
    assert outbox_mark_delivery("SM" + "a" * 32, "undelivered", "30003") is True
    row.refresh_from_db()
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "twilio undelivered error 30003")
    assert outbox_mark_delivery("SMunknown", "delivered") is False


def test_a_lapsed_lease_lets_another_worker_take_the_row_and_the_first_cannot_record_over_it(users):
    row = enqueue(channel="sms", template="receipt", context={}, address="13800138000", idempotency_key="t")
    assert worker.claim_batch("crashed") == [row.pk]
    assert worker.claim_batch("w2") == []  # leased
    Outbox.objects.filter(pk=row.pk).update(claim_expires_at=timezone.now() - timedelta(seconds=1))
    assert worker.claim_batch("w2") == [row.pk]
    assert worker.deliver(row.pk, "crashed") is False  # its claim is gone
    assert worker.deliver(row.pk, "w2") is True
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 1


def test_the_delivery_loop_stops_when_asked_and_gives_back_the_rows_it_did_not_try(users):
    for n in range(3):
        enqueue(channel="sms", template="receipt", context={}, address=f"1380013800{n}", idempotency_key=f"s{n}")
    delivery = worker.Delivery(worker_id="w1")
    real_deliver = worker.deliver

    def deliver_then_stop(row_id: int, worker_id: str) -> bool:
        sent = real_deliver(row_id, worker_id)
        delivery.stopping.set()  # what SIGTERM does
        return sent

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(worker, "deliver", deliver_then_stop)
        assert Runner(delivery, idle_sleep=0).run() == 1
    assert delivery.acted == {"sent": 1}
    assert sorted(Outbox.objects.values_list("status", "claimed_by")) == [
        (OutboxStatus.PENDING, ""),
        (OutboxStatus.PENDING, ""),
        (OutboxStatus.SENT, ""),
    ]


def test_the_case_outbox_include_lists_the_cases_messages_with_masked_phone(users):
    from django.template.loader import render_to_string

    from notifications.selectors import case_messages

    case = CaseFactory(actor=users["agent"])
    html = render_to_string("notifications/_case_outbox.html", {"outbox_messages": case_messages(case)})
    assert "受理回执" in html and "待发送" in html
    assert case.citizen_phone not in html and f"{case.citizen_phone[:3]}****{case.citizen_phone[-4:]}" in html


def test_a_deadline_breach_reaches_the_case_departments_staff_once_per_key(users):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from notifications.outbox import notify_deadline

    case = make_case_in_state(State.ASSIGNED, users)
    due = datetime(2026, 11, 23, 17, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    for _ in range(2):
        got = notify_deadline(
            case=case,
            template=Template.TIMER_BREACHED,
            key="timer:1:breached",
            stage="reply",
            stage_label="答复",
            due_at=due,
        )
    assert sorted(r.recipient.username for r in got) == ["clerk_cgj", "head_cgj"]
    assert rows(case, Template.TIMER_BREACHED).count() == 2
    msg = render_message(got[0].template, got[0].context, "zh-hans")
    assert msg.subject == f"已超期：{case.tracking_no} {case.title}"
    assert "的答复已超期（期限 2026-11-23 17:30）" in msg.body
    # before assignment the dispatch centre hears about a late triage
    fresh = CaseFactory(actor=users["agent"])
    got = notify_deadline(case=fresh, template=Template.TIMER_WARNING, key="timer:2:warning", stage="triage")
    assert sorted(r.recipient.username for r in got) == ["agent", "dispatcher"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("template", Template.values)
def test_every_message_template_renders_a_subject_body_and_sms_in_both_languages(template, language):
    ctx = {
        "tracking_no": "2026112100042",
        "access_code": "ABC234",
        "title": "路灯不亮",
        "department": "区城管局",
        "department_en": "City Management",
        "answer": "已修复。",
        "note": "请核实",
        "reason": "不属于受理范围",
        "reason_en": "Not our remit",
        "duplicate_of": "2026112100007",
        "payload": {"granted": True, "level": 2, "until": "2026-12-01"},
        "track_url": "http://x/track/",
        "case_url": "http://x/c/",
        "due_at": "2026-11-23 17:30",
    }
    msg = render_message(template, ctx, language)
    assert msg.subject and msg.body and msg.sms
    assert "2026112100042" in msg.subject + msg.body
    assert "{" not in msg.subject + msg.body + msg.sms
    assert len(msg.sms) <= 300
