"""Real-time events of the sla app: payloads built here, sent after commit via notifications.events.

Topics: ``board`` (supervisors) and ``inbox.<DEPARTMENT CODE>`` (the department concerned).
"""

from __future__ import annotations

from typing import Any

from cases import rules
from cases.models import Case, Department
from notifications.enums import Template
from notifications.events import publish
from notifications.outbox import notify_deadline

from .enums import Stage
from .models import Extension, SupervisionOrder, Timer
from .serializers import extension_data, iso, order_data


def _fan_out(type_: str, data: dict[str, Any], department: Department | None, case: Case | None = None) -> None:
    if case is None or not rules.is_restricted(case):  # a report about staff stays off the board
        publish("board", type_, data)
    if department is not None:
        publish(f"inbox.{department.code}", type_, data)


def timer_event(type_: str, timer: Timer, case: Case) -> None:
    """``timer.warning`` / ``timer.breached``: live to the board and the inbox, and a message to the
    responsible department's staff (an outbox row in this transaction, keyed so it is written once
    per deadline: a granted extension gives a new deadline and so a new warning)."""
    dept = timer.department
    template = Template.TIMER_WARNING if type_ == "timer.warning" else Template.TIMER_BREACHED
    notify_deadline(
        case=case,
        template=template,
        key=f"timer:{timer.pk}:{type_}:{timer.due_at.timestamp():.0f}",
        stage=timer.stage,
        stage_label=Stage(timer.stage).label,  # not get_stage_display(): it rebuilds the choices per call
        due_at=timer.due_at,
        department=dept,
    )
    _fan_out(
        type_,
        {
            "tracking_no": case.tracking_no,
            "stage": timer.stage,
            "department": dept.code if dept else None,
            "due_at": iso(timer.due_at),
            "status": timer.status,
            "escalation_level": timer.escalation_level,
        },
        dept,
        case,
    )


def supervision_event(order: SupervisionOrder, case: Case) -> None:
    """``supervision.issued`` / ``supervision.answered``: the order as ``order_data`` shapes it."""
    order.case = case  # the locked row the service holds; saves a query
    _fan_out(
        "supervision.answered" if order.answered_at else "supervision.issued", order_data(order), order.department, case
    )


def extension_event(extension: Extension, case: Case) -> None:
    """``extension.requested`` / ``extension.granted`` / ``extension.refused``: the request as
    ``extension_data`` shapes it."""
    type_ = "extension.requested" if extension.status == "pending" else f"extension.{extension.status}"
    extension.case = case
    _fan_out(type_, extension_data(extension), extension.department, case)
