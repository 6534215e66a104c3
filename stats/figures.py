"""The one place for the DESIGN.md §7 definitions (and the 三率 of the ranking), read by every
surface: the public statistics, the console's monthly report and CSV, the reports API and the
ranking.

Every figure of a month refers to the cases *registered* in that month (a cohort), so the
numbers of one report add up and do not move when a late reply arrives elsewhere. Each case
contributes one ``Fact`` to its month (``facts_of``); the rollup table (``stats.rollups``) keeps
the sum of the facts per month × department × channel × kind, maintained inside each case
action's transaction, and every surface reads the sums:

- closure rate 办结率 = closed ÷ (registered − rejected − merged − transferred to the emergency services)
- on-time rate 按时办结率 = replied on time ÷ replied; a reply is late by the sla app's rule
  (``sla.deadlines.late_reply_condition``: a reply clock that stopped after its due time, or had
  breached before it stopped). A replied case without a reply clock counts as on time.
- satisfaction rate 满意率 = (satisfied + basically satisfied) ÷ rated, over every rating
  round: each ``feedback`` event is one rated answer, counted for the department whose answer
  was rated (recorded on the event), so a dissatisfied rating stays counted after a reopen.
- first-contact resolution 一次办结率 = resolved directly ÷ registered, hotline only
- response rate 响应率 = cases whose department contacted the citizen (``Case.contacted_at``)
  within the response term from its assignment ÷ cases assigned to a department; the term
  (default 1 working day on the CN calendar) is the ranking settings' (``stats.models``).
- resolution rate 解决率 = cases the citizen says are solved (``Case.feedback_resolved``) ÷
  cases whose citizen answered that question
- contact-before-reply rate 先联系后答复率 = replies that recorded contacting the citizen at or
  before the reply ÷ replies, over the ``reply`` events (each round counts: a reply sent back
  and given again is two), charged to the department holding the case; a reply records its
  contact on its event (``data["contact"]["at"]``); replies from before that rule count as without
- returned = ``return`` events, each charged to the department that handed the case back;
  reopened = sum of ``reopen_count``; average handling time = mean of (answered_at −
  registered_at) over answered cases

A case counts for its current lead department; cases no department holds (not yet assigned,
rejected, merged, resolved on first contact) count for the dispatch desk (department key 0).
Rates are fractions rounded to 4 places, ``None`` when the denominator is zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.utils import timezone

from cases.enums import Channel, Rating, State, Transition
from cases.models import Case, CaseEvent, Department
from sla.calendar import compute_deadline, load_schedule
from sla.deadlines import late_reply_condition, reply_clock_expressions
from sla.policies import DEFAULT_CALENDAR

SATISFIED = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED)

# What a case contributes to its month, as counts (``handling_seconds`` a sum).
CASE_COUNTS = (
    "registered",
    "rejected",
    "merged",
    "transferred",
    "closed",
    "replied",
    "replied_on_time",
    "hotline",
    "resolved_directly",
    "reopened",
    "answered",
    "handling_seconds",
    "assigned",
    "responded",
    "resolution_answered",
    "resolved",
)
# What the events of a case add (never taken back: the events are append-only).
ROUND_COUNTS = ("returned", "rated", "satisfied", "reply_rounds", "contacted_first")
ALL_COUNTS = CASE_COUNTS + ROUND_COUNTS
# API.md field order for the monthly report (CSV columns follow it).
REPORT_FIELDS = (
    "registered",
    "closed",
    "closure_rate",
    "replied",
    "replied_on_time",
    "on_time_rate",
    "rated",
    "satisfied",
    "satisfaction_rate",
    "resolved_directly",
    "returned",
    "reopened",
    "avg_handling_hours",
)
NO_DEPARTMENT = 0  # the rollup key of the cases no department holds: the dispatch desk's


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- months ---------------------------------------------------------------------------


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """Local (Asia/Shanghai) start of the month and of the next one."""
    tz = timezone.get_current_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    nxt = add_months(month, 1)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=tz)


def month_of(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


# --- the figures of a group of cases ------------------------------------------------------


@dataclass
class Figures:
    """Counts for one department (or all) in one month, and the rates derived from them."""

    registered: int = 0
    rejected: int = 0
    merged: int = 0
    transferred: int = 0
    closed: int = 0
    replied: int = 0
    replied_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    hotline: int = 0
    resolved_directly: int = 0
    returned: int = 0
    reopened: int = 0
    answered: int = 0
    handling_seconds: float = 0.0
    assigned: int = 0
    responded: int = 0
    resolution_answered: int = 0
    resolved: int = 0
    reply_rounds: int = 0
    contacted_first: int = 0
    department: Department | None = None
    month: date | None = None
    by_channel: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def closure_base(self) -> int:
        # A case handed to the emergency services (``transferred``, terminal like rejected and
        # merged) is not the hotline's to close: out of the base like those (DESIGN §7).
        return self.registered - self.rejected - self.merged - self.transferred

    @property
    def closure_rate(self) -> float | None:
        return _rate(self.closed, self.closure_base)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.replied_on_time, self.replied)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)

    @property
    def first_contact_rate(self) -> float | None:
        return _rate(self.resolved_directly, self.hotline)

    @property
    def response_rate(self) -> float | None:
        return _rate(self.responded, self.assigned)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.resolved, self.resolution_answered)

    @property
    def contact_before_reply_rate(self) -> float | None:
        return _rate(self.contacted_first, self.reply_rounds)

    @property
    def avg_handling_hours(self) -> float | None:
        return round(self.handling_seconds / self.answered / 3600, 2) if self.answered else None

    def add(self, other: Figures) -> None:
        for f in fields(self):
            if f.name in {"department", "month"}:
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for key, value in theirs.items():
                    mine[key] = mine.get(key, 0) + value
            else:
                setattr(self, f.name, mine + theirs)

    def as_row(self) -> dict[str, Any]:
        """The API.md monthly-report row."""
        row: dict[str, Any] = {}
        if self.department is not None:
            row["department"] = self.department.code
            row["department_name"] = self.department.name
        for name in REPORT_FIELDS:
            row[name] = getattr(self, name)
        row.update(
            {
                "hotline_registered": self.hotline,
                "first_contact_rate": self.first_contact_rate,
                "rejected": self.rejected,
                "merged": self.merged,
                "reply_rounds": self.reply_rounds,
                "contacted_first": self.contacted_first,
                "contact_before_reply_rate": self.contact_before_reply_rate,
            }
        )
        return row

    def add_counts(self, counts: dict[str, Any]) -> None:
        for name in ALL_COUNTS:
            setattr(self, name, getattr(self, name) + (counts.get(name) or 0))


def total(rows: Iterable[Figures], month: date | None = None) -> Figures:
    out = Figures(month=month)
    for row in rows:
        out.add(row)
    return out


# --- one case's contribution --------------------------------------------------------------

Key = tuple[date, int, int, str, str]  # month, department key, category id, channel, kind


@dataclass(frozen=True)
class Fact:
    """What one case contributes to its registration month: in which category, channel and kind,
    and for which departments what counts (``parts``: department key → non-zero counts; the case's
    own counts for the department that holds it, its rating rounds for the rated ones, its
    returns for the returning ones)."""

    case_id: int
    month: date
    category_id: int
    channel: str
    kind: str
    parts: dict[int, dict[str, int]]
    reply_late_seconds: int | None = None
    reply_live_due: datetime | None = None

    def keyed(self) -> dict[Key, dict[str, int]]:
        return {(self.month, d, self.category_id, self.channel, self.kind): c for d, c in self.parts.items()}


# The columns ``facts_of`` reads (one query for any number of cases, the late-reply rule included).
_FACT_COLUMNS = (
    "pk",
    "registered_at",
    "department_id",
    "category_id",
    "channel",
    "kind",
    "state",
    "replied_at",
    "answered_at",
    "assigned_at",
    "contacted_at",
    "first_contact_resolution",
    "reopen_count",
    "return_count",
    "feedback_resolved",
)


def registration_fact(case: Case) -> Fact:
    """The contribution of a case as registered: what ``facts_of`` gives for it then, without
    reading it back (the intake path stays two statements)."""
    counts = {"registered": 1}
    if case.channel == Channel.HOTLINE:
        counts["hotline"] = 1
    return Fact(
        case_id=case.pk,
        month=month_of(case.registered_at),
        category_id=case.category_id,
        channel=case.channel,
        kind=case.kind,
        parts={NO_DEPARTMENT: counts},
    )


ResponseDue = Callable[[datetime, date], datetime]


def facts_of(cases: QuerySet[Case], *, response_due: ResponseDue | None = None) -> list[Fact]:
    """The facts of ``cases`` from their rows and events as they are now: one query for the cases
    (the late-reply rule included), one for the rating rounds and returns of those that can have
    any, one for the departments those name; plus the response term's deadlines when a case was
    contacted. ``response_due(assigned_at, month)`` is the end of the response term
    (``ResponseTerms``, memoised per date: pass one to a rebuild over many cases)."""
    due = response_due or ResponseTerms()
    late = ExpressionWrapper(late_reply_condition(), output_field=BooleanField())
    clocks = reply_clock_expressions()
    rows = list(cases.order_by().annotate(late=late, **clocks).values(*_FACT_COLUMNS, "late", *clocks))
    dispatch_id = _dispatch_id()
    # Only a case that was returned, replied (``replied_at`` is never cleared), closed, reopened or
    # awaits the decision on a dissatisfied rating (``pending_decision``, citizen follow-up) can
    # have a round.
    rated_states = (State.CLOSED, State.PENDING_DECISION)
    with_rounds = [
        r["pk"]
        for r in rows
        if r["return_count"] or r["reopen_count"] or r["replied_at"] is not None or r["state"] in rated_states
    ]
    rounds: dict[int, list[Round]] = {}
    if with_rounds:
        events = CaseEvent.objects.filter(case_id__in=with_rounds, transition__in=ROUND_TRANSITIONS).values_list(
            "case_id", "transition", "data", "at"
        )
        for case_id, transition, data, at in events:
            rounds.setdefault(case_id, []).append((transition, data or {}, at))
    codes = {d["department"] for found in rounds.values() for _t, d, _at in found if d.get("department")}
    dept_ids = department_keys(codes, dispatch_id)
    return [_fact(row, due, dispatch_id, rounds.get(row["pk"], ()), dept_ids) for row in rows]


def _fact(
    row: dict[str, Any],
    response_due: ResponseDue,
    dispatch_id: int | None,
    rounds: Iterable[Round],
    dept_ids: dict[str, int],
) -> Fact:
    state = row["state"]
    month = month_of(row["registered_at"])
    dept = row["department_id"] or NO_DEPARTMENT
    if dept == dispatch_id:
        dept = NO_DEPARTMENT
    replied = row["replied_at"] is not None
    answered = row["answered_at"] is not None
    hotline = row["channel"] == Channel.HOTLINE
    assigned = dept != NO_DEPARTMENT and row["assigned_at"] is not None
    contacted = row["contacted_at"]
    responded = (
        assigned
        and contacted is not None
        and row["assigned_at"] <= contacted <= response_due(row["assigned_at"], month)
    )
    handling = (row["answered_at"] - row["registered_at"]).total_seconds() if answered else 0
    resolved = row["feedback_resolved"]
    values = {
        "registered": 1,
        "rejected": state == State.REJECTED,
        "merged": state == State.MERGED,
        "transferred": state == State.TRANSFERRED,
        "closed": state == State.CLOSED,
        "replied": replied,
        "replied_on_time": replied and not row["late"],
        "hotline": hotline,
        "resolved_directly": hotline and row["first_contact_resolution"],
        "reopened": row["reopen_count"],
        "answered": answered,
        "handling_seconds": round(handling),
        "assigned": assigned,
        "responded": responded,
        "resolution_answered": resolved is not None,
        "resolved": resolved is True,
    }
    parts: dict[int, dict[str, int]] = {dept: {name: int(value) for name, value in values.items() if value}}
    for transition, data, at in rounds:
        charged = round_department(transition, data, dept or None, dept_ids)
        if charged is None:
            continue
        part = parts.setdefault(charged, {})
        for name, value in round_counts(transition, data, at).items():
            if value:
                part[name] = part.get(name, 0) + value
    return Fact(
        case_id=row["pk"],
        month=month,
        category_id=row["category_id"],
        channel=row["channel"],
        kind=row["kind"],
        parts={d: c for d, c in parts.items() if c},
        reply_late_seconds=round(seconds(row["reply_late"])) if row["reply_late"] is not None else None,
        reply_live_due=row["reply_live_due"],
    )


def _dispatch_id() -> int | None:
    from cases.selectors import dispatch_department

    dispatch = dispatch_department()
    return dispatch.pk if dispatch else None


def department_keys(codes: set[str], dispatch_id: int | None) -> dict[str, int]:
    """Department code → rollup key (the dispatch desk's is ``NO_DEPARTMENT``)."""
    if not codes:
        return {}
    found = dict(Department.objects.filter(code__in=codes).values_list("code", "pk"))
    return {code: (NO_DEPARTMENT if pk == dispatch_id else pk) for code, pk in found.items()}


class ResponseTerms:
    """The end of the response term of an assignment: N working days (the ranking settings of the
    case's month; default 1) from ``assigned_at`` on the CN calendar, by the sla app's counting.
    A working-day deadline depends on the local date alone, so each (date, N) is counted once."""

    def __init__(self) -> None:
        self._terms: dict[date, int] = {}
        self._due: dict[tuple[date, int], datetime] = {}
        self._schedule: Any = None

    def term_for(self, month: date) -> int:
        if month not in self._terms:
            from .models import RankingSettings

            self._terms[month] = RankingSettings.for_month(month).response_working_days
        return self._terms[month]

    def __call__(self, assigned_at: datetime, month: date) -> datetime:
        days = self.term_for(month)
        key = (timezone.localtime(assigned_at).date(), days)
        if key not in self._due:
            if self._schedule is None:
                self._schedule = load_schedule(DEFAULT_CALENDAR)
            self._due[key] = compute_deadline(self._schedule, assigned_at, working_days=days).due_at
        return self._due[key]


# --- what an event adds ------------------------------------------------------------------


# The events that add rounds, and one as ``facts_of`` reads it: (transition, data, at).
ROUND_TRANSITIONS = (Transition.FEEDBACK, Transition.RETURN, Transition.REPLY)
Round = tuple[str, dict[str, Any], datetime]


def round_counts(transition: str, data: dict[str, Any], at: datetime | None = None) -> dict[str, int]:
    """The counts one event adds to its case's month: a rating round, a return, or a reply
    (with whether it recorded contacting the citizen by the time of the reply, ``at``)."""
    if transition == Transition.FEEDBACK:
        return {"rated": 1, "satisfied": int(data.get("rating") in SATISFIED)}
    if transition == Transition.RETURN:
        return {"returned": 1}
    if transition == Transition.REPLY:
        return {"reply_rounds": 1, "contacted_first": int(at is not None and contacted_by(data, at))}
    return {}


def contacted_by(data: Any, at: datetime) -> bool:
    """Whether a reply event's data records contacting the citizen at or before ``at``."""
    contact = data.get("contact") if isinstance(data, dict) else None
    moment = contact.get("at") if isinstance(contact, dict) else None
    if not isinstance(moment, str):
        return False
    try:
        return datetime.fromisoformat(moment) <= at
    except (TypeError, ValueError):  # unparsable, or a naive time from a foreign import
        return False


def round_department(
    transition: str, data: dict[str, Any], case_department: int | None, dept_ids: dict[str, int]
) -> int | None:
    """The department a round is charged to: the one recorded on the event (the rated or the
    returning one); a reply (which records none) and an event from before the department was
    recorded count for the case's;
    a rating with none recorded counts for the dispatch desk; a return always names its own
    (None: nothing to charge)."""
    code = data.get("department")
    if code:
        dept = dept_ids.get(code)
    elif code is None:
        dept = case_department
    else:
        dept = None
    if transition == Transition.RETURN:
        return dept
    return dept or NO_DEPARTMENT


def seconds(value: timedelta | int | float | None) -> float:
    """A duration from the database: a timedelta (PostgreSQL) or microseconds (SQLite)."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value or 0) / 1e6


__all__ = [
    "ALL_COUNTS",
    "REPORT_FIELDS",
    "CASE_COUNTS",
    "NO_DEPARTMENT",
    "ROUND_COUNTS",
    "ROUND_TRANSITIONS",
    "Fact",
    "Figures",
    "Key",
    "ResponseTerms",
    "add_months",
    "facts_of",
    "month_bounds",
    "month_of",
    "registration_fact",
    "contacted_by",
    "round_counts",
    "round_department",
    "department_keys",
    "seconds",
    "total",
]
