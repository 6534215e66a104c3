"""Reads of the sla app other apps reuse. A case's clocks (deadline, live timers, colour) are in
``sla.deadlines``; the board's aggregates in ``sla.board``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case as DbCase  # not cases.models.Case
from django.db.models import Q, Value, When

from cases.models import Department

from .enums import ExtensionStatus
from .models import Extension, SupervisionOrder

# Extension requests in the inbox: pending ones (listed first) and those decided in the last month.
DECIDED_DAYS_SHOWN = 30
EXTENSIONS_SHOWN = 50


@dataclass(frozen=True)
class DeadlineWork:
    """A department's supervision orders to answer and its recent extension requests."""

    orders: list[SupervisionOrder]
    extensions: list[Extension]


def department_deadline_work(department: Department, *, now: dt.datetime) -> DeadlineWork:
    """The department's unanswered supervision orders (highest level first, then oldest) and its
    extension requests: every pending one, then those decided in the last ``DECIDED_DAYS_SHOWN``
    days, newest first, at most ``EXTENSIONS_SHOWN``. Two queries."""
    orders = (
        SupervisionOrder.objects.filter(department=department, answered_at__isnull=True)
        .select_related("case", "issued_by")
        .order_by("-level", "issued_at")
    )
    extensions = (
        Extension.objects.filter(department=department)
        .filter(Q(status=ExtensionStatus.PENDING) | Q(requested_at__gte=now - dt.timedelta(days=DECIDED_DAYS_SHOWN)))
        .select_related("case", "decided_by")
        .order_by(DbCase(When(status=ExtensionStatus.PENDING, then=Value(0)), default=Value(1)), "-requested_at")
    )
    return DeadlineWork(orders=list(orders), extensions=list(extensions[:EXTENSIONS_SHOWN]))
