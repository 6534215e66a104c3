"""Reactions to cases.domain.case_changed: outbox rows (written in the same transaction) and
real-time events (sent after commit)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.domain import case_changed
from cases.enums import Channel, ReplyChannel, Role, State, Transition
from cases.models import Case, CaseEvent, Department
from cases.selectors import dispatch_department

from . import events
from .enums import Template
from .outbox import case_context, notify_citizen, notify_staff

# Actions other apps add (the SLA app's extensions and supervision orders); handled by name.
STAFF_ACTION_TEMPLATES = {
    "extension_decided": Template.EXTENSION_DECIDED,
    "supervision_issued": Template.SUPERVISION_ISSUED,
    "escalated": Template.SUPERVISION_ISSUED,
    "timer_warning": Template.TIMER_WARNING,
    "timer_breached": Template.TIMER_BREACHED,
}
# Actions of the case state machine (and holds) whose live events this module builds. Other
# apps' actions (extensions, supervision orders, escalations) publish their own events.
CASE_ACTIONS = frozenset({
    Transition.REGISTER, Transition.RESOLVE_DIRECTLY, Transition.REJECT, Transition.MERGE, Transition.ASSIGN,
    Transition.RETURN, Transition.SIGN_FOR, Transition.REPLY, Transition.SEND_BACK, Transition.APPROVE,
    Transition.FEEDBACK, Transition.AUTO_CLOSE, Transition.REOPEN, Transition.HOLD, Transition.RESUME,
})
# States the dispatcher queue lists: a change into or out of them changes the queue.
QUEUE_STATES = frozenset({State.REGISTERED, State.REPLIED})


def message_context(case: Case, event: CaseEvent, payload: dict[str, Any]) -> dict[str, Any]:
    """Plain values only (stored as JSON and rendered later, in the recipient's language)."""
    return {
        **case_context(case),
        "note": event.note,
        "payload": {k: v for k, v in payload.items() if isinstance(v, str | int | float | bool | None)},
    }


def _key(case: Case, event: CaseEvent, template: str) -> str:
    return f"case:{case.pk}:ev{event.seq}:{template}"


def queue_messages(case: Case, event: CaseEvent, action: str, payload: dict[str, Any]) -> None:
    ctx = message_context(case, event, payload)

    def citizen(template: str) -> None:
        notify_citizen(case=case, template=template, context=ctx, key=_key(case, event, template))

    def staff(department: Department | str | None, template: str, roles: tuple[str, ...] | None = None,
              **extra: Any) -> None:
        if department:
            notify_staff(department, template, {**ctx, **extra}, _key(case, event, template), case=case, roles=roles)

    if action == Transition.REGISTER:
        # An SMS intake is answered in the webhook's own reply (tracking_no + access code);
        # a second receipt SMS would only confuse.
        if case.channel != Channel.SMS:
            citizen(Template.RECEIPT)
    elif action in (Transition.RESOLVE_DIRECTLY, Transition.APPROVE):
        if case.reply_channel == ReplyChannel.PHONE:
            staff(dispatch_department(), Template.CALLBACK_DUE, roles=(Role.AGENT,))
        else:
            citizen(Template.ANSWER)
            citizen(Template.FEEDBACK_REQUEST)
    elif action == Transition.REJECT:
        reason = case.reject_reason
        ctx.update(reason=reason.name_zh if reason else "", reason_en=(reason.name_en or reason.name_zh) if reason else "",
                   reject_note=case.reject_note)
        citizen(Template.REJECTED)
    elif action == Transition.MERGE:
        ctx["duplicate_of"] = case.duplicate_of.tracking_no if case.duplicate_of_id else ""
        citizen(Template.MERGED)
    elif action == Transition.ASSIGN:
        staff(case.department, Template.CASE_ASSIGNED)
        for other in case.assisting_departments.all():
            notify_staff(other, Template.CASE_ASSIGNED, {**ctx, "assisting": True},
                         f"{_key(case, event, Template.CASE_ASSIGNED)}:{other.code}", case=case)
    elif action == Transition.REOPEN:
        staff(case.department, Template.CASE_REOPENED)
    elif action == Transition.SEND_BACK:
        staff(case.department, Template.CASE_SENT_BACK)
    elif action == Transition.RETURN:
        staff(dispatch_department(), Template.CASE_RETURNED, roles=(Role.DISPATCHER,),
              from_department=payload.get("department", ""))
    elif action in STAFF_ACTION_TEMPLATES:
        # An order may name its own department (escalations before assignment go to dispatch).
        staff(payload.get("department") or case.department, STAFF_ACTION_TEMPLATES[action])
        if action == "extension_decided" and payload.get("granted"):
            citizen(Template.EXTENSION_CITIZEN)


def event_topics(case: Case, action: str, from_state: str, payload: dict[str, Any]) -> tuple[str, list[str]]:
    """(event type, topics) for a case change."""
    inboxes = [f"inbox.{case.department.code}"] if case.department_id else []
    if action == Transition.REGISTER:
        return "case.registered", ["desk", "queue"]
    if action == Transition.ASSIGN:
        inboxes += [f"inbox.{d.code}" for d in case.assisting_departments.all()]
        return "case.assigned", ["queue", "board", *inboxes]
    if action == Transition.RETURN and payload.get("department"):
        inboxes.append(f"inbox.{payload['department']}")
    if from_state != case.state:
        queue = ["queue"] if {from_state, case.state} & QUEUE_STATES else []
        return "case.state_changed", [*queue, "board", *inboxes]
    return "case.updated", ["queue", "board", *inboxes]


@receiver(case_changed, dispatch_uid="notifications.on_case_changed")
def on_case_changed(sender: Any, *, case: Case, event: CaseEvent, action: str, actor: Any = None,
                    payload: dict[str, Any] | None = None, **kwargs: Any) -> None:
    payload = payload or {}
    queue_messages(case, event, action, payload)
    if action not in CASE_ACTIONS:
        return
    type_, topics = event_topics(case, action, event.from_state, payload)
    events.publish_many(topics, type_, events.case_payload(case, action=action, from_state=event.from_state))
