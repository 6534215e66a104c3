"""Deadline endpoints of the staff API (API.md "Deadlines"): the calendars, and the deadline
of a term from a moment — the same ``compute_deadline`` the timers use."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.exceptions import CaseValidationError
from sla.calendar import NoWorkingTime, TermError, UnknownCalendar, compute_deadline, load_schedule
from sla.enums import TermUnit, Weekday
from sla.models import Calendar

MAX_PARAM_LENGTH = 64


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def calendar_summary(calendar: Calendar) -> dict:
    weekly = load_schedule(calendar).weekly
    return {
        "code": calendar.code,
        "name": calendar.name,
        "timezone": calendar.timezone,
        "years_with_data": calendar.years_with_data if calendar.yearly_schedule else None,
        "yearly_schedule": calendar.yearly_schedule,
        "working_hours": {
            Weekday(day).name.lower()[:3]: [[_hhmm(a), _hhmm(b)] for a, b in weekly.get(day, ())] for day in Weekday
        },
    }


class CalendarOut(serializers.Serializer):  # documentation of the response shape only
    code = serializers.CharField()
    name = serializers.CharField()
    timezone = serializers.CharField()
    years_with_data = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="Years with holiday data; null when the calendar needs none.",
    )
    yearly_schedule = serializers.BooleanField()
    working_hours = serializers.DictField(help_text='{"mon": [["09:00", "12:00"], …], …, "sun": []}')


class CalendarListOut(serializers.Serializer):
    count = serializers.IntegerField()
    results = CalendarOut(many=True)


class DeadlineOut(serializers.Serializer):
    calendar = serializers.CharField()
    start = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    calendar_incomplete = serializers.BooleanField()


class CalendarListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CalendarListOut, summary="The business calendars")
    def get(self, request: Request) -> Response:
        rows = [calendar_summary(c) for c in Calendar.objects.order_by("code")]
        return Response({"count": len(rows), "results": rows})


def _invalid(field: str, message: str) -> CaseValidationError:
    return CaseValidationError(message, fields={field: [message]})


def _parse_start(raw: str | None, tz: dt.tzinfo) -> dt.datetime | str:
    """The start moment, or an error message. A naive value is local time on the calendar;
    a '+' that the query string turned into a space is put back."""
    if raw is None or raw == "":
        return timezone.now().astimezone(tz)
    if len(raw) > MAX_PARAM_LENGTH:
        return _("时间格式无效，请使用 ISO 8601，例如 2026-11-21T09:30:00+08:00。")
    text = raw.strip()
    if " " in text and "T" in text:
        text = text.replace(" ", "+")
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None:
        return _("时间格式无效，请使用 ISO 8601，例如 2026-11-21T09:30:00+08:00。")
    if timezone.is_naive(value):
        value = value.replace(tzinfo=tz)
    return value


def _parse_number(name: str, raw: str) -> int | float | str:
    """The term's value, or an error message."""
    if len(raw) > MAX_PARAM_LENGTH:
        return _("请输入数字。")
    try:
        number = float(raw) if name == TermUnit.WORKING_HOURS else int(raw)
    except ValueError:
        return _("天数必须是整数。") if name != TermUnit.WORKING_HOURS else _("请输入数字。")
    return number


class DeadlineView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The deadline of one term from a moment (DESIGN.md §4)",
        parameters=[
            OpenApiParameter(
                "start",
                OpenApiTypes.DATETIME,
                description="ISO 8601; without offset it is local time on the calendar; default now",
            ),
            OpenApiParameter(
                "working_days", OpenApiTypes.INT, description="0–3650; 0 = end of the current working day"
            ),
            OpenApiParameter("working_hours", OpenApiTypes.NUMBER, description="0–10000"),
            OpenApiParameter("calendar_days", OpenApiTypes.INT, description="0–3650"),
        ],
        responses=DeadlineOut,
    )
    def get(self, request: Request, code: str) -> Response:
        calendar = Calendar.objects.filter(code=code).first()
        if calendar is None:
            raise _invalid("calendar", _("未知的工作日历：%(code)s") % {"code": code[:MAX_PARAM_LENGTH]})
        start = _parse_start(request.query_params.get("start"), calendar.tz)
        if isinstance(start, str):
            raise _invalid("start", start)
        terms: dict[str, int | float] = {}
        for name in TermUnit.values:
            raw = request.query_params.get(name)
            if raw is None:
                continue
            value = _parse_number(name, raw.strip())
            if isinstance(value, str):
                raise _invalid(name, value)
            terms[name] = value
        try:
            deadline = compute_deadline(calendar, start, **terms)
            local_start = start.astimezone(calendar.tz)
        except (TermError, UnknownCalendar, NoWorkingTime):
            raise  # sla's own errors: answered through web.api.errors.DOMAIN_ERRORS
        except (OverflowError, ValueError):  # a start near year 1 or 9999: dates run off the end
            raise _invalid("start", _("日期超出可计算范围。")) from None
        return Response(
            {
                "calendar": calendar.code,
                "start": local_start.isoformat(),
                "deadline": deadline.due_at.isoformat(),
                "calendar_incomplete": deadline.incomplete,
            }
        )
