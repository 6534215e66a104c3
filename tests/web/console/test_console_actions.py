"""Console actions: each form performs its transition through the service, bad input and stale
forms change nothing, and the page says why."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import services
from cases.enums import Rating, State, Transition
from cases.models import Case, Department
from tests.factories import CaseFactory, make_case_in_state, reply_form
from tests.web.console.test_console_pages import login

pytestmark = pytest.mark.django_db


def act(client, case: Case, action: str, data: dict | None = None, **extra):
    case.refresh_from_db()
    payload = {"version": case.version, **(data or {})}
    return client.post(reverse("console:case_action", args=[case.tracking_no, action]), payload, **extra)


def snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    return case.state, case.version, case.events.count()


def last_event(case: Case):
    return case.events.order_by("-seq").first()


# --- every action performs its transition ----------------------------------------------------


def test_assign_forwards_to_the_department_with_assisting_and_instructions(client, users):
    case = CaseFactory(actor=users["agent"])
    login(client, users["dispatcher"])
    response = act(
        client,
        case,
        "assign",
        {
            "department": "CGJ",
            "assisting_departments": ["JD-E", "HBJ"],
            "instructions": "请三日内现场核查",
            "next": "/console/queue/",
        },
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 302 and response["Location"] == "/console/queue/"
    case.refresh_from_db()
    assert case.state == State.ASSIGNED and case.department.code == "CGJ"
    assert sorted(d.code for d in case.assisting_departments.all()) == ["HBJ", "JD-E"]
    assert case.instructions == "请三日内现场核查"
    event = last_event(case)
    assert (event.transition, event.actor, event.from_state, event.to_state, event.note, event.client_ip) == (
        Transition.ASSIGN,
        users["dispatcher"],
        State.REGISTERED,
        State.ASSIGNED,
        "请三日内现场核查",
        "10.0.0.9",
    )


@pytest.mark.parametrize(
    ("state", "user", "action", "data", "expected_state", "expected_fields"),
    [
        (
            State.REGISTERED,
            "dispatcher",
            "reject",
            {"reason": "out_of_remit", "note": "属市级事权"},
            State.REJECTED,
            {"reject_note": "属市级事权"},
        ),
        (
            State.REGISTERED,
            "agent",
            "resolve_directly",
            {"answer": "已当场解答。"},
            State.ANSWERED,
            {"answer": "已当场解答。", "first_contact_resolution": True},
        ),
        (State.ASSIGNED, "clerk_cgj", "sign_for", {}, State.IN_PROGRESS, {}),
        (
            State.ASSIGNED,
            "clerk_cgj",
            "return",
            {"reason": "不属本局职责，应由住建局办理"},
            State.REGISTERED,
            {"department_id": None, "return_count": 1},
        ),
        (
            State.IN_PROGRESS,
            "clerk_cgj",
            "reply",
            {"text": "已现场处置。"},
            State.REPLIED,
            {"reply_text": "已现场处置。"},
        ),
        (
            State.REPLIED,
            "dispatcher",
            "send_back",
            {"note": "答复过于简单，请补充处置结果"},
            State.IN_PROGRESS,
            {"reply_text": "已安排执法队员现场劝离，并加强夜间巡查。"},
        ),
        (
            State.REPLIED,
            "dispatcher",
            "approve",
            {"answer": "经核查，已清理占道摊点。"},
            State.ANSWERED,
            {"answer": "经核查，已清理占道摊点。"},
        ),
        (
            State.ANSWERED,
            "agent",
            "feedback",
            {"rating": Rating.BASICALLY_SATISFIED, "comment": "回访电话"},
            State.CLOSED,
            {"rating": Rating.BASICALLY_SATISFIED, "feedback_comment": "回访电话"},
        ),
        (
            State.CLOSED,
            "supervisor",
            "reopen",
            {"department": "HBJ", "reason": "群众反映问题反弹"},
            State.ASSIGNED,
            {"reopen_count": 1, "rating": ""},
        ),
    ],
)
def test_each_action_performs_its_transition_and_writes_the_event(
    client, users, state, user, action, data, expected_state, expected_fields
):
    case = make_case_in_state(state, users)
    before = case.events.count()
    login(client, users[user])
    if action == "reply":  # its result and contact, made now (after the case was registered)
        data = reply_form(**data)
    response = act(client, case, action, data, follow=True)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.state == expected_state
    assert {name: getattr(case, name) for name in expected_fields} == expected_fields
    assert case.events.count() == before + 1
    event = last_event(case)
    assert (event.transition, event.actor, event.from_state, event.to_state) == (
        Transition(action),
        users[user],
        state,
        expected_state,
    )
    # A department that returned the case no longer sees it and lands back in its inbox.
    landing = "/console/inbox/" if action == "return" else f"/console/cases/{case.tracking_no}/"
    assert response.redirect_chain[-1][0] == landing
    assert f"工单 {case.tracking_no}：已" in response.content.decode()


def test_merge_closes_the_case_as_duplicate_of_another(client, users):
    target = CaseFactory(actor=users["agent"])
    case = CaseFactory(actor=users["agent"])
    login(client, users["dispatcher"])
    act(client, case, "merge", {"duplicate_of": target.tracking_no})
    case.refresh_from_db()
    assert (case.state, case.duplicate_of_id) == (State.MERGED, target.pk)
    assert last_event(case).note == f"与工单 {target.tracking_no} 合并办理"


def test_approve_with_blank_answer_relays_the_departments_reply(client, users):
    case = make_case_in_state(State.REPLIED, users)
    login(client, users["dispatcher"])
    act(client, case, "approve", {"answer": ""})
    case.refresh_from_db()
    assert (case.state, case.answer) == (State.ANSWERED, case.reply_text)


def test_hold_and_resume_record_events_without_changing_state(client, users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    login(client, users["clerk_cgj"])
    act(client, case, "hold", {"reason": "等待群众补充照片"})
    case.refresh_from_db()
    assert (case.state, case.on_hold, case.hold_reason) == (State.IN_PROGRESS, True, "等待群众补充照片")
    assert last_event(case).transition == Transition.HOLD
    page = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert f'action="/console/cases/{case.tracking_no}/actions/resume/"' in page
    act(client, case, "resume")
    case.refresh_from_db()
    assert (case.on_hold, last_event(case).transition) == (False, Transition.RESUME)


def test_internal_note_is_added_to_the_timeline_and_not_public(client, users):
    case = make_case_in_state(State.ASSIGNED, users)
    login(client, users["clerk_cgj"])
    response = act(client, case, "note", {"note": "已电话联系群众，约定周三上门"}, follow=True)
    event = last_event(case)
    assert (event.transition, event.note, event.public, event.actor) == (
        Transition.NOTE,
        "已电话联系群众，约定周三上门",
        False,
        users["clerk_cgj"],
    )
    assert "已电话联系群众，约定周三上门" in response.content.decode()
    assert case.state == State.ASSIGNED


def test_clerk_saves_a_draft_and_the_head_submits_it(client, users):
    Department.objects.filter(code="CGJ").update(reply_needs_head_approval=True)
    case = make_case_in_state(State.IN_PROGRESS, users)
    login(client, users["clerk_cgj"])
    act(client, case, "draft_reply", {"text": "拟答复：已清理。"})
    case.refresh_from_db()
    assert (case.state, case.reply_draft) == (State.IN_PROGRESS, "拟答复：已清理。")
    assert last_event(case).transition == Transition.DRAFT_REPLY
    # The clerk may not submit the reply themselves.
    denied = act(client, case, "reply", {"text": "拟答复：已清理。"})
    assert denied.status_code == 403
    assert "您无权执行此操作。" in denied.content.decode()
    client.logout()
    login(client, users["head_cgj"])
    page = client.get(reverse("console:case", args=[case.tracking_no])).content.decode()
    assert f'id="id_{case.pk}_reply_text">\n拟答复：已清理。</textarea>' in page
    act(client, case, "reply", reply_form(text="拟答复：已清理。"))
    case.refresh_from_db()
    assert (case.state, case.reply_text, case.reply_draft) == (State.REPLIED, "拟答复：已清理。", "")


# --- bad input: a specific error in the page, nothing changes ------------------------------------


@pytest.mark.parametrize(
    ("state", "user", "action", "data", "field", "message"),
    [
        (State.REGISTERED, "dispatcher", "reject", {"reason": ""}, "reason", "请从列表中选择不予受理理由。"),
        (
            State.REGISTERED,
            "dispatcher",
            "merge",
            {"duplicate_of": "2099010100001"},
            "duplicate_of",
            "找不到要合并到的工单：2099010100001",
        ),
        (
            State.REGISTERED,
            "dispatcher",
            "assign",
            {"department": "NOPE"},
            "department",
            "选择一个有效的选项。 NOPE 不在可用的选项中。",
        ),
        (
            State.REGISTERED,
            "dispatcher",
            "assign",
            {"department": "XFJ"},
            "department",
            "选择一个有效的选项。 XFJ 不在可用的选项中。",
        ),
        (
            State.REGISTERED,
            "dispatcher",
            "assign",
            {"department": "CGJ", "instructions": "字" * 2001},
            "instructions",
            "转办意见不能超过2000个字符（现有2001个）。",
        ),
        (State.REGISTERED, "agent", "resolve_directly", {"answer": "   "}, "answer", "请填写答复内容。"),
        (State.ASSIGNED, "clerk_cgj", "return", {"reason": ""}, "reason", "请填写退单理由。"),
        (State.IN_PROGRESS, "clerk_cgj", "reply", {"text": ""}, "text", "请填写答复内容。"),
        (State.IN_PROGRESS, "clerk_cgj", "hold", {"reason": ""}, "reason", "请填写挂起原因。"),
        (State.REPLIED, "dispatcher", "send_back", {"note": ""}, "note", "请填写退回意见。"),
        (State.ANSWERED, "agent", "feedback", {"rating": ""}, "rating", "评价须为：满意、基本满意或不满意。"),
        (State.CLOSED, "supervisor", "reopen", {"reason": ""}, "reason", "请填写重办理由。"),
        (State.ASSIGNED, "clerk_cgj", "note", {"note": ""}, "note", "请填写备注。"),
    ],
)
def test_bad_input_shows_the_specific_error_and_changes_nothing(
    client, users, state, user, action, data, field, message
):
    case = make_case_in_state(state, users)
    before = snapshot(case)
    login(client, users[user])
    response = act(client, case, action, data)
    assert response.status_code == 400
    forms = {spec.name: form for spec, form in response.context["action_forms"]}
    forms["note"] = response.context["note_form"]
    assert forms[action].errors[field] == [message]
    assert message in response.content.decode()
    assert snapshot(case) == before


def test_a_list_form_that_fails_shows_the_error_on_the_case_page_and_keeps_the_way_back(client, users):
    case = CaseFactory(actor=users["agent"])
    login(client, users["dispatcher"])
    response = act(client, case, "reject", {"reason": "", "next": "/console/queue/"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请从列表中选择不予受理理由。" in html
    assert '<input type="hidden" name="next" value="/console/queue/">' in html


def test_a_form_without_version_is_refused_with_a_message(client, users):
    case = CaseFactory(actor=users["agent"])
    before = snapshot(case)
    login(client, users["dispatcher"])
    response = client.post(reverse("console:case_action", args=[case.tracking_no, "assign"]), {"department": "CGJ"})
    assert response.status_code == 400
    assert "表单缺少版本信息，请刷新页面后重试。" in response.content.decode()
    assert snapshot(case) == before


# --- conflicts ---------------------------------------------------------------------------------


def test_a_stale_form_gets_the_conflict_message_and_changes_nothing(client, users):
    case = make_case_in_state(State.ASSIGNED, users)
    stale_version = case.version
    services.case_add_note(case=case, actor=users["dispatcher"], note="x")  # no version bump
    services.case_hold(case=case, actor=users["dispatcher"], reason="等待补充材料")  # bumps the version
    before = snapshot(case)
    login(client, users["clerk_cgj"])
    response = client.post(
        reverse("console:case_action", args=[case.tracking_no, "sign_for"]), {"version": stale_version}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert f"工单 {case.tracking_no} 已被他人更新（当前状态：已转办），请刷新后重试。" in html
    assert snapshot(case) == before
    # The page shown is fresh: its forms carry the current version.
    assert f'name="version" value="{case.version}"' in html


@pytest.mark.parametrize(
    ("state", "user", "status", "message"),
    [
        # The state moved on: 409 naming the current state.
        (State.IN_PROGRESS, "clerk_cgj", 409, "当前状态为“办理中”，不能执行“签收”。"),
        # The role may not: a 403 page.
        (State.ASSIGNED, "dispatcher", 403, "您无权执行此操作。"),
    ],
)
def test_a_refused_action_says_why_and_changes_nothing(client, users, state, user, status, message):
    case = make_case_in_state(state, users)
    before = snapshot(case)
    login(client, users[user])
    response = act(client, case, "sign_for")
    assert response.status_code == status
    assert message in response.content.decode()
    assert snapshot(case) == before


def test_unknown_action_is_404_and_get_is_405(client, users):
    case = CaseFactory(actor=users["agent"])
    login(client, users["dispatcher"])
    assert act(client, case, "explode").status_code == 404
    assert client.get(reverse("console:case_action", args=[case.tracking_no, "assign"])).status_code == 405


def test_next_pointing_off_site_is_ignored(client, users):
    case = CaseFactory(actor=users["agent"])
    login(client, users["dispatcher"])
    response = act(client, case, "assign", {"department": "CGJ", "next": "https://evil.example/"})
    assert response["Location"] == f"/console/cases/{case.tracking_no}/"
