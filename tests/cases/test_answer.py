"""The department's answer (issue 13): result, contact before reply, the reply's files, head
approval as a visible step, and the reply templates' placeholders."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cases import answer, answer_services, attachments, services
from cases.enums import ContactMethod, DraftStatus, ReplyResult, State
from cases.exceptions import CasePermissionDenied, CaseValidationError
from cases.models import Case, Department, ReplyTemplate
from notifications.models import Outbox
from tests.attachment_files import PDF, PNG, upload
from tests.factories import CaseFactory, make_case_in_state

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SH)  # a Tuesday, working hours


@pytest.fixture
def working(users, time_machine):
    """A CGJ case in progress, registered an hour before NOW; the clock then stands at NOW."""
    time_machine.move_to(NOW - dt.timedelta(hours=1), tick=False)
    case = make_case_in_state(State.IN_PROGRESS, users)
    time_machine.move_to(NOW, tick=False)
    return case


def phoned(minutes_ago: int = 30) -> dict:
    return {"at": (NOW - dt.timedelta(minutes=minutes_ago)).isoformat(), "method": ContactMethod.PHONE}


def state_of(case: Case) -> tuple:
    case.refresh_from_db()
    return case.state, case.version, case.events.count(), case.reply_result, case.contacted_at


def test_a_reply_records_its_result_its_contact_and_the_files_it_sends(users, working):
    (photo,) = attachments.attachment_add(case=working, actor=users["clerk_cgj"], files=[upload("现场.png", PNG)])
    (kept,) = attachments.attachment_add(case=working, actor=users["clerk_cgj"], files=[upload("内部.pdf", PDF)])
    case = services.case_reply(
        case=working,
        actor=users["clerk_cgj"],
        text="已现场劝离。",
        result=ReplyResult.PARTLY_SOLVED,
        contact=phoned(),
        attachments=[photo.pk],
    )
    assert (case.state, case.reply_result, case.contact_method) == (State.REPLIED, "partly_solved", "phone")
    assert (case.contacted_at, case.contacted_by) == (NOW - dt.timedelta(minutes=30), users["clerk_cgj"])
    event = case.events.order_by("-seq").first()
    assert event.data == {
        "result": "partly_solved",
        "contact": {"at": (NOW - dt.timedelta(minutes=30)).isoformat(), "method": "phone", "by": users["clerk_cgj"].pk},
        "attachments": [photo.pk],
    }
    photo.refresh_from_db()
    kept.refresh_from_db()
    assert (photo.in_reply, kept.in_reply) == (True, False)
    # The citizen gets the photo with the answer, never the file the reply did not send.
    assert list(attachments.for_citizen(case)) == []
    services.case_approve(case=case, actor=users["dispatcher"])
    case.refresh_from_db()
    assert list(attachments.for_citizen(case)) == [photo]
    assert attachments.citizen_may_see(case, photo) and not attachments.citizen_may_see(case, kept)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"result": "solved"}, "contact", "答复前须先联系群众：请填写联系时间和联系方式。"),
        ({"result": "solved", "contact": {"at": "", "method": "phone"}}, "contact.at", "请填写联系群众的时间。"),
        (
            {"result": "solved", "contact": {"at": (NOW + dt.timedelta(minutes=5)).isoformat(), "method": "phone"}},
            "contact.at",
            "联系时间不能晚于现在。",
        ),
        (
            {"result": "solved", "contact": {"at": (NOW - dt.timedelta(days=1)).isoformat(), "method": "phone"}},
            "contact.at",
            "联系时间不能早于工单登记时间。",
        ),
        ({"result": "solved", "contact": {"at": "yesterday", "method": "phone"}}, "contact.at", None),
        ({"result": "solved", "contact": {"at": NOW.isoformat(), "method": "telepathy"}}, "contact.method", None),
        ({"result": "", "contact": {"at": NOW.isoformat(), "method": "phone"}}, "result", "请选择办理结果。"),
        ({"result": "fixed", "contact": {"at": NOW.isoformat(), "method": "phone"}}, "result", None),
    ],
)
def test_a_reply_without_a_valid_contact_or_result_is_refused_and_changes_nothing(
    users, working, kwargs, field, message
):
    before = state_of(working)
    with pytest.raises(CaseValidationError) as exc:
        services.case_reply(case=working, actor=users["clerk_cgj"], text="已处理。", **kwargs)
    assert list(exc.value.fields) == [field]
    if message:
        assert exc.value.fields[field] == [message]
    assert state_of(working) == before


def test_a_reply_may_send_only_the_departments_files_of_this_case(users, working):
    other = make_case_in_state(State.IN_PROGRESS, users)
    (theirs,) = attachments.attachment_add(case=other, actor=users["clerk_cgj"], files=[upload("别案.pdf", PDF)])
    (scan,) = attachments.attachment_add(case=working, actor=users["dispatcher"], files=[upload("来信.pdf", PDF)])
    before = state_of(working)
    for ids, message in [
        ([theirs.pk], f"附件不属于本工单：{theirs.pk}"),
        ([scan.pk], f"只能随答复发送承办单位上传的附件：{scan.pk}"),
        (["x"], "附件编号须为整数：x"),
        (["²"], "附件编号须为整数：²"),  # str.isdigit() says yes; int() raised (a 500 from the console)
    ]:
        with pytest.raises(CaseValidationError) as exc:
            services.case_reply(
                case=working, actor=users["clerk_cgj"], text="已处理。", result="solved", contact=phoned(),
                attachments=ids,
            )  # fmt: skip
        assert exc.value.fields == {"attachments": [message]}
        assert state_of(working) == before


def test_head_approval_is_a_visible_step_the_head_is_told_and_the_clerk_sees_the_outcome(users, working):
    Department.objects.filter(code="CGJ").update(reply_needs_head_approval=True)
    clerk, head = users["clerk_cgj"], users["head_cgj"]
    (photo,) = attachments.attachment_add(case=working, actor=clerk, files=[upload("现场.png", PNG)])
    with pytest.raises(CasePermissionDenied):  # the clerk may not submit the reply
        services.case_reply(case=working, actor=clerk, text="拟答复", result="solved", contact=phoned())

    case = services.case_save_reply_draft(
        case=working, actor=clerk, text="拟答复：已清理。", result="solved", contact=phoned(), attachments=[photo.pk]
    )
    assert (case.reply_draft_status, case.reply_draft_by) == (DraftStatus.PENDING, clerk)
    told = Outbox.objects.filter(case=case, template="reply_draft_pending")
    assert {r.recipient.username for r in told} == {"head_cgj"}

    with pytest.raises(CasePermissionDenied):  # only the head returns a draft
        answer_services.case_return_reply_draft(case=case, actor=clerk, note="自己退回")
    case = answer_services.case_return_reply_draft(case=case, actor=head, note="请写明长效措施。")
    assert (case.state, case.reply_draft_status, case.reply_draft_note) == (
        State.IN_PROGRESS,
        DraftStatus.RETURNED,
        "请写明长效措施。",
    )
    returned = Outbox.objects.get(case=case, template="reply_draft_returned", channel="inapp")
    assert (returned.recipient, returned.context["note"]) == (clerk, "请写明长效措施。")

    case = services.case_save_reply_draft(case=case, actor=clerk, text="拟答复：已清理，并每晚巡查。", result="solved")
    assert case.reply_draft_status == DraftStatus.PENDING
    # The head submits the draft: the contact the clerk recorded in this round stands.
    case = services.case_reply(case=case, actor=head, text=case.reply_draft, result="solved", attachments=[photo.pk])
    assert (case.state, case.reply_text, case.reply_draft_status) == (State.REPLIED, "拟答复：已清理，并每晚巡查。", "")
    assert (case.contacted_by, case.contacted_at) == (clerk, NOW - dt.timedelta(minutes=30))
    assert case.events.order_by("-seq").first().data["approved_draft_of"] == clerk.pk
    approved = Outbox.objects.get(case=case, template="reply_draft_approved", channel="inapp")
    assert approved.recipient == clerk


def test_a_contact_from_before_a_reopening_does_not_count_for_the_new_round(users, time_machine):
    time_machine.move_to(NOW, tick=False)
    case = make_case_in_state(State.CLOSED, users)
    assert case.contacted_at == NOW
    time_machine.move_to(NOW + dt.timedelta(hours=2), tick=False)
    case = services.case_reopen(case=case, actor=users["supervisor"], reason="问题反弹")
    case = services.case_sign_for(case=case, actor=users["clerk_cgj"])
    with pytest.raises(CaseValidationError) as exc:
        services.case_reply(case=case, actor=users["clerk_cgj"], text="再次处理。", result="solved")
    assert list(exc.value.fields) == ["contact"]


def test_reply_templates_fill_the_cases_fields_in_chinese_order_and_local_time(users, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 23, 23, 30, tzinfo=SH), tick=False)  # 15:30 UTC
    case = CaseFactory(actor=users["agent"], citizen=services.Citizen(name="王建国", phone="13800138000"))
    case = services.case_assign(case=case, actor=users["dispatcher"], department="CGJ")
    mine = ReplyTemplate.objects.create(
        title="占道", body="{citizen_name}您好：您于{registered_at}反映的{tracking_no}（{location}）{unknown}已处理。",
        category=case.category, department=case.department,
    )  # fmt: skip
    ReplyTemplate.objects.create(title="环保", body="x", department=Department.objects.get(code="HBJ"))
    ReplyTemplate.objects.create(title="停用", body="x", active=False)
    everyone = ReplyTemplate.objects.create(title="通用 {", body="编号{tracking_no}。{")
    assert answer.rendered_templates(case) == [
        {
            "id": mine.pk,
            "title": "占道",
            "text": f"王建国您好：您于2026-11-23 23:30反映的{case.tracking_no}（东湖街道幸福路12号）{{unknown}}已处理。",
        },
        {"id": everyone.pk, "title": "通用 {", "text": "编号{tracking_no}。{"},  # a stray brace: shown as typed
    ]


def test_a_contact_typed_to_the_minute_of_the_assignment_belongs_to_this_round(users, time_machine):
    time_machine.move_to(NOW + dt.timedelta(seconds=40), tick=False)
    case = make_case_in_state(State.ASSIGNED, users)
    case = services.case_sign_for(case=case, actor=users["clerk_cgj"])
    Department.objects.filter(code="CGJ").update(reply_needs_head_approval=True)
    # The clerk typed 10:00 for a case registered and assigned at 10:00:40.
    case = services.case_save_reply_draft(
        case=case, actor=users["clerk_cgj"], text="拟答复", contact={"at": "2026-11-24T10:00", "method": "phone"}
    )
    assert answer.contacted_this_round(case)
    case = services.case_reply(case=case, actor=users["head_cgj"], text="拟答复", result="solved")
    assert case.contacted_at == NOW
