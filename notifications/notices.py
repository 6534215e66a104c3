"""Who is told what when a case changes: one table, ``NOTICES``, read by ``notify_case_change``.

For each action the table lists its messages (an audience, a template and, where it depends on
the case, a condition) and its real-time event (a type and the topics it goes to). Audiences,
conditions and topics are the small named functions below; each takes the ``Occasion`` (the
case, its new audit event, the action and its payload) and answers from it alone.

Messages are outbox rows written in the action's transaction (they commit or roll back with
it); real-time events are published after commit. An action missing from the table tells
nobody anything. The sla app's own live events (timers, extensions, supervision orders) and
its deadline messages (``outbox.notify_deadline``) are built in ``sla.events``, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from cases import answer as case_answer
from cases import rules
from cases.enums import Channel, DissatisfiedReason, Rating, ReplyChannel, Role, State, Transition
from cases.models import Case, CaseEvent, Department, User
from cases.selectors import dispatch_department

from . import events
from .enums import Template
from .outbox import (
    case_context,
    fresh_rows,
    local_time,
    notify_citizen,
    notify_staff,
    notify_users,
    users_with_roles,
)


@dataclass(frozen=True)
class Occasion:
    """One case change, as the table's functions see it."""

    case: Case
    event: CaseEvent
    action: str
    payload: dict[str, Any] = field(default_factory=dict)

    def key(self, template: str) -> str:
        """Stable for the occurrence, so a retried action never queues a message twice."""
        return f"case:{self.case.pk}:ev{self.event.seq}:{template}"


# --- audiences: who a message goes to -------------------------------------------------------


@dataclass(frozen=True)
class Citizen:
    """The case's citizen, on the channel they chose for the answer (``outbox.citizen_address``)."""


@dataclass(frozen=True)
class Staff:
    """A department's active staff (``outbox.department_staff``: clerks and head; at the dispatch
    centre, dispatchers and agents), or only those of ``roles``, in-app and by e-mail."""

    department: Department | str  # a Department, or its code
    roles: tuple[str, ...] | None = None
    assisting: bool = False  # an assisting department: told so, and its own row per department


@dataclass(frozen=True)
class People:
    """Named staff members (the clerk who wrote a draft), in-app and by e-mail."""

    user_ids: tuple[int, ...]


@dataclass(frozen=True)
class Roles:
    """Every active user of ``roles``, whatever their department (supervisors, the leadership)."""

    roles: tuple[str, ...]


@dataclass(frozen=True)
class CitizenOf:
    """The citizen of another case than the one that changed (a case merged into it)."""

    case: Case


Recipient = Citizen | Staff | People | Roles | CitizenOf
Audience = Callable[[Occasion], list[Recipient]]
CITIZEN = Citizen()


def the_citizen(occ: Occasion) -> list[Recipient]:
    return [CITIZEN]


def the_department(occ: Occasion) -> list[Recipient]:
    """The department handling the case."""
    return [Staff(occ.case.department)] if occ.case.department_id else []


def the_assisting_departments(occ: Occasion) -> list[Recipient]:
    return [Staff(d, assisting=True) for d in occ.case.assisting_departments.all()]


def the_dispatchers(occ: Occasion) -> list[Recipient]:
    """The dispatch centre's dispatchers (a returned case is theirs to triage again)."""
    desk = dispatch_department()
    return [Staff(desk, roles=(Role.DISPATCHER,))] if desk else []


def the_hotline_agents(occ: Occasion) -> list[Recipient]:
    """The dispatch centre's agents (a citizen who asked for a call-back is called by them)."""
    desk = dispatch_department()
    return [Staff(desk, roles=(Role.AGENT,))] if desk else []


def the_ordered_department(occ: Occasion) -> list[Recipient]:
    """The department an sla record names (an escalation before assignment names the dispatch
    centre), else the case's."""
    target = occ.payload.get("department") or occ.case.department
    return [Staff(target)] if target else []


def the_heads(occ: Occasion) -> list[Recipient]:
    """The head of the handling department (head approval of replies)."""
    return [Staff(occ.case.department, roles=(Role.HEAD,))] if occ.case.department_id else []


def the_drafter(occ: Occasion) -> list[Recipient]:
    """The clerk who wrote the reply draft."""
    return [People((occ.case.reply_draft_by_id,))] if occ.case.reply_draft_by_id else []


def the_supervisors_and_leadership(occ: Occasion) -> list[Recipient]:
    """督办 and 通报 reach people, not only the department: supervisors and the leadership (区领导)."""
    return [Roles((Role.SUPERVISOR, Role.LEADER))]


def the_department_or_dispatchers(occ: Occasion) -> list[Recipient]:
    """The department handling the case; before assignment, the dispatch centre's dispatchers."""
    return the_department(occ) or the_dispatchers(occ)


def the_supervisors(occ: Occasion) -> list[Recipient]:
    """Every active supervisor, by the department each belongs to."""
    depts = Department.objects.filter(
        pk__in=User.objects.filter(role=Role.SUPERVISOR, is_active=True).values("department_id")
    ).order_by("pk")
    return [Staff(d, roles=(Role.SUPERVISOR,)) for d in depts]


def the_urged(occ: Occasion) -> list[Recipient]:
    """An urge reaches whoever has the overdue work and the supervisors."""
    return [*the_department_or_dispatchers(occ), *the_supervisors(occ)]


def the_merged_citizens(occ: Occasion) -> list[Recipient]:
    """The citizens of the cases merged into this one (told its answer too)."""
    return [CitizenOf(dup) for dup in Case.objects.filter(duplicate_of=occ.case, state=State.MERGED).order_by("pk")]


# --- conditions -----------------------------------------------------------------------------

Condition = Callable[[Occasion], bool]


def always(occ: Occasion) -> bool:
    return True


def not_an_sms_intake(occ: Occasion) -> bool:
    """An SMS intake is answered in the webhook's own reply (tracking_no + access code); a
    second receipt SMS would only confuse."""
    return occ.case.channel != Channel.SMS


def answered_by_phone(occ: Occasion) -> bool:
    return occ.case.reply_channel == ReplyChannel.PHONE


def answered_in_writing(occ: Occasion) -> bool:
    return not answered_by_phone(occ)


def formal_order_or_report(occ: Occasion) -> bool:
    """Level 2 (督办) or 3 (通报)."""
    level = occ.payload.get("level")
    return isinstance(level, int) and level >= 2


def approved_a_draft(occ: Occasion) -> bool:
    """The head submitted a clerk's waiting draft as the reply."""
    return bool(occ.payload.get("approved_draft_of"))


def extension_granted(occ: Occasion) -> bool:
    return bool(occ.payload.get("granted"))


def awaits_decision(occ: Occasion) -> bool:
    """A dissatisfied rating: it leaves the case for a supervisor's decision."""
    return occ.payload.get("rating") == Rating.DISSATISFIED


def decided_after_dissatisfaction(occ: Occasion) -> bool:
    """A supervisor's decision on a dissatisfied rating (a reopen from ``pending_decision``)."""
    return bool(occ.payload.get("dissatisfied"))


# --- extra template values of some actions --------------------------------------------------


def rejection(occ: Occasion) -> dict[str, Any]:
    reason = occ.case.reject_reason
    return {
        "reason": reason.name_zh if reason else "",
        "reason_en": (reason.name_en or reason.name_zh) if reason else "",
        "reject_note": occ.case.reject_note,
    }


def duplicate(occ: Occasion) -> dict[str, Any]:
    return {"duplicate_of": occ.case.duplicate_of.tracking_no if occ.case.duplicate_of_id else ""}


def returned_from(occ: Occasion) -> dict[str, Any]:
    return {"from_department": occ.payload.get("department", "")}


def nothing_more(occ: Occasion) -> dict[str, Any]:
    return {}


def dissatisfaction(occ: Occasion) -> dict[str, Any]:
    reason = occ.payload.get("reason", "")
    if reason not in DissatisfiedReason.values:
        return {}
    label = DissatisfiedReason(reason).label
    with translation.override("en"):
        label_en = str(label)
    with translation.override("zh-hans"):
        label_zh = str(label)
    return {"reason_label": label_zh, "reason_label_en": label_en}


def urged(occ: Occasion) -> dict[str, Any]:
    return {"due_at": local_time(occ.payload.get("due_at"))}


# --- real-time topics -----------------------------------------------------------------------

# States the dispatcher queue lists: a change into or out of them changes the queue.
QUEUE_STATES = frozenset({State.REGISTERED, State.REPLIED})
Topics = Callable[[Occasion], list[str]]


def the_desk(occ: Occasion) -> list[str]:
    """The agents' desk (a new case may be the caller on the line)."""
    return ["desk"]


def the_queue(occ: Occasion) -> list[str]:
    return ["queue"]


def the_board(occ: Occasion) -> list[str]:
    """The supervisors' board."""
    return ["board"]


def the_queue_if_it_changed(occ: Occasion) -> list[str]:
    """The dispatcher queue, when the case moves into or out of its states, or stays where it is
    (an update to a case it may list)."""
    moved = occ.event.from_state != occ.case.state
    return ["queue"] if not moved or {occ.event.from_state, occ.case.state} & QUEUE_STATES else []


def the_department_inbox(occ: Occasion) -> list[str]:
    return [f"inbox.{occ.case.department.code}"] if occ.case.department_id else []


def the_assisting_inboxes(occ: Occasion) -> list[str]:
    return [f"inbox.{d.code}" for d in occ.case.assisting_departments.all()]


def the_returning_department_inbox(occ: Occasion) -> list[str]:
    return [f"inbox.{occ.payload['department']}"] if occ.payload.get("department") else []


def state_changed_or_updated(occ: Occasion) -> str:
    return "case.state_changed" if occ.event.from_state != occ.case.state else "case.updated"


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    audience: Audience
    template: Template
    when: Condition = always


@dataclass(frozen=True)
class Live:
    """A real-time event built by ``events.case_payload``, sent after commit."""

    type: str | Callable[[Occasion], str]
    topics: tuple[Topics, ...]


@dataclass(frozen=True)
class Notice:
    messages: tuple[Message, ...] = ()
    live: Live | None = None
    context: Callable[[Occasion], dict[str, Any]] = nothing_more  # values the action's templates add


# Any other state change (and hold/resume): the board, the handling department, and the queue when
# it is affected.
CHANGED = Live(state_changed_or_updated, (the_queue_if_it_changed, the_board, the_department_inbox))

ANSWERED = Notice(
    messages=(
        Message(the_citizen, Template.ANSWER, when=answered_in_writing),
        Message(the_citizen, Template.FEEDBACK_REQUEST, when=answered_in_writing),
        Message(the_hotline_agents, Template.CALLBACK_DUE, when=answered_by_phone),
        Message(the_merged_citizens, Template.MERGED_ANSWERED),
    ),
    live=CHANGED,
)

NOTICES: dict[str, Notice] = {
    Transition.REGISTER: Notice(
        messages=(Message(the_citizen, Template.RECEIPT, when=not_an_sms_intake),),
        live=Live("case.registered", (the_desk, the_queue)),
    ),
    Transition.RESOLVE_DIRECTLY: ANSWERED,
    Transition.REJECT: Notice(messages=(Message(the_citizen, Template.REJECTED),), context=rejection, live=CHANGED),
    Transition.MERGE: Notice(messages=(Message(the_citizen, Template.MERGED),), context=duplicate, live=CHANGED),
    Transition.ASSIGN: Notice(
        messages=(
            Message(the_department, Template.CASE_ASSIGNED),
            Message(the_assisting_departments, Template.CASE_ASSIGNED),
        ),
        live=Live("case.assigned", (the_queue, the_board, the_department_inbox, the_assisting_inboxes)),
    ),
    Transition.RETURN: Notice(
        messages=(Message(the_dispatchers, Template.CASE_RETURNED),),
        context=returned_from,
        live=Live(state_changed_or_updated, (*CHANGED.topics, the_returning_department_inbox)),
    ),
    Transition.SIGN_FOR: Notice(live=CHANGED),
    Transition.REPLY: Notice(
        messages=(Message(the_drafter, Template.REPLY_DRAFT_APPROVED, when=approved_a_draft),), live=CHANGED
    ),
    Transition.DRAFT_REPLY: Notice(messages=(Message(the_heads, Template.REPLY_DRAFT_PENDING),)),
    case_answer.DRAFT_RETURNED: Notice(messages=(Message(the_drafter, Template.REPLY_DRAFT_RETURNED),)),
    case_answer.ASSIST_OPINION: Notice(
        messages=(Message(the_department, Template.ASSIST_OPINION),),
        live=Live("case.updated", (the_department_inbox,)),
    ),
    Transition.SEND_BACK: Notice(messages=(Message(the_department, Template.CASE_SENT_BACK),), live=CHANGED),
    Transition.APPROVE: ANSWERED,
    Transition.FEEDBACK: Notice(
        messages=(Message(the_supervisors, Template.DISSATISFIED_PENDING, when=awaits_decision),),
        context=dissatisfaction,
        live=CHANGED,
    ),
    Transition.AUTO_CLOSE: Notice(live=CHANGED),
    Transition.REOPEN: Notice(
        messages=(
            Message(the_department, Template.CASE_REOPENED),
            Message(the_citizen, Template.DISSATISFIED_REOPENED, when=decided_after_dissatisfaction),
        ),
        live=CHANGED,
    ),
    Transition.HOLD: Notice(live=CHANGED),
    Transition.RESUME: Notice(live=CHANGED),
    Transition.TRANSFER: Notice(live=CHANGED),
    # The sla app's records, by the dotted names it writes them under (sla.enums.AuditAction; it
    # publishes their live events).
    "sla.extension.granted": Notice(
        messages=(
            Message(the_ordered_department, Template.EXTENSION_DECIDED),
            Message(the_citizen, Template.EXTENSION_CITIZEN, when=extension_granted),
        )
    ),
    "sla.extension.refused": Notice(messages=(Message(the_ordered_department, Template.EXTENSION_DECIDED),)),
    "sla.supervision.issued": Notice(
        messages=(
            Message(the_ordered_department, Template.SUPERVISION_ISSUED),
            Message(the_supervisors_and_leadership, Template.SUPERVISION_ESCALATED, when=formal_order_or_report),
        )
    ),
    "sla.timer.escalated": Notice(
        messages=(
            Message(the_ordered_department, Template.SUPERVISION_ISSUED),
            Message(the_supervisors_and_leadership, Template.SUPERVISION_ESCALATED, when=formal_order_or_report),
        )
    ),
    # The citizen's side (issue 13).
    Transition.SUPPLEMENT: Notice(
        messages=(Message(the_department_or_dispatchers, Template.SUPPLEMENT_ADDED),), live=CHANGED
    ),
    Transition.CLOSE: Notice(messages=(Message(the_citizen, Template.DECISION_CLOSED),), live=CHANGED),
    "sla.citizen.urged": Notice(messages=(Message(the_urged, Template.CASE_URGED),), context=urged, live=CHANGED),
}


# --- multi-tier dispatch, disputes, correction (issue 12; cases/forwarding.py) -----------------
# Their events name the departments: ``department`` the one the case goes to (a sub-unit on
# forward, the reviewing parent on approve_up / return_up), ``from_department`` the other level.


def the_named_department(occ: Occasion) -> list[Recipient]:
    code = occ.payload.get("department")
    return [Staff(code)] if code else []


def the_lower_department(occ: Occasion) -> list[Recipient]:
    code = occ.payload.get("from_department")
    return [Staff(code)] if code else []


def both_levels_inboxes(occ: Occasion) -> list[str]:
    codes = [occ.payload.get("department"), occ.payload.get("from_department")]
    return [f"inbox.{code}" for code in codes if code]


LEVEL_CHANGED = Live(state_changed_or_updated, (the_queue_if_it_changed, the_board, both_levels_inboxes))

NOTICES.update(
    {
        Transition.FORWARD: Notice(
            messages=(Message(the_named_department, Template.CASE_ASSIGNED),),
            live=Live("case.assigned", (the_board, both_levels_inboxes)),
        ),
        Transition.RETURN_UP: Notice(live=LEVEL_CHANGED),
        Transition.APPROVE_UP: Notice(live=LEVEL_CHANGED),
        Transition.SEND_DOWN: Notice(
            messages=(Message(the_lower_department, Template.CASE_SENT_BACK),), live=LEVEL_CHANGED
        ),
        Transition.DISPUTE: Notice(live=CHANGED),
        Transition.ARBITRATE: Notice(
            messages=(Message(the_department, Template.CASE_ASSIGNED),),
            live=Live("case.assigned", (the_queue, the_board, the_department_inbox)),
        ),
        Transition.RECLASSIFY: Notice(live=CHANGED),
    }
)


# --- reading it -------------------------------------------------------------------------------


def message_context(occ: Occasion) -> dict[str, Any]:
    """Plain values only (stored as JSON and rendered later, in the recipient's language)."""
    return {
        **case_context(occ.case),
        "note": occ.event.note,
        # An extension's new deadline: the audit payload keeps the instant (ISO, UTC); people read
        # it in local time.
        "until": local_time(occ.payload.get("until")),
        "payload": {k: v for k, v in occ.payload.items() if isinstance(v, str | int | float | bool | None)},
    }


def queue_message(occ: Occasion, recipient: Recipient, template: str, context: dict[str, Any]) -> None:
    """One audience member's outbox rows for ``template``."""
    if isinstance(recipient, Citizen):
        notify_citizen(case=occ.case, template=template, context=context, key=occ.key(template))
        return
    if isinstance(recipient, People):
        users = User.objects.filter(is_active=True, pk__in=recipient.user_ids).order_by("pk")
        notify_users(users, template, context, occ.key(template), case=occ.case)
        return
    if isinstance(recipient, Roles):  # once per worker's batch, not once per escalation
        notify_users(users_with_roles(recipient.roles), template, context, occ.key(template), case=occ.case)
        return
    if isinstance(recipient, CitizenOf):
        other = recipient.case
        context = {**context, "own_tracking_no": other.tracking_no}
        notify_citizen(case=other, template=template, context=context, key=f"{occ.key(template)}:case{other.pk}")
        return
    key, dept = occ.key(template), recipient.department
    if recipient.assisting:
        context = {**context, "assisting": True}
        key = f"{key}:{dept.code if isinstance(dept, Department) else dept}"
    notify_staff(dept, template, context, key, case=occ.case, roles=recipient.roles)


def notify_case_change(*, case: Case, event: CaseEvent, action: str, payload: dict[str, Any]) -> None:
    """Queue the messages and publish the real-time event that ``NOTICES`` lists for ``action``.

    Called inside the action's transaction: the outbox rows commit with it, the event leaves after."""
    notice = NOTICES.get(action)
    if notice is None:
        return
    occ = Occasion(case=case, event=event, action=action, payload=payload)
    context = {**message_context(occ), **notice.context(occ)}
    restricted = rules.is_restricted(case)
    with fresh_rows():  # keys derived from the event just appended: one INSERT for all of them
        for message in notice.messages:
            if message.when(occ):
                for recipient in message.audience(occ):
                    if restricted and not may_hear_of_restricted(occ, recipient):
                        continue
                    queue_message(occ, recipient, message.template, context)
    if notice.live is not None:
        type_ = notice.live.type if isinstance(notice.live.type, str) else notice.live.type(occ)
        topics = [topic for each in notice.live.topics for topic in each(occ)]
        if restricted:  # no desk, queue or board: only the handling department's inbox
            topics = [t for t in topics if t in the_department_inbox(occ)]
        events.publish_many(topics, type_, events.case_payload(case, action=action, from_state=event.from_state))


def may_hear_of_restricted(occ: Occasion, recipient: Recipient) -> bool:
    """A report about staff (``cases.rules.is_restricted``) is told to the citizen and the people of
    the department handling it, never to dispatchers, supervisors or the leadership at large."""
    if isinstance(recipient, Citizen | People):
        return True
    if isinstance(recipient, Staff):
        dept = recipient.department
        code = dept.code if isinstance(dept, Department) else dept
        return bool(occ.case.department_id) and code == occ.case.department.code
    return False
