"""What the service tells people: times in Asia/Shanghai (never UTC), names family name first, and
links to where the service really runs.

The clock is pinned at 2026-11-24 07:30 in Shanghai, which is still 2026-11-23 23:30 in UTC: a
UTC leak shows as the wrong date, not just the wrong hour."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.enums import Channel, ReplyChannel, State
from cases.models import User
from cases.services import Citizen, case_register
from notifications import worker
from notifications.enums import Template
from notifications.models import Outbox
from notifications.outbox import local_time, notify_deadline, render_message
from notifications.transports import ConsoleSMSTransport
from sla import services as sla_services
from telephony.models import Call
from telephony.selectors import call_ringing_data
from tests.factories import make_case_in_state
from tests.test_settings import run_manage

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
MOMENT = dt.datetime(2026, 11, 24, 7, 30, tzinfo=SH)
assert MOMENT.astimezone(dt.UTC).date() == dt.date(2026, 11, 23)  # the dates really differ


def deliver_all() -> None:
    while worker.step("w-local-time"):
        pass


def test_local_time_reads_datetimes_and_iso_text_in_shanghai_time():
    utc = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    assert local_time(utc) == "2026-11-24 07:30"
    assert local_time("2026-11-23T23:30:00+00:00") == "2026-11-24 07:30"
    assert local_time("2026-11-24T07:30:00+08:00") == "2026-11-24 07:30"
    assert (local_time(None), local_time(""), local_time("not a time")) == ("", "", "")


def test_a_granted_extension_tells_the_citizen_the_new_deadline_in_shanghai_time(users):
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 30, tzinfo=SH), tick=False) as traveller:
        case = make_case_in_state(
            State.IN_PROGRESS, users, reply_channel=ReplyChannel.SMS, citizen=Citizen(name="李四", phone="13912345678")
        )
        deliver_all()
        traveller.move_to(dt.datetime(2026, 12, 1, 10, 0, tzinfo=SH))
        # Until 11 December 07:30 in Shanghai: 10 December 23:30 in UTC.
        ext = sla_services.extension_request(
            case=case, actor=users["clerk_cgj"], until="2026-12-11T07:30:00+08:00", reason="需协调。"
        )
        sla_services.extension_decide(extension=ext.pk, actor=users["supervisor"], grant=True, note="同意。")
        deliver_all()
    row = Outbox.objects.get(case=case, template=Template.EXTENSION_CITIZEN)
    assert ConsoleSMSTransport.sent[-1] == (
        "13912345678",
        f"【12345】工单{case.tracking_no}办理期限已延长至2026-12-11 07:30。",
    )
    english = render_message(row.template, row.context, "en")
    assert english.sms == f"[12345] Deadline for {case.tracking_no} extended to 2026-12-11 07:30."
    assert "的办理期限已延长至 2026-12-11 07:30。" in render_message(row.template, row.context).body


def test_a_deadline_warning_gives_the_due_time_in_shanghai_time(users):
    with time_machine.travel(MOMENT, tick=False):
        case = make_case_in_state(State.IN_PROGRESS, users)
        rows = notify_deadline(
            case=case,
            template=Template.TIMER_WARNING,
            key=f"test:{case.pk}:warning",
            stage_label="答复",
            due_at=dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC),
        )
    assert rows
    body = render_message(rows[0].template, rows[0].context).body
    assert f"工单 {case.tracking_no}“{case.title}”的答复即将到期（期限 2026-11-24 07:30），请抓紧办理。" in body


def test_the_desk_caller_history_and_the_screen_pop_give_shanghai_time(client, users):
    with time_machine.travel(MOMENT, tick=False):
        case_register(
            actor=users["agent"],
            channel=Channel.HOTLINE,
            kind="help",
            category="CITY-ROAD",
            title="路灯不亮",
            content="幸福路路灯坏了。",
            citizen=Citizen(name="李四", phone="13912345678"),
        )
        call = Call.objects.create(
            call_sid="CA-local-time", from_number="+8613912345678", caller_phone="13912345678", started_at=MOMENT
        )
    client.force_login(users["agent"])
    data = client.get("/console/desk/caller-history/", {"phone": "13912345678"}).json()
    assert data["cases"][0]["registered_at"] == "2026-11-24T07:30:00+08:00"
    assert data["cases"][0]["registered_at_display"] == "2026-11-24 07:30"
    pop = call_ringing_data(call)
    assert pop["started_at"] == "2026-11-24T07:30:00+08:00"
    assert pop["cases"][0]["registered_at"] == "2026-11-24T07:30:00+08:00"


def test_names_are_written_family_name_first():
    assert User(first_name="建国", last_name="王").get_full_name() == "王建国"
    assert User(first_name="建国", last_name="王").get_short_name() == "王建国"
    assert User(first_name="Anna", last_name="Li").get_full_name() == "Anna Li"
    assert User(first_name="", last_name="王", username="w").display_name == "王"
    assert User(username="nobody").display_name == "nobody"


def test_the_console_greets_the_dispatcher_by_his_chinese_name(client, users):
    users["dispatcher"].first_name, users["dispatcher"].last_name = "建国", "王"
    users["dispatcher"].save()
    client.force_login(users["dispatcher"])
    html = client.get("/console/queue/").content.decode()
    assert '<span class="staff-who">王建国 · ' in html
    assert "建国 王" not in html


@pytest.mark.parametrize(("env", "base"), [({}, "http://127.0.0.1:8000"), ({"PORT": "8822"}, "http://127.0.0.1:8822")])
def test_sms_and_email_links_point_where_the_service_runs(env, base):
    # A separate process, as `PORT=8822 bash scripts/serve` would start: settings read at start-up.
    code = (
        "from cases.models import Case; from notifications.outbox import case_context, render_message; "
        "ctx = case_context(Case(tracking_no='202611240001', access_code='123456', title='t')); "
        "print(render_message('receipt', ctx).sms); print(ctx['case_url'])"
    )
    result = run_manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    sms, staff_link = result.stdout.strip().splitlines()[-2:]
    assert sms == (
        f"【12345】您的诉求已受理，流水号202611240001，查询码123456。查询进度：{base}/track/?tracking_no=202611240001"
    )
    assert staff_link == f"{base}/console/cases/202611240001/"
