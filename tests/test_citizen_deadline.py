"""One deadline per case, whoever asks: the tracking page, the tracking API, the IVR status answer
and the SMS status reply all give ``sla.deadlines.citizen_deadline`` — the same instant, shown in
Asia/Shanghai time — for a case in every state.

Time is pinned with time-machine: the cases start on Monday 23 November 2026, 09:30 in Shanghai
(an ordinary working week), so every deadline below is a known moment of the CN calendar.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client

from cases import services
from cases.enums import State
from cases.models import Case
from sla import services as sla_services
from telephony.simulate import call_params, sms
from tests.factories import make_case_in_state, reply_kwargs
from tests.sla.fixtures import SH, at
from tests.telephony.conftest import CALLER, CALLER_PHONE, tw, twilio_settings  # noqa: F401  (fixtures)
from tests.web.api.api_helpers import public_client

pytestmark = pytest.mark.django_db

START = at(2026, 11, 23, 9, 30)  # Monday
TRIAGE_DUE = at(2026, 11, 23, 11, 30)  # 2 working hours
REPLY_DUE = at(2026, 12, 10, 17, 30)  # 13 working days (a complaint)
EXTENDED_DUE = at(2026, 12, 20, 17, 30)


@dataclass
class Told:
    """What each channel told the citizen about the deadline."""

    portal: str  # the <dd id="deadline"> element, "" when absent
    api: dict
    ivr: str
    sms: str


@pytest.fixture
def after_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("telephony.hours.is_open", lambda now=None: False)


@pytest.fixture
def pinned() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def ask_everyone(tw, case: Case) -> Told:
    portal = Client()
    found = portal.post("/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code})
    assert found.status_code == 302, found.content
    html = portal.get(found["Location"]).content.decode()
    dd = re.search(r'<dd id="deadline".*?</dd>', html, re.S)
    api = public_client().get(
        "/api/v1/public/track/", {"tracking_no": case.tracking_no, "access_code": case.access_code}
    )
    assert api.status_code == 200, api.content
    ivr = tw.post("voice/gather/?step=track&attempt=1", call_params("CA" + "7" * 32, CALLER, Digits=case.tracking_no))
    text = sms(tw, CALLER, f"查询 {case.tracking_no}")
    return Told(portal=dd[0] if dd else "", api=api.json(), ivr=ivr.xml[0].text, sms=text.xml[0].text)


def spoken(moment: dt.datetime) -> str:
    local = moment.astimezone(SH)
    return f"{local.month}月{local.day}日{local.hour}时{local.minute:02d}分"


def registered(users, _t) -> Case:
    return make_case_in_state(State.REGISTERED, users, citizen=services.Citizen(phone=CALLER_PHONE))


def assigned(users, _t) -> Case:
    return make_case_in_state(State.ASSIGNED, users, citizen=services.Citizen(phone=CALLER_PHONE))


def in_progress(users, _t) -> Case:
    return make_case_in_state(State.IN_PROGRESS, users, citizen=services.Citizen(phone=CALLER_PHONE))


def on_hold(users, t) -> Case:
    case = in_progress(users, t)
    t.move_to(at(2026, 11, 25, 10, 0))
    return services.case_hold(case=case, actor=users["clerk_cgj"], reason="等待补充现场照片。")


def replied(users, t) -> Case:
    return make_case_in_state(State.REPLIED, users, citizen=services.Citizen(phone=CALLER_PHONE))


def replied_late(users, t) -> Case:
    case = in_progress(users, t)
    t.move_to(at(2026, 12, 11, 10, 0))
    return services.case_reply(**reply_kwargs(), case=case, actor=users["clerk_cgj"], text="已处理。")


def answered(users, _t) -> Case:
    return make_case_in_state(State.ANSWERED, users, citizen=services.Citizen(phone=CALLER_PHONE))


def closed(users, _t) -> Case:
    return make_case_in_state(State.CLOSED, users, citizen=services.Citizen(phone=CALLER_PHONE))


def extended(users, t) -> Case:
    case = in_progress(users, t)
    ext = sla_services.extension_request(
        case=case, actor=users["clerk_cgj"], until=EXTENDED_DUE.isoformat(), reason="需协调环卫车辆。"
    )
    sla_services.extension_decide(extension=ext.pk, actor=users["supervisor"], grant=True, note="同意。")
    return Case.objects.get(pk=case.pk)


def breached(users, t) -> Case:
    case = in_progress(users, t)
    t.move_to(at(2026, 12, 11, 9, 0))  # past the reply deadline; the sweeper has not run: red all the same
    return case


# (case builder, deadline told or None, status, the IVR/SMS words after the date)
SCENES: list[tuple[Callable, dt.datetime | None, str | None, str]] = [
    (registered, TRIAGE_DUE, "running", ""),
    (assigned, REPLY_DUE, "running", ""),
    (in_progress, REPLY_DUE, "running", ""),
    (on_hold, None, "paused", ""),
    (replied, REPLY_DUE, "met", "（已按期答复）"),
    (replied_late, REPLY_DUE, "late", "（已逾期答复）"),
    (answered, None, None, ""),
    (closed, None, None, ""),
    (extended, EXTENDED_DUE, "running", ""),
    (breached, REPLY_DUE, "overdue", "（已超期）"),
]


@pytest.mark.parametrize(("build", "due", "status", "suffix"), SCENES, ids=[s[0].__name__ for s in SCENES])
def test_the_portal_the_api_the_ivr_and_the_sms_tell_the_same_deadline(
    tw, users, after_hours, pinned, build, due, status, suffix
):
    case = build(users, pinned)
    told = ask_everyone(tw, case)

    # the API: the instant, in +08:00, and where it stands
    assert told.api["deadline_status"] == status
    assert (dt.datetime.fromisoformat(told.api["deadline"]) if told.api["deadline"] else None) == due
    if due is not None:
        assert told.api["deadline"].endswith("+08:00")

    sentence_start = f"工单{case.tracking_no}的办理状态为：{State(case.state).label}。"
    spelled = " ".join(case.tracking_no)
    if status is None:
        assert told.portal == ""
        assert "办理期限" not in told.sms and "办理期限" not in told.ivr
        assert told.sms.startswith(sentence_start)
        return
    if due is None:  # paused: no date anywhere, the same words everywhere
        assert 'data-status="paused"' in told.portal and "<time" not in told.portal
        assert "暂停计时，等待您补充材料" in told.portal
        assert told.sms.endswith("办理期限：暂停计时，等待您补充材料。")
        assert told.ivr == told.sms.replace(case.tracking_no, spelled)
        return
    # the tracking page: the same instant, shown in Shanghai time
    local = due.astimezone(SH)
    assert f'<time datetime="{local.isoformat()}">{local:%Y-%m-%d %H:%M}</time>' in told.portal
    assert f'data-status="{status}"' in told.portal
    # the SMS and the IVR: the same instant in words, the same sentence (the IVR spells the number)
    assert told.sms.startswith(sentence_start)
    assert told.sms.endswith(f"办理期限：{spoken(due)}{suffix}。")
    assert told.ivr == told.sms.replace(case.tracking_no, spelled)


def test_the_sign_for_and_return_window_clocks_are_never_told_to_the_citizen(tw, users, after_hours, pinned):
    case = assigned(users, pinned)
    sign_for = case.timers.get(stage="sign_for")
    window = case.timers.get(stage="return_window")
    assert sign_for.due_at < REPLY_DUE and window.due_at < REPLY_DUE  # both nearer than the reply deadline
    told = ask_everyone(tw, case)
    for moment in (sign_for.due_at, window.due_at):
        assert spoken(moment) not in told.sms
        assert f"{moment.astimezone(SH):%Y-%m-%d %H:%M}" not in told.portal
    assert dt.datetime.fromisoformat(told.api["deadline"]) == REPLY_DUE


def test_a_breached_reply_clock_stays_overdue_while_the_case_waits_on_hold(tw, users, after_hours, pinned):
    case = breached(users, pinned)
    from sla.sweeper import Sweeper

    while Sweeper().step(now=at(2026, 12, 11, 9, 0)):
        pass
    case = services.case_hold(case=Case.objects.get(pk=case.pk), actor=users["clerk_cgj"], reason="等待补充材料。")
    told = ask_everyone(tw, case)
    # a breached clock does not pause: the citizen is still told it is overdue
    assert (told.api["deadline_status"], dt.datetime.fromisoformat(told.api["deadline"])) == ("overdue", REPLY_DUE)
    assert told.sms.endswith(f"办理期限：{spoken(REPLY_DUE)}（已超期）。")
