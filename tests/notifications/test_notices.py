"""The notices table: every action in it produces exactly the outbox rows and the real-time event
it declares, and nothing else.

The walk reads each entry of ``NOTICES``, works out from the entry alone who should get what
for a prepared case (a department with an assisting department, staff with and without e-mail,
a citizen with a phone and an e-mail address), runs ``notify_case_change`` and compares. It runs
once per variant of the case that the table's conditions look at (written or telephone answer,
SMS intake, extension granted or refused, an sla record naming a department or not).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cases import services
from cases.enums import Channel, ReplyChannel, Role, State, Transition
from cases.models import Case, CaseEvent, Department, User
from notifications import notices
from notifications.enums import OutboxChannel
from notifications.models import Outbox
from notifications.notices import NOTICES, Citizen, CitizenOf, Occasion, People, Roles, Staff
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

VARIANTS = {
    "written answer, extension granted, order to HBJ": {
        "reply_channel": ReplyChannel.SMS,
        "channel": Channel.WEB,
        "payload": {"granted": True, "department": "HBJ"},
    },
    "telephone answer, extension refused, no department named": {
        "reply_channel": ReplyChannel.PHONE,
        "channel": Channel.WEB,
        "payload": {"granted": False},
    },
    "SMS intake answered by e-mail": {
        "reply_channel": ReplyChannel.EMAIL,
        "channel": Channel.SMS,
        "payload": {"department": "XFJ"},
    },
    # Issue 12: a sub-unit's reply sent back down (the levels of cases/forwarding.py's events).
    "forwarded case, both levels named": {
        "reply_channel": ReplyChannel.SMS,
        "channel": Channel.WEB,
        "payload": {"department": "CGJ", "from_department": "HBJ"},
    },
    "a 通报 (level 3), a head submitting the clerk's draft": {
        "reply_channel": ReplyChannel.SMS,
        "channel": Channel.WEB,
        "payload": {"level": 3, "approved_draft_of": 1, "department": "CGJ"},
    },
    "dissatisfied rating, reopened on a supervisor's decision": {
        "reply_channel": ReplyChannel.SMS,
        "channel": Channel.WEB,
        "payload": {"rating": "dissatisfied", "reason": "not_solved", "dissatisfied": True},
    },
}


@pytest.fixture
def case(users, time_machine) -> Case:
    """In progress at CGJ with HBJ assisting; CGJ's head has an e-mail address, its clerk none."""
    time_machine.move_to(NOW, tick=False)
    User.objects.filter(pk=users["head_cgj"].pk).update(email="head@cgj.example")
    case = CaseFactory(actor=users["agent"])
    case = services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ"])
    case = services.case_sign_for(case=case, actor=users["clerk_cgj"])
    # The clerk wrote a reply draft (head approval): the drafter's audience has someone to tell.
    Case.objects.filter(pk=case.pk).update(reply_draft_by=users["clerk_cgj"])
    # Another citizen's case merged into it: they are told its answer too.
    duplicate = CaseFactory(actor=users["agent"], citizen=services.Citizen(name="李四", phone="13900001111"))
    services.case_merge(case=duplicate, actor=users["dispatcher"], duplicate_of=case.tracking_no)
    # Every active supervisor hears of urges and dissatisfied ratings.
    User.objects.create(username="supervisor2", role=Role.SUPERVISOR, department=users["supervisor"].department)
    return Case.objects.get(pk=case.pk)


def staff_rows(recipient: Staff) -> set[tuple]:
    """What a Staff audience means: each active member of the department in the given roles (by
    default clerks and head; at the dispatch centre dispatchers and agents), in-app, and by e-mail
    when they have an address."""
    dept = recipient.department
    dept = dept if isinstance(dept, Department) else Department.objects.get(code=dept)
    roles = recipient.roles or ((Role.DISPATCHER, Role.AGENT) if dept.is_dispatch else (Role.CLERK, Role.HEAD))
    members = User.objects.filter(department=dept, is_active=True, role__in=roles)
    return {(OutboxChannel.INAPP, u.username, "") for u in members} | {
        (OutboxChannel.EMAIL, u.username, u.email) for u in members if u.email
    }


def citizen_rows(case: Case) -> set[tuple]:
    """The citizen on their reply channel: e-mail if they chose it, otherwise SMS to their phone."""
    if case.reply_channel == ReplyChannel.EMAIL:
        return {(OutboxChannel.EMAIL, "", case.citizen_email)}
    return {(OutboxChannel.SMS, "", case.citizen_phone)}


def people_rows(recipient: People | Roles) -> set[tuple]:
    """Named users, or every active user of the roles (supervisors and the leadership), in-app and
    by e-mail when they have an address."""
    if isinstance(recipient, People):
        members = User.objects.filter(pk__in=recipient.user_ids, is_active=True)
    else:
        members = User.objects.filter(role__in=recipient.roles, is_active=True)
    return {(OutboxChannel.INAPP, u.username, "") for u in members} | {
        (OutboxChannel.EMAIL, u.username, u.email) for u in members if u.email
    }


def declared(occ: Occasion) -> set[tuple]:
    rows: set[tuple] = set()
    for message in NOTICES[occ.action].messages:
        if not message.when(occ):
            continue
        for recipient in message.audience(occ):
            if isinstance(recipient, Citizen):
                got = citizen_rows(occ.case)
            elif isinstance(recipient, People | Roles):
                got = people_rows(recipient)
            elif isinstance(recipient, CitizenOf):
                got = citizen_rows(recipient.case)
            else:
                got = staff_rows(recipient)
            rows |= {(message.template, *row) for row in got}
    return rows


def produced(case: Case, before: int) -> list[tuple]:
    """Every row queued since ``before`` (of this case, or of a case merged into it)."""
    return [
        (r.template, r.channel, r.recipient.username if r.recipient_id else "", r.address)
        for r in Outbox.objects.filter(pk__gt=before)
    ]


def an_event(case: Case, seq: int) -> CaseEvent:
    """The audit event the action wrote (only its number, note and previous state are read)."""
    return CaseEvent(case=case, seq=seq, note="请补充材料", from_state=State.REGISTERED)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("action", NOTICES)
def test_every_action_in_the_table_produces_exactly_the_rows_and_event_it_declares(case, variant, action, monkeypatch):
    published: list[tuple[str, str]] = []
    monkeypatch.setattr(notices.events, "publish", lambda topic, type_, data: published.append((topic, type_)))
    monkeypatch.setattr(
        notices.events,
        "publish_many",
        lambda topics, type_, data: published.extend((t, type_) for t in dict.fromkeys(topics)),
    )
    spec = VARIANTS[variant]
    case.reply_channel, case.channel = spec["reply_channel"], spec["channel"]
    event = an_event(case, seq=100)
    occ = Occasion(case=case, event=event, action=action, payload=spec["payload"])
    before = Outbox.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    notices.notify_case_change(case=case, event=event, action=action, payload=spec["payload"])

    rows = produced(case, before)
    assert len(rows) == len(set(rows))  # no duplicates
    assert set(rows) == declared(occ)
    if any(m.when(occ) and m.audience(occ) for m in NOTICES[action].messages):
        assert rows  # the comparison is not vacuous: somebody was told something
    live = NOTICES[action].live
    if live is None:
        assert published == []
    else:
        type_ = live.type if isinstance(live.type, str) else live.type(occ)
        topics = list(dict.fromkeys(t for each in live.topics for t in each(occ)))
        assert published == [(topic, type_) for topic in topics] and topics


def test_the_walk_covers_every_audience_and_condition_the_table_uses(case):
    """So that the variants above exercise each branch: every message is sent in some variant."""
    sent_somewhere = set()
    for spec in VARIANTS.values():
        case.reply_channel, case.channel = spec["reply_channel"], spec["channel"]
        for action, notice in NOTICES.items():
            occ = Occasion(case=case, event=an_event(case, 1), action=action, payload=spec["payload"])
            sent_somewhere |= {(action, i) for i, m in enumerate(notice.messages) if m.when(occ) and m.audience(occ)}
    assert sent_somewhere == {(a, i) for a, n in NOTICES.items() for i in range(len(n.messages))}


def test_the_same_action_announced_twice_queues_nothing_more(case):
    event = an_event(case, seq=200)
    notices.notify_case_change(case=case, event=event, action=Transition.SEND_BACK, payload={})
    count = Outbox.objects.filter(case=case).count()
    notices.notify_case_change(case=case, event=event, action=Transition.SEND_BACK, payload={})
    assert Outbox.objects.filter(case=case).count() == count


def test_an_action_outside_the_table_tells_nobody(case, monkeypatch):
    published: list[str] = []
    monkeypatch.setattr(notices.events, "publish", lambda topic, type_, data: published.append(topic))
    monkeypatch.setattr(
        notices.events, "publish_many", lambda topics, type_, data: published.extend(dict.fromkeys(topics))
    )
    count = Outbox.objects.count()
    for action in (Transition.NOTE, Transition.REVEAL, Transition.PUBLISH, "sla.extension.requested"):
        assert action not in NOTICES
        notices.notify_case_change(case=case, event=an_event(case, 300), action=action, payload={})
    assert Outbox.objects.count() == count and published == []
