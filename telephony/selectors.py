"""Reads the telephony edges share: pop-up payloads, spoken/SMS status lines, desk figures, a case's calls."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.enums import State
from cases.models import Case
from cases.selectors import caller_history
from sla.deadlines import citizen_deadline

from .enums import FINAL_CALL_STATUSES, AgentState, CallPurpose
from .models import AgentStatus, Call

ANSWER_TARGET_SECONDS = 15  # the hotline standard: answered within 15 seconds


def call_ringing_data(call: Call) -> dict[str, Any]:
    """The screen-pop: who is calling, their past cases and how many are still open."""
    past, open_count = caller_history(call.caller_phone)
    return {
        "call_sid": call.call_sid,
        "from": call.from_number,
        "phone": call.caller_phone,
        "started_at": timezone.localtime(call.started_at).isoformat(),
        "open_count": open_count,
        "cases": [
            {
                "tracking_no": c.tracking_no,
                "title": c.title,
                "state": c.state,
                "state_label": str(State(c.state).label),
                "registered_at": timezone.localtime(c.registered_at).isoformat(),
                "registered_at_display": timezone.localtime(c.registered_at).strftime("%Y-%m-%d %H:%M"),
                "category": c.category.name_zh if c.category_id else "",
            }
            for c in past
        ],
    }


def _fmt(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.month}月{local.day}日{local.hour}时{local.minute:02d}分"


def case_status_sentence(case: Case, *, now: datetime) -> str:
    """One sentence a caller hears or an SMS reader reads: state, department, and the deadline the
    citizen is told (``sla.deadlines.citizen_deadline``, the tracking page's and the API's too), in
    Asia/Shanghai time; where it stands is said when it is not simply running."""
    text = f"工单{case.tracking_no}的办理状态为：{State(case.state).label}。"
    if case.department_id and case.state in {State.ASSIGNED, State.IN_PROGRESS, State.REPLIED, State.SUB_REPLIED}:
        text += f"承办单位：{case.department.name_zh}。"
    deadline = citizen_deadline(case, now=now)
    if deadline is None:
        return text
    if deadline.due_at is None:  # paused: no date until the citizen's information arrives
        return text + f"办理期限：{deadline.status_label}。"
    text += f"办理期限：{_fmt(deadline.due_at)}"
    if deadline.status != "running":
        text += f"（{deadline.status_label}）"
    return text + "。"


def desk_stats(day: date | None = None) -> dict[str, int]:
    """Today's hotline figures for the agent desk."""
    day = day or timezone.localdate()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    hotline = Call.objects.filter(purpose=CallPurpose.HOTLINE)
    today = hotline.filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))
    figures = today.aggregate(
        received=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        answered_in_target=Count(
            "id", filter=Q(answered_at__isnull=False, queue_wait_seconds__lte=ANSWER_TARGET_SECONDS)
        ),
        abandoned=Count("id", filter=Q(abandoned=True)),
    )
    figures["waiting"] = (
        hotline.filter(
            answered_at__isnull=True,
            abandoned=False,
            started_at__gte=timezone.now() - timedelta(hours=2),
        )
        .exclude(status__in=FINAL_CALL_STATUSES)
        .count()
    )
    figures.update(agent_counts())
    return figures


def agent_counts() -> dict[str, int]:
    """Agents per desk status (示闲/示忙/小休) among those who ever set one."""
    counts = dict(AgentStatus.objects.values("status").annotate(n=Count("pk")).values_list("status", "n").order_by())
    return {f"agents_{state}": counts.get(state, 0) for state in AgentState.values}


def calls_per_day(start: date, end: date) -> list[dict[str, Any]]:
    """Per local day (inclusive range): received, answered, answered within 15 s, abandoned."""
    lo = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    rows = (
        Call.objects.filter(purpose=CallPurpose.HOTLINE, started_at__gte=lo, started_at__lt=hi)
        .annotate(day=TruncDate("started_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            received=Count("id"),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            answered_in_target=Count(
                "id", filter=Q(answered_at__isnull=False, queue_wait_seconds__lte=ANSWER_TARGET_SECONDS)
            ),
            abandoned=Count("id", filter=Q(abandoned=True)),
        )
        .order_by("day")
    )
    return list(rows)


def dissatisfied_cases() -> QuerySet[Case]:
    """Cases the citizen rated dissatisfied that wait for a supervisor's decision (reopen, or close
    with an explanation), oldest answer first; a decision takes them off the list."""
    return (
        Case.objects.select_related("department", "category")
        .filter(state=State.PENDING_DECISION, about_staff_of__isnull=True)
        .order_by("answered_at", "pk")
    )


def case_calls(case: Case) -> list[Call]:
    """The calls linked to the case (the hotline call it came from, later calls about it) and its
    satisfaction calls, newest first, with the answering agent joined: one query however many."""
    return list(
        Call.objects.filter(Q(cases=case) | Q(survey_case=case))
        .distinct()
        .select_related("agent")
        .order_by("-started_at", "-pk")
    )


def case_awaiting_rating(phone: str) -> Case | None:
    """The caller's most recently answered case that still waits for a rating."""
    if not phone:
        return None
    return Case.objects.filter(citizen_phone=phone, state=State.ANSWERED).order_by("-answered_at", "-pk").first()


def agent_state(agent: Any) -> str:
    """The agent's desk status; an agent who never set one is idle."""
    return AgentStatus.objects.filter(agent=agent).values_list("status", flat=True).first() or AgentState.IDLE


def agent_open_call(agent: Any) -> Call | None:
    """The hotline call the agent answered and has not wrapped up (live, or ended awaiting wrap-up)."""
    return (
        Call.objects.filter(
            agent=agent, purpose=CallPurpose.HOTLINE, answered_at__isnull=False, wrap_up_at__isnull=True
        )
        .order_by("-answered_at")
        .first()
    )
