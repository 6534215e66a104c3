"""The citizen's side of issue 13 in the domain: supplements, urges, and a dissatisfied rating that
waits for a supervisor's decision. Time is pinned: the cases start on Monday 23 November 2026,
09:30 in Shanghai, so the complaint's reply clock (13 working days) is due on 10 December 17:30.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cases import services
from cases.enums import Rating, State, Transition
from cases.exceptions import CaseConflict, CaseNotFound, CasePermissionDenied, CaseRateLimited, CaseValidationError
from cases.models import Attachment, Case, CaseEvent
from cases.selectors import public_timeline
from cases.supplements import MAX_SUPPLEMENT, case_supplement
from notifications.enums import Template
from notifications.models import Outbox
from sla import board
from sla.deadlines import expected_reply
from sla.urges import case_urge, urge_counts
from tests.attachment_files import PNG, upload
from tests.factories import make_case_in_state, reply_kwargs
from tests.sla.fixtures import at

pytestmark = pytest.mark.django_db

START = at(2026, 11, 23, 9, 30)  # Monday
REPLY_DUE = at(2026, 12, 10, 17, 30)  # 13 working days for a complaint


@pytest.fixture
def pinned():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def footprint(case: Case) -> tuple:
    case.refresh_from_db()
    return (case.state, case.version, case.events.count(), case.attachments.count(), Outbox.objects.count())


def told(template: str) -> set[str]:
    """The usernames told in-app with ``template``."""
    return set(Outbox.objects.filter(template=template, channel="inapp").values_list("recipient__username", flat=True))


# --- supplements -------------------------------------------------------------------------------


def test_a_supplement_adds_text_and_files_tells_the_department_and_shows_on_both_timelines(users, pinned):
    case = make_case_in_state(State.IN_PROGRESS, users)
    version = case.version

    updated = case_supplement(
        case=case, text="补充：占道摊位每晚七点后出现。", files=[upload("photo.png", PNG)], via="portal"
    )

    assert (updated.state, updated.version) == (State.IN_PROGRESS, version)  # a clerk's open form stays valid
    event = case.events.order_by("-seq").first()
    assert (event.transition, event.actor, event.note, event.public) == (
        Transition.SUPPLEMENT,
        None,
        "补充：占道摊位每晚七点后出现。",
        True,
    )
    assert event.data["via"] == "portal" and [a["name"] for a in event.data["attachments"]] == ["photo.png"]
    stored = Attachment.objects.get(case=case)
    assert (stored.kind, stored.uploaded_by) == ("citizen", None)
    assert told(Template.SUPPLEMENT_ADDED) == {"clerk_cgj", "head_cgj"}
    row = public_timeline(case)[-1]
    assert (row["transition"], row["note"]) == ("supplement", "补充：占道摊位每晚七点后出现。")


def test_a_supplement_before_assignment_tells_the_dispatchers(users, pinned):
    case = make_case_in_state(State.REGISTERED, users)
    case_supplement(case=case, text="地址是幸福路12号。", via="api")
    assert told(Template.SUPPLEMENT_ADDED) == {"dispatcher"}


@pytest.mark.parametrize("state", [State.ANSWERED, State.CLOSED, State.REJECTED, State.MERGED, State.PENDING_DECISION])
def test_a_supplement_to_a_case_that_is_no_longer_open_is_a_conflict_and_changes_nothing(users, pinned, state):
    case = make_case_in_state(state, users)
    before = footprint(case)
    with pytest.raises(CaseConflict) as exc:
        case_supplement(case=case, text="还有一点。", files=[upload("photo.png", PNG)], via="portal")
    assert exc.value.state == state
    assert footprint(case) == before


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "请填写补充内容或选择附件。"),
        ("   ", "请填写补充内容或选择附件。"),
        ("有\x00空字符", "补充内容含有不允许的空字符（NUL）。"),
        ("长" * (MAX_SUPPLEMENT + 1), f"补充内容不能超过{MAX_SUPPLEMENT}个字符（现有{MAX_SUPPLEMENT + 1}个）。"),
        (["不是文本"], "补充内容须为文本。"),
    ],
)
def test_bad_supplements_are_refused_with_the_field_named_and_change_nothing(users, pinned, text, message):
    case = make_case_in_state(State.IN_PROGRESS, users)
    before = footprint(case)
    with pytest.raises(CaseValidationError) as exc:
        case_supplement(case=case, text=text, via="portal")
    assert exc.value.fields == {"text": [message]}
    assert footprint(case) == before


def test_a_supplement_with_a_file_of_a_forbidden_type_stores_nothing(users, pinned):
    case = make_case_in_state(State.IN_PROGRESS, users)
    before = footprint(case)
    with pytest.raises(CaseValidationError) as exc:
        case_supplement(case=case, text="见附件", files=[upload("run.exe", b"MZ\x90\x00")], via="portal")
    assert "attachments" in exc.value.fields
    assert footprint(case) == before


# --- the expected reply date ---------------------------------------------------------------------


def test_the_expected_reply_date_is_the_reply_term_before_assignment_and_the_reply_clock_after(users, pinned):
    case = make_case_in_state(State.REGISTERED, users)  # a complaint (the factory's default)
    estimate = expected_reply(case, now=START)
    assert (estimate.due_at, estimate.estimated) == (REPLY_DUE, True)

    pinned.move_to(at(2026, 11, 24, 10, 0))  # assigned the next day: its own clock, 13 working days on
    case = services.case_assign(case=case, actor=users["dispatcher"], department="CGJ")
    told_then = expected_reply(case, now=at(2026, 11, 24, 10, 0))
    assert (told_then.due_at, told_then.estimated) == (at(2026, 12, 11, 17, 30), False)

    case = services.case_sign_for(case=case, actor=users["clerk_cgj"])
    case = services.case_hold(case=case, actor=users["clerk_cgj"], reason="等待群众补充照片。")
    assert expected_reply(case, now=at(2026, 11, 24, 11, 0)) is None  # paused: no date to promise
    assert expected_reply(make_case_in_state(State.ANSWERED, users), now=START) is None


# --- urges ---------------------------------------------------------------------------------------


def test_an_urge_before_the_deadline_is_a_conflict_and_changes_nothing(users, pinned):
    case = make_case_in_state(State.IN_PROGRESS, users)
    before = footprint(case)
    pinned.move_to(REPLY_DUE - dt.timedelta(minutes=1))
    with pytest.raises(CaseConflict):
        case_urge(case=case)
    assert footprint(case) == before


def test_an_overdue_case_is_urged_once_a_local_day_and_everyone_responsible_is_told(users, pinned):
    case = make_case_in_state(State.IN_PROGRESS, users)
    pinned.move_to(at(2026, 12, 11, 9, 0))

    case_urge(case=case, client_ip="10.1.2.3")

    event = case.events.order_by("-seq").first()
    assert (event.transition, event.actor, event.public, event.client_ip) == (
        "sla.citizen.urged",
        None,
        True,
        "10.1.2.3",
    )
    assert (event.data["stage"], event.data["department"]) == ("reply", "CGJ")
    assert dt.datetime.fromisoformat(event.data["due_at"]) == REPLY_DUE
    assert told(Template.CASE_URGED) == {"clerk_cgj", "head_cgj", "supervisor"}
    assert public_timeline(case)[-1]["label"] == "群众催办"

    pinned.move_to(at(2026, 12, 11, 23, 59))  # the same day in Shanghai
    before = footprint(case)
    with pytest.raises(CaseRateLimited):
        case_urge(case=case)
    assert footprint(case) == before

    pinned.move_to(at(2026, 12, 12, 0, 1))  # a new local day (still 11 December in UTC)
    case_urge(case=case)
    assert case.events.filter(transition="sla.citizen.urged").count() == 2


def test_a_case_on_hold_cannot_be_urged(users, pinned):
    case = make_case_in_state(State.IN_PROGRESS, users)
    services.case_hold(case=case, actor=users["clerk_cgj"], reason="等待群众补充材料。")
    pinned.move_to(at(2026, 12, 14, 9, 0))
    with pytest.raises(CaseConflict):
        case_urge(case=case)


def test_an_urge_of_an_unknown_case_is_not_found(users, pinned):
    case = make_case_in_state(State.IN_PROGRESS, users)
    pinned.move_to(at(2026, 12, 14, 9, 0))
    with pytest.raises(CaseNotFound):
        case_urge(case=case.pk + 1000)


def test_the_board_and_the_figures_count_urges_per_department(users, pinned, django_assert_max_num_queries):
    urged = [make_case_in_state(State.IN_PROGRESS, users) for _ in range(2)]
    make_case_in_state(State.IN_PROGRESS, users, department="HBJ")
    pinned.move_to(at(2026, 12, 11, 9, 0))
    for case in urged:
        case_urge(case=case)
    pinned.move_to(at(2026, 12, 14, 9, 0))
    case_urge(case=urged[0])

    # The board's eight (tests/sla/test_board.py), the urged departments' names, and on PostgreSQL
    # the clocks of the cases the sweeper has not reached yet (sla.board_counts.time_correction).
    with django_assert_max_num_queries(10):
        data = board.overdue_board()
    assert data["urges"]["total"] == 3 and data["urges"]["cases"] == 2
    assert [(r["department"].code, r["urges"], r["cases"]) for r in data["urges"]["rows"]] == [("CGJ", 3, 2)]
    december = urge_counts(since=at(2026, 12, 1, 0, 0), until=at(2027, 1, 1, 0, 0))
    assert [(r["department"].code, r["urges"], r["open_cases"]) for r in december] == [("CGJ", 3, 2)]


# --- dissatisfied: a supervisor decides ----------------------------------------------------------


def test_a_dissatisfied_rating_needs_a_reason_and_without_one_changes_nothing(users, pinned):
    case = make_case_in_state(State.ANSWERED, users)
    before = footprint(case)
    with pytest.raises(CaseValidationError) as exc:
        services.case_feedback(case=case, actor=None, rating=Rating.DISSATISFIED, comment="没解决")
    assert exc.value.fields == {"reason": ["请选择不满意的原因。"]}
    with pytest.raises(CaseValidationError) as exc:
        services.case_feedback(case=case, actor=None, rating=Rating.DISSATISFIED, reason="other")
    assert exc.value.fields == {"comment": ["选择“其他”时请写明不满意的原因。"]}
    with pytest.raises(CaseValidationError):
        services.case_feedback(case=case, actor=None, rating=Rating.SATISFIED, resolved="yes")
    assert footprint(case) == before


def test_a_dissatisfied_rating_waits_for_a_decision_instead_of_closing(users, pinned):
    case = make_case_in_state(State.ANSWERED, users)

    case = services.case_feedback(
        case=case, actor=None, rating=Rating.DISSATISFIED, reason="not_solved", comment="摊位还在", resolved=False
    )

    case.refresh_from_db()
    assert (case.state, case.closed_at, case.rating, case.dissatisfied_reason, case.feedback_resolved) == (
        State.PENDING_DECISION,
        None,
        Rating.DISSATISFIED,
        "not_solved",
        False,
    )
    assert case.publication == "private"  # not published while the decision is open
    event = case.events.order_by("-seq").first()
    assert (event.transition, event.to_state, event.data["reason"], event.data["resolved"]) == (
        "feedback",
        "pending_decision",
        "not_solved",
        False,
    )
    assert told(Template.DISSATISFIED_PENDING) == {"supervisor"}
    assert Case.objects.get(pk=case.pk).state == State.PENDING_DECISION
    with pytest.raises(CaseConflict):  # the feedback window's auto-close does not apply any more
        services.case_auto_close(case=case)


def test_a_satisfied_rating_keeps_the_citizens_resolved_answer_and_closes(users, pinned):
    case = make_case_in_state(State.ANSWERED, users)
    case = services.case_feedback(case=case, actor=None, rating=Rating.SATISFIED, resolved=True)
    assert (case.state, case.feedback_resolved, case.dissatisfied_reason) == (State.CLOSED, True, "")


def test_the_supervisor_closes_with_an_explanation_the_citizen_reads(users, pinned):
    case = make_case_in_state(State.PENDING_DECISION, users)
    with pytest.raises(CasePermissionDenied):
        services.case_close(case=case, actor=users["dispatcher"], reason="维持")
    with pytest.raises(CaseValidationError):
        services.case_close(case=case, actor=users["supervisor"], reason="")

    case = services.case_close(case=case, actor=users["supervisor"], reason="经核实，摊位已于12月1日清除。")

    assert (case.state, case.closed_at, case.publication) == (State.CLOSED, START, "pending")
    row = public_timeline(case)[-1]
    assert (row["transition"], row["note"]) == ("close", "经核实，摊位已于12月1日清除。")
    sms = Outbox.objects.get(template=Template.DECISION_CLOSED)
    assert sms.channel == "sms" and sms.address == case.citizen_phone


def test_the_supervisor_reopens_to_another_department_and_the_citizen_is_told(users, pinned):
    case = make_case_in_state(State.PENDING_DECISION, users)

    case = services.case_reopen(case=case, actor=users["supervisor"], department="HBJ", reason="转环保局核查。")

    assert (case.state, case.department.code, case.reopen_count, case.rating, case.dissatisfied_reason) == (
        State.ASSIGNED,
        "HBJ",
        1,
        "",
        "",
    )
    event = case.events.order_by("-seq").first()
    assert event.data == {"department": "HBJ", "dissatisfied": True, "rated_department": "CGJ"}
    assert Outbox.objects.filter(template=Template.DISSATISFIED_REOPENED, channel="sms").count() == 1
    assert told(Template.CASE_REOPENED) == {"clerk_hbj"}
    assert CaseEvent.objects.filter(case=case, transition="feedback", data__rating="dissatisfied").exists()


def test_every_follow_up_message_renders_in_both_languages_with_what_the_action_queued(users, pinned):
    from notifications.outbox import render_message

    case = make_case_in_state(State.IN_PROGRESS, users)
    case_supplement(case=case, text="补充：北侧。", via="sms")
    pinned.move_to(at(2026, 12, 11, 9, 0))
    case_urge(case=case)
    case = services.case_reply(case=case, actor=users["clerk_cgj"], text="已处理。", **reply_kwargs())
    merged = services.case_merge(
        case=make_case_in_state(State.REGISTERED, users), actor=users["dispatcher"], duplicate_of=case.tracking_no
    )
    case = services.case_approve(case=case, actor=users["dispatcher"], answer="摊位已清除。")
    case = services.case_feedback(case=case, actor=None, rating=Rating.DISSATISFIED, reason="too_slow")
    case = services.case_reopen(case=case, actor=users["supervisor"], department="CGJ", reason="再核查。")
    services.case_sign_for(case=case, actor=users["clerk_cgj"])
    services.case_reply(case=case, actor=users["clerk_cgj"], text="已复查。", **reply_kwargs())
    services.case_approve(case=case, actor=users["dispatcher"], answer="已复查，摊位未再出现。")
    services.case_feedback(case=case, actor=None, rating=Rating.DISSATISFIED, reason="not_solved")
    services.case_close(case=case, actor=users["supervisor"], reason="经复查，答复属实。")

    new = [
        Template.SUPPLEMENT_ADDED,
        Template.CASE_URGED,
        Template.DISSATISFIED_PENDING,
        Template.DECISION_CLOSED,
        Template.DISSATISFIED_REOPENED,
        Template.MERGED_ANSWERED,
    ]
    rows = list(Outbox.objects.filter(template__in=new))
    assert {r.template for r in rows} == set(new)
    for row in rows:
        for language in ("zh-hans", "en"):
            rendered = render_message(row.template, row.context, language)
            assert case.tracking_no in rendered.subject + rendered.body, (row.template, language)
    pending = min((r for r in rows if r.template == Template.DISSATISFIED_PENDING), key=lambda r: r.pk)
    assert "原因：办理拖延" in render_message(pending.template, pending.context, "zh-hans").body
    assert "Handled too slowly" in render_message(pending.template, pending.context, "en").body
    urged = next(r for r in rows if r.template == Template.CASE_URGED)
    assert "（2026-12-10 17:30）" in render_message(urged.template, urged.context, "zh-hans").body
    answered = next(r for r in rows if r.template == Template.MERGED_ANSWERED)
    assert (
        answered.case_id == merged.pk and merged.tracking_no in render_message(answered.template, answered.context).sms
    )


def test_a_supplement_to_a_case_on_hold_ends_the_hold_and_the_clock_runs_again(users, pinned):
    from sla.models import Timer

    case = make_case_in_state(State.IN_PROGRESS, users)
    pinned.move_to(at(2026, 11, 24, 9, 30))  # on hold from Tuesday morning
    services.case_hold(case=case, actor=users["clerk_cgj"], reason="请群众补充现场照片。")
    pinned.move_to(at(2026, 11, 30, 9, 30))  # to Monday: four working days that do not count

    case_supplement(case=case, text="照片见附件。", files=[upload("现场.png", PNG)], via="portal")

    case.refresh_from_db()
    assert (case.on_hold, case.hold_reason) == (False, "")
    reply = Timer.objects.get(case=case, stage="reply")
    assert (reply.status, reply.due_at) == ("running", at(2026, 12, 16, 17, 30))
    assert case.events.order_by("-seq").first().data["resumed"] is True
    assert expected_reply(case, now=at(2026, 11, 30, 9, 30)).due_at == at(2026, 12, 16, 17, 30)
