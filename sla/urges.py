"""催办: the citizen urges a case whose deadline has passed (issue 13).

``case_urge`` is the one write (the tracking page and ``POST /api/v1/public/urge/`` call it). An urge
is allowed only while the deadline the citizen was told (``sla.deadlines.citizen_deadline``: the
reply clock once the case is assigned, the triage clock before) is overdue, and once per case per
local (Asia/Shanghai) calendar day. It is an event on the case's audit chain
(``sla.citizen.urged``, public); the notifications app tells the department and the supervisors.
``urge_counts`` is what the overdue board and the monthly report count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.enums import OPEN_STATES
from cases.exceptions import CaseConflict, CaseRateLimited
from cases.models import Case, CaseEvent, Department, User
from cases.services import case_action

from .deadlines import citizen_deadline
from .enums import AuditAction, CitizenDeadlineStatus


def may_urge(case: Case, user: User | None) -> bool:
    """Only the citizen (no account, proved by the access code)."""
    return user is None


def _local_day_start(now: dt.datetime) -> dt.datetime:
    day = timezone.localdate(now)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def case_urge(*, case: Case | int, client_ip: str | None = None, now: dt.datetime | None = None) -> Case:
    """The citizen urges an overdue case. Under the case's row lock: 409 unless the citizen's
    deadline is overdue (not yet due, paused on hold, answered or finished); 429 when the case was
    already urged on this local day. Side effects: one public ``sla.citizen.urged`` event (data: the
    stage and its due time, the department); the department's staff and the supervisors are told.
    No state change, no version bump."""
    with case_action(
        case,
        actor=None,
        action=AuditAction.CITIZEN_URGED,
        may=may_urge,
        client_ip=client_ip,
        now=now,
    ) as act:
        deadline = citizen_deadline(act.case, now=act.now)
        if deadline is None or deadline.status != CitizenDeadlineStatus.OVERDUE:
            raise CaseConflict(
                _("工单尚未超过办理时限，暂不能催办。超过时限仍未答复时，可在此催办。"), state=act.case.state
            )
        urged_today = CaseEvent.objects.filter(
            case=act.case, transition=AuditAction.CITIZEN_URGED, at__gte=_local_day_start(act.now)
        ).exists()
        if urged_today:
            raise CaseRateLimited(_("今天已催办过此工单，每件工单每天最多催办一次，请明天再试。"))
        act.data = {
            "stage": deadline.stage,
            "due_at": deadline.due_at.isoformat() if deadline.due_at else "",
            "department": act.case.department.code if act.case.department_id else "",
        }
    return act.case


def urges(*, since: dt.datetime | None = None, until: dt.datetime | None = None) -> QuerySet[CaseEvent]:
    """The urge events, optionally of ``[since, until)``."""
    qs = CaseEvent.objects.filter(transition=AuditAction.CITIZEN_URGED)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs


def urge_counts(
    *, since: dt.datetime | None = None, until: dt.datetime | None = None, open_only: bool = False
) -> list[dict[str, Any]]:
    """Urges per department of the urged case (as it stands now; None before assignment), with the
    number of cases urged and of those still open, most urged first: one aggregate query, then the
    departments. ``open_only``: only urges of cases still open (the overdue board's)."""
    qs = urges(since=since, until=until)
    if open_only:
        qs = qs.filter(case__state__in=list(OPEN_STATES))
    rows = list(
        qs.values("case__department_id")
        .annotate(
            urges=Count("id"),
            cases=Count("case_id", distinct=True),
            open_cases=Count("case_id", distinct=True, filter=Q(case__state__in=list(OPEN_STATES))),
        )
        .order_by()
    )
    depts = Department.objects.in_bulk({r["case__department_id"] for r in rows if r["case__department_id"]})
    out = [
        {
            "department": depts.get(r["case__department_id"]),
            "urges": r["urges"],
            "cases": r["cases"],
            "open_cases": r["open_cases"],
        }
        for r in rows
    ]
    out.sort(key=lambda r: (-r["urges"], r["department"].code if r["department"] else ""))
    return out


def board_urges() -> dict[str, Any]:
    """The overdue board's urges: of the cases still open, per department, and the total."""
    rows = urge_counts(open_only=True)
    return {"total": sum(r["urges"] for r in rows), "cases": sum(r["cases"] for r in rows), "rows": rows}
