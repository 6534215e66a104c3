"""Twelve months of backdated demo history, and two planted hotspots, for the first ``scripts/serve``.

History: about ``PER_MONTH`` cases a month (seasonal), from 12 months ago until two weeks ago, all
finished — most forwarded, handled, answered and rated (or auto-closed), some answered on first
contact, a few rejected — with the hash-chained events the services would have written, reply
clocks (on time or late) and the department's contact with the citizen. They are written with
``bulk_create`` (a few thousand rows a second), not through the services (a few cases a second):
the events and their chain are computed here the way ``cases.services._record`` computes them, so
``verify_audit`` accepts them and the figures (closure, on-time, satisfaction, ratings per
department) read them like any other case. Texts come from the training-corpus generator.

Planted, through the real services so they are live cases: a surge (noise complaints around
湖滨路, two dozen in the last week against about two a week before) and a cluster (five callers
with the same water cut at 江景花园 in the last two days, waiting for triage, so a joint handling
can be opened on it).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cases import chain, services
from cases.enums import Channel, Kind, Rating, ReplyResult, State, Transition
from cases.models import Case, CaseEvent, Category, Department, RejectReason, User
from sla.enums import Stage, TermUnit, TimerStatus
from sla.models import Calendar, Timer
from stats import rollups

from . import corpus

PER_MONTH = 230
MONTHS = 12
HISTORY_ENDS = dt.timedelta(days=14)
SEQ_BASE = 80000  # tracking numbers YYYYMMDD8xxxx: clear of the day's own sequence
SEED = 2026

CHANNELS = [(Channel.HOTLINE, 55), (Channel.WEB, 22), (Channel.MAILBOX, 8), (Channel.SMS, 8), (Channel.LETTER, 4)]
SEASON = [0.9, 0.8, 1.0, 1.0, 1.1, 1.2, 1.3, 1.3, 1.1, 1.0, 0.95, 0.9]  # Jan..Dec
RATINGS = [(Rating.SATISFIED, 78), (Rating.BASICALLY_SATISFIED, 15), (Rating.DISSATISFIED, 7)]
RESULTS = [
    (ReplyResult.SOLVED, 70),
    (ReplyResult.PARTLY_SOLVED, 12),
    (ReplyResult.EXPLAINED, 15),
    (ReplyResult.UNFOUNDED, 3),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "丽", "强", "平", "刚", "桂英")


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


@dataclass
class _Step:
    action: str
    at: dt.datetime
    actor: User | None
    label: str
    role: str
    to_state: str
    note: str = ""
    data: dict | None = None
    public: bool = True


def _round(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=0).astimezone(dt.UTC)


def history_exists(now: dt.datetime) -> bool:
    return Case.objects.filter(registered_at__lt=now - dt.timedelta(days=60)).exists()


def create_history(*, now: dt.datetime, per_month: int = PER_MONTH, seed: int = SEED) -> int:
    """Write the history (module doc); returns the number of cases. Not idempotent by itself: the
    caller checks ``history_exists`` first."""
    rng = random.Random(seed)
    categories = {c.code: c for c in Category.objects.filter(default_department__isnull=False, active=True)}
    departments = {d.code: d for d in Department.objects.all()}
    users = {u.username: u for u in User.objects.filter(username__in=["agent", "dispatcher", "clerk_cgj", "clerk_hbj"])}
    dept_user = {"CGJ": users.get("clerk_cgj"), "HBJ": users.get("clerk_hbj")}
    agent, dispatcher = users.get("agent"), users.get("dispatcher")
    calendar = Calendar.objects.filter(code="CN").first()
    reasons = list(RejectReason.objects.all())
    messages = corpus.generate(
        per_category=per_month * MONTHS // max(len(corpus.MATTERS), 1) + 20,
        seed=seed,
        default_departments={code: c.default_department.code for code, c in categories.items()},
    )
    rng.shuffle(messages)
    end = now - HISTORY_ENDS
    start = end - dt.timedelta(days=365)
    days = (end - start).days
    plans = []
    day_seq: dict[str, int] = {}
    msg_iter = iter(messages)
    for d in range(days):
        day = timezone.localtime(start + dt.timedelta(days=d))
        weight = SEASON[day.month - 1] * (0.55 if day.weekday() >= 5 else 1.1)
        for _ in range(_poisson(rng, per_month * 12 / 365 * weight)):
            m = next(msg_iter, None)
            if m is None or m.category not in categories:
                continue
            at = day.replace(
                hour=rng.choice([8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 16, 17, 19, 21]),
                minute=rng.randrange(60),
                second=rng.randrange(60),
                microsecond=0,
            )
            key = f"{at:%Y%m%d}"
            day_seq[key] = day_seq.get(key, 0) + 1
            plans.append((at, m, f"{key}{SEQ_BASE + day_seq[key]:05d}"))
    rows: list[tuple[Case, list[_Step], dict]] = []
    for at, m, tracking_no in plans:
        category = categories[m.category]
        channel = _pick(rng, CHANNELS)
        kind = rng.choice(category.kinds or [Kind.COMPLAINT])
        community = next(
            (code for code, names in corpus.COMMUNITIES.items() if any(n in m.content for n in names)), None
        )
        case = Case(
            tracking_no=tracking_no,
            channel=channel,
            kind=kind,
            category=category,
            title=m.title[:200],
            content=m.content,
            location=corpus.COMMUNITIES[community][0] if community else "",
            citizen_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            citizen_phone=f"13{rng.randrange(10**9):09d}",
            publish_consent=False,
            registered_by=agent if channel == Channel.HOTLINE else None,
            registered_at=_round(at),
        )
        steps = _life(rng, case, departments.get(m.department), dept_user, dispatcher, reasons)
        rows.append((case, steps, {}))
    with transaction.atomic():
        _write(rows, calendar=calendar, departments=departments)
    return len(rows)


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: small means only.
    limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _life(
    rng: random.Random,
    case: Case,
    department: Department | None,
    dept_user: dict,
    dispatcher: User | None,
    reasons: list[RejectReason],
) -> list[_Step]:
    """Decide the case's course and set its final fields; returns its events after ``register``."""
    t = case.registered_at
    d_label = dispatcher.display_name if dispatcher else "dispatcher"
    roll = rng.random()
    if roll < 0.03 and reasons:
        case._final_state = State.REJECTED
        case.reject_reason = rng.choice(reasons)
        case.closed_at = t + dt.timedelta(hours=rng.uniform(0.5, 6))
        return [_Step(Transition.REJECT, case.closed_at, dispatcher, d_label, "dispatcher", State.REJECTED,
                      data={"reason": case.reject_reason.code})]  # fmt: skip
    if roll < 0.13 or department is None:
        case._final_state = State.CLOSED
        case.answer = "已在来电中当场答复：" + case.title + "，按相关规定办理。"
        case.first_contact_resolution = True
        case.answered_at = t + dt.timedelta(minutes=rng.randint(3, 20))
        rating = _pick(rng, RATINGS)
        case.rating, case.closed_at = rating, case.answered_at + dt.timedelta(hours=rng.uniform(2, 48))
        case.feedback_resolved = rating != Rating.DISSATISFIED
        return [
            _Step(
                Transition.RESOLVE_DIRECTLY,
                case.answered_at,
                dispatcher,
                d_label,
                "dispatcher",
                State.ANSWERED,
                note=case.answer,
            ),  # fmt: skip
            _Step(
                Transition.FEEDBACK,
                case.closed_at,
                None,
                "citizen",
                "citizen",
                State.CLOSED,
                data={"rating": rating, "department": ""},
            ),  # fmt: skip
        ]
    clerk = dept_user.get(department.code)
    c_label, c_role = (clerk.display_name, clerk.role) if clerk else (department.name_zh, "clerk")
    case.department = department
    case.instructions = "请核实处理并按时答复。"
    case.assigned_at = t + dt.timedelta(hours=rng.uniform(0.3, 3))
    signed = case.assigned_at + dt.timedelta(hours=rng.uniform(0.5, 20))
    late = rng.random() < 0.08
    reply_days = rng.uniform(14, 25) if late else rng.uniform(0.5, 11)
    case.replied_at = case.assigned_at + dt.timedelta(days=reply_days)
    case.contacted_at = case.assigned_at + dt.timedelta(hours=rng.uniform(1, 30 if rng.random() < 0.9 else 120))
    case.contact_method = rng.choice(["phone", "phone", "phone", "sms", "visit"])
    case.reply_result = _pick(rng, RESULTS)
    case.reply_text = f"经核查，{case.title}一事已安排处理，现场已整改，已电话告知来电人。"
    case.answered_at = case.replied_at + dt.timedelta(hours=rng.uniform(1, 20))
    case.answer = case.reply_text
    steps = [
        _Step(
            Transition.ASSIGN,
            case.assigned_at,
            dispatcher,
            d_label,
            "dispatcher",
            State.ASSIGNED,
            note=case.instructions,
            data={"department": department.code, "assisting": []},
        ),  # fmt: skip
        _Step(Transition.SIGN_FOR, signed, clerk, c_label, c_role, State.IN_PROGRESS),
        _Step(
            Transition.REPLY, case.replied_at, clerk, c_label, c_role, State.REPLIED, note=case.reply_text, public=False
        ),
        _Step(
            Transition.APPROVE, case.answered_at, dispatcher, d_label, "dispatcher", State.ANSWERED, note=case.answer
        ),
    ]
    case._final_state = State.CLOSED
    if rng.random() < 0.85:
        rating = _pick(
            rng,
            RATINGS
            if not late
            else [(Rating.SATISFIED, 50), (Rating.BASICALLY_SATISFIED, 25), (Rating.DISSATISFIED, 25)],
        )
        case.rating = rating
        case.feedback_resolved = rating != Rating.DISSATISFIED and case.reply_result != ReplyResult.EXPLAINED
        case.closed_at = case.answered_at + dt.timedelta(hours=rng.uniform(2, 60))
        steps.append(_Step(Transition.FEEDBACK, case.closed_at, None, "citizen", "citizen", State.CLOSED,
                           data={"rating": rating, "department": department.code}))  # fmt: skip
    else:
        case.closed_at = case.answered_at + dt.timedelta(days=5)
        steps.append(_Step(Transition.AUTO_CLOSE, case.closed_at, None, "system", "system", State.CLOSED))
    case._late_reply = late  # read by _write for the reply clock
    return steps


_LATER = {  # the columns each action sets, in the order of the case's life (see cases.models.Case)
    Transition.REGISTER: (),
    Transition.REJECT: ("reject_reason_id", "closed_at"),
    Transition.RESOLVE_DIRECTLY: ("answer", "first_contact_resolution", "answered_at"),
    Transition.ASSIGN: ("department_id", "instructions", "assigned_at"),
    Transition.SIGN_FOR: (),
    Transition.REPLY: ("reply_text", "replied_at"),
    Transition.APPROVE: ("answer", "answered_at"),
    Transition.FEEDBACK: ("rating", "closed_at"),
    Transition.AUTO_CLOSE: ("closed_at",),
}
_BLANK = {
    "reject_reason_id": None,
    "closed_at": None,
    "answer": "",
    "first_contact_resolution": False,
    "answered_at": None,
    "department_id": None,
    "instructions": "",
    "assigned_at": None,
    "reply_text": "",
    "replied_at": None,
    "rating": "",
}


def _row_states(final: dict, actions: list[str]) -> Iterable[dict]:
    """The audited columns as they stood after each action, from the final row backwards."""
    row = dict(final)
    for name in _BLANK:
        row[name] = _BLANK[name]
    for version, action in enumerate(actions, start=1):
        for name in _LATER[action]:
            row[name] = final[name]
        row["version"] = version
        yield dict(row)


def _write(rows: list[tuple[Case, list[_Step], dict]], *, calendar: Calendar | None, departments: dict) -> None:
    for case, steps, _ in rows:
        case.version = len(steps) + 1
    Case.objects.bulk_create([c for c, _, _ in rows], batch_size=500)
    # The state field is protected on instances (django-fsm): set the final states in bulk.
    by_state: dict[str, list[str]] = {}
    for case, _, _ in rows:
        by_state.setdefault(case._final_state, []).append(case.tracking_no)
    for state, numbers in by_state.items():
        for i in range(0, len(numbers), 500):
            Case.objects.filter(tracking_no__in=numbers[i : i + 500]).update(state=state)
    stored = {
        r["tracking_no"]: r
        for r in Case.objects.filter(tracking_no__in=[c.tracking_no for c, _, _ in rows]).values(
            "pk", *chain.AUDITED_COLUMNS
        )
    }
    events, heads, timers = [], [], []
    for case, steps, _ in rows:
        final = stored[case.tracking_no]
        case.pk = final["pk"]
        register = _Step(Transition.REGISTER, case.registered_at, case.registered_by,
                         case.registered_by.display_name if case.registered_by else "citizen",
                         case.registered_by.role if case.registered_by else "citizen", State.REGISTERED)  # fmt: skip
        life = [register, *steps]
        states = list(_row_states(final, [s.action for s in life]))
        prev, from_state = "", ""
        for seq, (step, row) in enumerate(zip(life, states, strict=True), start=1):
            row["state"] = step.to_state
            event = CaseEvent(
                case_id=case.pk,
                seq=seq,
                at=_round(step.at),
                actor=step.actor,
                actor_label=step.label,
                role=step.role,
                transition=step.action,
                from_state=from_state,
                to_state=step.to_state,
                note=step.note,
                data=step.data or {},
                public=step.public,
                client_ip=None,
                prev_hash=prev,
                hash_version=chain.KEYED,
                row_digest=chain.row_digest(final if seq == len(life) else row),
            )
            event.hash = event.compute_hash()
            events.append(event)
            prev, from_state = event.hash, step.to_state
        heads.append((case.pk, len(life), prev))
        if calendar is not None and case.assigned_at and case.replied_at:
            due = _round(case.assigned_at + dt.timedelta(days=18))
            late = getattr(case, "_late_reply", False)
            timers.append(
                Timer(
                    case_id=case.pk,
                    stage=Stage.REPLY,
                    calendar=calendar,
                    department=case.department,
                    term_unit=TermUnit.WORKING_DAYS,
                    term_value=Decimal(13),
                    status=TimerStatus.BREACHED if late else TimerStatus.MET,
                    started_at=_round(case.assigned_at),
                    warn_at=_round(case.assigned_at + dt.timedelta(days=14)),
                    due_at=due,
                    original_due_at=due,
                    breached_at=due if late else None,
                    stopped_at=_round(case.replied_at),
                )
            )
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    Timer.objects.bulk_create(timers, batch_size=1000)
    for pk, seq, head in heads:
        Case.objects.filter(pk=pk).update(audit_head_seq=seq, audit_head_hash=head)
    # The rows bypassed the services (and so the case_changed receiver): count them into the
    # monthly rollups the figures read (stats.rollups), in the same transaction.
    rollups.rollups_refresh([pk for pk, _, _ in heads])


# --- planted hotspots (through the services) -------------------------------------------------

NOISE = (
    "湖滨路新开的酒吧每晚音乐放到凌晨，低音震得窗户响，周边居民无法入睡",
    "湖滨路夜宵摊和酒吧噪声扰民，半夜还在大声放歌",
    "湖滨路一带晚上音响声太大，KTV和酒吧一直吵到两三点",
    "湖滨路商铺门口喇叭叫卖，晚上还有酒吧噪音，影响休息",
)
WATER = "江景花园小区停水两天了，物业和水务都不给说法，几百户居民没水用，请尽快恢复供水"


def plant_hotspots(*, now: dt.datetime, agent: User | None) -> int:
    """The surge and the cluster of the module doc, registered through ``case_register``."""
    rng = random.Random(SEED + 1)
    n = 0
    for i in range(24):
        at = now - dt.timedelta(days=6.5) + dt.timedelta(hours=6.5 * i + rng.uniform(0, 2))
        services.case_register(
            actor=agent,
            channel=Channel.HOTLINE if i % 3 else Channel.WEB,
            kind=Kind.COMPLAINT,
            category="ENV-NOISE",
            title=rng.choice(("夜间噪声扰民", "酒吧噪音", "噪声扰民", "半夜音乐太吵")),
            content=rng.choice(NOISE),
            location=f"湖滨路{rng.randint(1, 200)}号",
            citizen=services.Citizen(name=rng.choice(SURNAMES) + rng.choice(GIVEN), phone=f"1370000{i:04d}"),
            now=at,
        )
        n += 1
    openers = ("", "您好，", "我反映一下，", "", "急！")
    for i, opener in enumerate(openers):
        services.case_register(
            actor=agent if i % 2 else None,
            channel=Channel.HOTLINE if i % 2 else Channel.WEB,
            kind=Kind.HELP,
            category="CITY-WATER",
            title="江景花园停水",
            content=opener + WATER + ("！" if i % 2 else "。"),
            location="江景花园",
            citizen=services.Citizen(name=rng.choice(SURNAMES) + rng.choice(GIVEN), phone=f"1360000{i:04d}"),
            as_label="citizen",
            now=now - dt.timedelta(hours=40 - 8 * i),
        )
        n += 1
    return n
