"""SLA data: business calendars and policies (calendar part), timers and friends (below the marker)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.enums import Channel, Kind, Priority

from .enums import ExceptionKind, ExtensionStatus, Stage, SupervisionLevel, TermUnit, TimerStatus, Weekday

MAX_TERM_DAYS = 3650
MAX_TERM_HOURS = 10000


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("未知时区：%(tz)s"), params={"tz": value}) from exc


def validate_year_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(y, int) and 1900 <= y <= 2200 for y in value):
        raise ValidationError(_("请填写年份列表，例如 [2026, 2027]。"))


class Calendar(models.Model):
    """A time zone, weekly working hours and dated exceptions (holidays, make-up working days)."""

    code = models.CharField(_("代码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    timezone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai", validators=[validate_timezone])
    makeup_weekday = models.PositiveSmallIntegerField(
        _("调休日作息"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text=_("调休工作日按这一天的工作时间上班。"),
    )
    yearly_schedule = models.BooleanField(
        _("需要逐年节假日安排"),
        default=True,
        help_text=_("勾选后，未标记为“已完整”的年份按仅周末休息计算，并标记期限为“日历不完整”。"),
    )
    complete_years = models.JSONField(
        _("已完整的年份"),
        default=list,
        blank=True,
        validators=[validate_year_list],
        help_text=_("已录入全部节假日和调休安排的年份，例如 [2026, 2027]。"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def years_with_data(self) -> list[int]:
        """Years whose holidays and make-up days are known (marked complete by the seed or an admin)."""
        return sorted({int(y) for y in self.complete_years or []})

    def clean(self) -> None:
        super().clean()
        validate_year_list(self.complete_years)
        self.complete_years = sorted(set(self.complete_years))


class WorkingHours(models.Model):
    """One working period on a weekday; a weekday may have several (morning, afternoon)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours", verbose_name=_("工作日历"))
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"), help_text=_("00:00 表示午夜 24:00。"))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name = _("工作时间")
        verbose_name_plural = _("工作时间")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def minutes(self) -> tuple[int, int]:
        """(start, end) in minutes of the day; an end of 00:00 means midnight at the end of the day."""
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        return start, (end or 24 * 60)

    def clean(self) -> None:
        super().clean()
        if self.start is None or self.end is None or self.weekday is None:
            return
        if self.start.second or self.end.second:
            raise ValidationError(_("工作时间精确到分钟。"))
        start, end = self.minutes
        if start >= end:
            raise ValidationError({"end": _("结束时间必须晚于开始时间。")})
        if self.calendar_id:
            others = WorkingHours.objects.filter(calendar_id=self.calendar_id, weekday=self.weekday).exclude(pk=self.pk)
            for other in others:
                o_start, o_end = other.minutes
                if start < o_end and o_start < end:
                    raise ValidationError(_("与同一天的另一段工作时间重叠：%(other)s"), params={"other": str(other)})


class CalendarException(models.Model):
    """A dated deviation from the weekly hours: a holiday (no work) or a make-up working day (调休)."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("工作日历")
    )
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=8, choices=ExceptionKind.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_exception_unique_date")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()

    def clean(self) -> None:
        super().clean()
        if not self.calendar_id or not isinstance(self.date, dt.date) or not self.kind:
            return
        from .calendar import check_year_has_working_day  # late: calendar.py imports this module

        others = {
            e.date: e.kind
            for e in CalendarException.objects.filter(calendar_id=self.calendar_id, date__year=self.date.year).exclude(
                pk=self.pk
            )
        }
        others[self.date] = self.kind
        check_year_has_working_day(self.calendar, self.date.year, exceptions=others)


class Policy(models.Model):
    """Overrides the default term of one stage for the cases it matches (empty field = any)."""

    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    kind = models.CharField(_("诉求类型"), max_length=16, choices=Kind.choices, blank=True)
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices, blank=True)
    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("业务分类"),
        help_text=_("也适用于其下级分类。"),
    )
    priority = models.CharField(_("紧急程度"), max_length=8, choices=Priority.choices, blank=True)
    unit = models.CharField(_("期限单位"), max_length=16, choices=TermUnit.choices)
    value = models.DecimalField(
        _("期限"),
        max_digits=7,
        decimal_places=2,
        help_text=_("工作日为 0 表示“当日”：当前工作日下班前。"),
    )
    calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("工作日历"),
    )
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["stage", "id"]
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")

    def __str__(self) -> str:
        scope = " / ".join(
            str(x)
            for x in (
                self.get_kind_display() if self.kind else "",
                self.get_channel_display() if self.channel else "",
                self.category or "",
                self.get_priority_display() if self.priority else "",
            )
            if x
        ) or _("全部")
        return f"{self.get_stage_display()} · {scope}: {self.value} {self.get_unit_display()}"

    def clean(self) -> None:
        super().clean()
        if self.value is None or not self.unit:
            return
        if self.value < 0:
            raise ValidationError({"value": _("期限不能为负数。")})
        limit = MAX_TERM_HOURS if self.unit == TermUnit.WORKING_HOURS else MAX_TERM_DAYS
        if self.value > limit:
            raise ValidationError(
                {"value": ValidationError(_("期限过长（上限 %(limit)s）。"), params={"limit": limit})}
            )
        if self.unit != TermUnit.WORKING_HOURS and self.value != int(self.value):
            raise ValidationError({"value": _("天数必须是整数。")})


# --- timers (slatimers) ---

# The one definition of a live timer: not stopped — running, paused (on hold), or breached and still
# running. Its Python twin is ``Timer.is_live``; the read APIs are in ``sla.deadlines``.
LIVE = models.Q(stopped_at__isnull=True)


class Timer(models.Model):
    """One stage's clock on one case. ``next_action_at`` is the sweeper's work queue: the
    next moment something must happen (warn, breach, escalate, auto-close); None = nothing."""

    # Indexed by Meta's (case, stage), which serves every lookup by case alone.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="timers", verbose_name=_("工单"), db_index=False
    )
    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="timers", verbose_name=_("工作日历"))
    # Who the clock runs against (the case's department, or the dispatch desk for triage/review);
    # stored so the board groups without joining the cases table.
    department = models.ForeignKey(
        "cases.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("责任单位"),
    )
    term_unit = models.CharField(_("期限单位"), max_length=16, choices=TermUnit.choices)
    term_value = models.DecimalField(_("期限"), max_digits=7, decimal_places=2)
    status = models.CharField(_("状态"), max_length=10, choices=TimerStatus.choices, default=TimerStatus.RUNNING)
    started_at = models.DateTimeField(_("开始"))
    warn_at = models.DateTimeField(_("预警时间"))
    due_at = models.DateTimeField(_("到期时间"))
    original_due_at = models.DateTimeField(_("原定到期时间"), help_text=_("延期上限从这里算起。"))
    calendar_incomplete = models.BooleanField(_("日历不完整"), default=False)
    warned_at = models.DateTimeField(_("已预警"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超期时间"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("结束"), null=True, blank=True)
    # Anchors for recounting: a hold keeps the time left (in the term's units, as seconds) …
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.FloatField(null=True, blank=True)
    remaining_warn_seconds = models.FloatField(null=True, blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    # … and a granted extension fixes the deadline.
    extended = models.BooleanField(_("已延期"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("升级级别"), default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True)
    # The sweeper's lease: a worker that dies lets its claim expire and another takes over.
    claimed_by = models.CharField(max_length=64, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("计时器")
        verbose_name_plural = _("计时器")
        indexes = [
            models.Index(
                fields=["next_action_at"], condition=models.Q(next_action_at__isnull=False), name="sla_timer_work_queue"
            ),
            # The board counts live timers by colour from this index alone (PostgreSQL: index-only scan):
            # the colour rule reads status, warned_at, warn_at and due_at.
            models.Index(
                fields=["department", "stage", "status"],
                include=["warned_at", "warn_at", "due_at", "escalation_level"],
                condition=models.Q(stopped_at__isnull=True),
                name="sla_timer_live_colour_cover",
            ),
            # The board's oldest red clocks read in (due_at, id) order from these two, no sort.
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(stopped_at__isnull=True, status="breached"),
                name="sla_timer_live_breached_order",
            ),
            models.Index(fields=["case", "stage"], name="sla_timer_case_stage"),
            # The board's counters hold stored colours; these two find the running clocks whose
            # colour time has changed since (sla.board_counts.time_correction): past warn_at and
            # not warned, or past due_at. When the sweeper keeps up, both ranges are nearly empty.
            models.Index(
                fields=["warn_at"],
                include=["case_id"],
                condition=models.Q(
                    stopped_at__isnull=True,
                    status="running",
                    warned_at__isnull=True,
                    stage__in=["triage", "sign_for", "reply", "review"],
                ),
                name="sla_timer_board_unwarned",
            ),
            models.Index(
                fields=["due_at", "id"],
                include=["case_id"],
                condition=models.Q(
                    stopped_at__isnull=True, status="running", stage__in=["triage", "sign_for", "reply", "review"]
                ),
                name="sla_timer_board_running_due",
            ),
            # The console's calendar banner on every page (sla.selectors.calendar_incomplete_years):
            # the few live clocks counting into a year without a holiday schedule.
            models.Index(
                fields=["calendar", "due_at"],
                condition=models.Q(stopped_at__isnull=True, calendar_incomplete=True),
                name="sla_timer_live_incomplete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_stage_display()} {self.get_status_display()}"

    @property
    def is_live(self) -> bool:
        """``LIVE`` for one loaded timer."""
        return self.stopped_at is None


class Extension(models.Model):
    """A department's request for more time on its reply, and a supervisor's decision."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="extensions", verbose_name=_("工单"))
    timer = models.ForeignKey(Timer, on_delete=models.CASCADE, related_name="extensions")
    department = models.ForeignKey(
        "cases.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("承办单位")
    )
    requested_by = models.ForeignKey("cases.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    previous_due_at = models.DateTimeField(_("原到期时间"))
    until = models.DateTimeField(_("申请延期至"))
    reason = models.TextField(_("延期理由"))
    status = models.CharField(_("状态"), max_length=8, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    decided_by = models.ForeignKey("cases.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            models.UniqueConstraint(
                fields=["timer"],
                condition=models.Q(status=ExtensionStatus.PENDING),
                name="sla_extension_one_pending_per_timer",
            ),
        ]

    def __str__(self) -> str:
        return f"extension {self.pk} ({self.status})"


class SupervisionOrder(models.Model):
    """督办: a formal order about a case to its department, by a supervisor or by escalation."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="supervision_orders", verbose_name=_("工单")
    )
    timer = models.ForeignKey(
        Timer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="orders",
        help_text=_("由超期升级产生时所属的计时器。"),
    )
    department = models.ForeignKey(
        "cases.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("承办单位"),
    )
    level = models.PositiveSmallIntegerField(_("级别"), choices=SupervisionLevel.choices)
    issued_by = models.ForeignKey(
        "cases.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空表示系统超期自动升级。"),
    )
    issued_at = models.DateTimeField(_("下达时间"))
    note = models.TextField(_("督办意见"), blank=True)
    # The date the supervisor wants the answer by (its own clock: sla.deadlines.order_colour).
    answer_by = models.DateTimeField(_("限期回复"), null=True, blank=True)
    answered_by = models.ForeignKey("cases.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    answer = models.TextField(_("回复"), blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        constraints = [
            # An escalation is never doubled: one order per timer and level, whichever worker acts.
            models.UniqueConstraint(
                fields=["timer", "level"],
                condition=models.Q(timer__isnull=False),
                name="sla_supervision_once_per_timer_level",
            ),
        ]
        indexes = [
            models.Index(
                fields=["department"], condition=models.Q(answered_at__isnull=True), name="sla_supervision_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.pk}"


class BoardCount(models.Model):
    """One delta of the overdue board's counts (``sla.board_counts``): written by PostgreSQL
    triggers on the timer table, never updated, folded by ``board_counts.compact``. A key is a
    (department, stage) row of the board, or the whole board (``is_total``); the counts are of
    distinct cases under the timers' stored colours."""

    is_total = models.BooleanField(default=False)
    # No foreign key constraint: the triggers insert these rows for every timer statement, and a
    # department with timers cannot be deleted anyway (Timer.department is PROTECT).
    department = models.ForeignKey(
        "cases.Department", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    stage = models.CharField(max_length=16, blank=True)
    running = models.IntegerField(default=0)
    warning = models.IntegerField(default=0)
    breached = models.IntegerField(default=0)
    paused = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("看板计数")
        verbose_name_plural = _("看板计数")

    def __str__(self) -> str:
        key = "total" if self.is_total else f"{self.department_id} {self.stage}"
        return f"{key}: " + " ".join(
            f"{c}={getattr(self, c)}" for c in ("running", "warning", "breached", "paused", "escalated")
        )
