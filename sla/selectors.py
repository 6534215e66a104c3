"""Reads of the sla app other apps reuse. A case's clocks (its citizen deadline, live timers, their
colour) are read through ``sla.deadlines``; the board's aggregates through ``sla.board``."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case as DbCase  # not cases.models.Case
from django.db.models import Q, Value, When

from cases import rules
from cases.models import Case, Department

from .enums import ExtensionStatus
from .models import Extension, SupervisionOrder

# The inbox's extension requests: pending ones, and those decided in the last month.
DECIDED_DAYS_SHOWN = 30
DEPARTMENT_EXTENSIONS_SHOWN = 50
BOARD_LIST_LIMIT = 50


# --- extensions and supervision orders (what the case page, the case API and the inbox show) -----


def case_extensions(case: Case) -> list[Extension]:
    """The case's extension requests, newest first, with what ``extension_data`` and the page read
    joined: one query however many."""
    return list(
        Extension.objects.filter(case=case)
        .select_related("case", "department", "requested_by", "decided_by")
        .order_by("-requested_at", "-pk")
    )


def case_orders(case: Case) -> list[SupervisionOrder]:
    """The case's supervision orders, newest first; one query however many."""
    return list(
        SupervisionOrder.objects.filter(case=case)
        .select_related("case", "department", "issued_by", "answered_by")
        .order_by("-issued_at", "-pk")
    )


def department_orders_to_answer(department: Department) -> list[SupervisionOrder]:
    """The orders the department has still to answer, the highest level and the oldest first."""
    return list(
        SupervisionOrder.objects.filter(department=department, answered_at__isnull=True)
        .select_related("case", "department", "issued_by")
        .order_by("-level", "issued_at", "pk")
    )


def department_extensions(
    department: Department, *, now: dt.datetime, limit: int = DEPARTMENT_EXTENSIONS_SHOWN
) -> list[Extension]:
    """The department's extension requests: every pending one (they wait on a supervisor), then those
    decided in the last ``DECIDED_DAYS_SHOWN`` days, newest first, so the clerk sees the answers.
    One query (a Case/When puts the pending ones first)."""
    since = now - dt.timedelta(days=DECIDED_DAYS_SHOWN)
    return list(
        Extension.objects.filter(department=department)
        .filter(Q(status=ExtensionStatus.PENDING) | Q(requested_at__gte=since))
        .select_related("case", "department", "requested_by", "decided_by")
        .order_by(
            DbCase(When(status=ExtensionStatus.PENDING, then=Value(0)), default=Value(1)), "-requested_at", "-pk"
        )[:limit]
    )


def pending_extensions(limit: int = BOARD_LIST_LIMIT) -> list[Extension]:
    """Every department's requests waiting for a supervisor, the oldest first (the board)."""
    return list(
        Extension.objects.filter(status=ExtensionStatus.PENDING, case__about_staff_of__isnull=True)
        .select_related("case", "department", "requested_by")
        .order_by("requested_at", "pk")[:limit]
    )


def open_orders(limit: int = BOARD_LIST_LIMIT) -> list[SupervisionOrder]:
    """Every unanswered order, the highest level and the oldest first (the board)."""
    return list(
        SupervisionOrder.objects.filter(answered_at__isnull=True, case__about_staff_of__isnull=True)
        .select_related("case", "department", "issued_by")
        .order_by("-level", "issued_at", "pk")[:limit]
    )


# --- the calendar banner (issue 12) ---------------------------------------------------------------


def calendar_incomplete_years() -> list[dict]:
    """Calendars whose running clocks count into a year without a holiday schedule
    (``Timer.calendar_incomplete``, DESIGN §4), each with the years those clocks end in: the
    console's banner for admins and supervisors. One query over the live timers so flagged."""
    from django.utils import timezone

    from .models import LIVE, Timer

    found: dict[tuple[str, str], set[int]] = {}
    rows = Timer.objects.filter(LIVE, calendar_incomplete=True).values_list(
        "calendar__code", "calendar__name", "due_at"
    )
    for code, name, due_at in rows.distinct()[:5000]:
        found.setdefault((code, name), set()).add(timezone.localtime(due_at).year)
    return [{"code": code, "name": name, "years": sorted(years)} for (code, name), years in sorted(found.items())]


def report_level_orders(*, user: object = None, limit: int = BOARD_LIST_LIMIT) -> list[SupervisionOrder]:
    """通报 (level 3) orders for the leadership's short list, newest first; reports about staff
    (restricted) only for those who may read them. One query."""
    qs = SupervisionOrder.objects.filter(level=3)
    if not rules.may_read_restricted(user):
        qs = qs.filter(case__about_staff_of__isnull=True)
    return list(qs.select_related("case", "department", "issued_by").order_by("-issued_at", "-pk")[:limit])
