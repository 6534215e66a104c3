"""The monthly rollups the figures are read from, what each case last contributed to them, and the
ranking's settings (weights, response term) edited in the admin."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case


def _count() -> models.BigIntegerField:
    return models.BigIntegerField(default=0)


class MonthlyRollup(models.Model):
    """The sum of the facts (``stats.figures.Fact``) of the cases registered in ``month`` that
    count for one department (0: the dispatch desk), in one category, with one channel and kind,
    plus their rating rounds and returns. Kept by ``stats.rollups``; rebuilt by ``manage.py rebuild_rollups``."""

    month = models.DateField()
    department_key = models.IntegerField(help_text="Department id; 0 for the dispatch desk.")
    category_id = models.IntegerField()
    channel = models.CharField(max_length=12)
    kind = models.CharField(max_length=16)
    # A case's counts go to shard ``case_id % ROLLUP_SHARDS`` (stats.rollups): concurrent actions on
    # different cases of one busy key (a day's intake: same month, desk, category, channel) upsert
    # different rows instead of queueing on one row lock. Readers sum over the shards.
    shard = models.SmallIntegerField(default=0)
    registered = _count()
    rejected = _count()
    merged = _count()
    transferred = _count()  # handed to the emergency services: out of the closure base
    closed = _count()
    replied = _count()
    replied_on_time = _count()
    hotline = _count()
    resolved_directly = _count()
    reopened = _count()
    answered = _count()
    handling_seconds = _count()
    assigned = _count()
    responded = _count()
    resolution_answered = _count()
    resolved = _count()
    returned = _count()
    rated = _count()
    satisfied = _count()
    reply_rounds = _count()  # reply events (each round), for the contact-before-reply rate
    contacted_first = _count()  # of which recorded contacting the citizen by the reply

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "department_key", "category_id", "channel", "kind", "shard"], name="stats_rollup_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.department_key} {self.category_id} {self.channel} {self.kind}"


class CaseFigures(models.Model):
    """What one case last contributed to the rollups, so the next action moves exactly that
    (subtract the old fact, add the new one)."""

    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE, related_name="rollup_fact")
    month = models.DateField()
    category_id = models.IntegerField()
    channel = models.CharField(max_length=12)
    kind = models.CharField(max_length=16)
    parts = models.JSONField(default=dict, help_text="Department key (as text) → counts.")
    # Where the case stands among the month's most overdue replies (the report's list): its
    # longest late stop, and the due time of its reply clock still running.
    reply_late_seconds = models.IntegerField(null=True)
    reply_live_due = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["month", "-reply_late_seconds"],
                condition=models.Q(reply_late_seconds__isnull=False),
                name="stats_fact_late_reply",
            ),
            models.Index(
                fields=["month", "reply_live_due"],
                condition=models.Q(reply_live_due__isnull=False),
                name="stats_fact_live_reply",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.parts}"


def _weight(default: str, label: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )


class RankingSettings(models.Model):
    """The 三率 ranking's weights, response term and board size, in force from ``valid_from`` (a
    month) until the next version: each month is ranked with the version of that month, so last
    year's ranking does not move when this year's weights change."""

    valid_from = models.DateField(_("生效月份"), unique=True, help_text=_("该月1日起生效，直到下一个版本。"))
    response_weight = _weight("25", _("响应率权重"))
    resolution_weight = _weight("25", _("解决率权重"))
    satisfaction_weight = _weight("30", _("满意率权重"))
    on_time_weight = _weight("20", _("按时办结率权重"))
    first_contact_weight = _weight("0", _("一次办结率权重"))
    response_working_days = models.PositiveSmallIntegerField(
        _("响应时限（工作日）"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("自转办起，承办单位须在此期限内联系群众。修改后请运行 manage.py rebuild_rollups 重算。"),
    )
    board_size = models.PositiveSmallIntegerField(
        _("红黑榜名额"), default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("排名设置")
        verbose_name_plural = _("排名设置")

    def __str__(self) -> str:
        return f"{self.valid_from:%Y-%m}"

    def save(self, *args, **kwargs) -> None:
        self.valid_from = self.valid_from.replace(day=1)
        super().save(*args, **kwargs)

    @classmethod
    def for_month(cls, month: date) -> RankingSettings:
        """The version in force in ``month``; the defaults (unsaved) when there is none."""
        found = cls.objects.filter(valid_from__lte=month).order_by("-valid_from").first()
        return found or cls(valid_from=date(2000, 1, 1))

    def weights(self) -> dict[str, float]:
        return {
            "response_rate": float(self.response_weight),
            "resolution_rate": float(self.resolution_weight),
            "satisfaction_rate": float(self.satisfaction_weight),
            "on_time_rate": float(self.on_time_weight),
            "first_contact_rate": float(self.first_contact_weight),
        }
