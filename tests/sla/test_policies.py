"""Which term a case gets at each stage: the design's defaults, and Policy rows overriding them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from cases.enums import Channel, Kind, Priority
from cases.models import Case, Category
from sla.calendar import Deadline
from sla.enums import Stage, TermUnit
from sla.models import Calendar, Policy
from sla.policies import Term, deadline_for, term_for

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
WD, WH, CD = TermUnit.WORKING_DAYS, TermUnit.WORKING_HOURS, TermUnit.CALENDAR_DAYS


def case(
    channel: str = Channel.WEB, kind: str = Kind.COMPLAINT, priority: str = Priority.NORMAL, category: str = "CITY-VEND"
) -> Case:
    return Case(channel=channel, kind=kind, priority=priority, category=Category.objects.get(code=category))


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (Channel.HOTLINE, Term(WH, 2, "CN")),
        (Channel.WEB, Term(WH, 2, "CN")),
        (Channel.SMS, Term(WH, 2, "CN")),
        (Channel.EMAIL, Term(WH, 2, "CN")),
        (Channel.OPEN311, Term(WH, 2, "CN")),
        (Channel.LETTER, Term(CD, 15, "CN")),
        (Channel.MAILBOX, Term(CD, 15, "CN")),
    ],
)
def test_triage_defaults_to_two_working_hours_or_fifteen_days_for_letters(channel, expected):
    assert term_for(case(channel=channel), Stage.TRIAGE) == expected


@pytest.mark.parametrize(
    ("kind", "channel", "priority", "expected"),
    [
        (Kind.CONSULTATION, Channel.HOTLINE, Priority.NORMAL, Term(WD, 3, "CN")),
        (Kind.HELP, Channel.WEB, Priority.NORMAL, Term(WD, 3, "CN")),
        (Kind.COMPLAINT, Channel.WEB, Priority.NORMAL, Term(WD, 13, "CN")),
        (Kind.REPORT, Channel.HOTLINE, Priority.NORMAL, Term(WD, 13, "CN")),
        (Kind.SUGGESTION, Channel.SMS, Priority.NORMAL, Term(WD, 13, "CN")),
        (Kind.PRAISE, Channel.WEB, Priority.NORMAL, Term(WD, 13, "CN")),
        (Kind.CONSULTATION, Channel.LETTER, Priority.NORMAL, Term(CD, 60, "CN")),
        (Kind.COMPLAINT, Channel.MAILBOX, Priority.NORMAL, Term(CD, 60, "CN")),
        (Kind.COMPLAINT, Channel.HOTLINE, Priority.URGENT, Term(WD, 0, "CN")),  # same day
    ],
)
def test_reply_defaults_follow_the_kind_the_channel_and_urgency(kind, channel, priority, expected):
    assert term_for(case(channel=channel, kind=kind, priority=priority), Stage.REPLY) == expected


def test_the_other_stages_have_their_default_terms():
    normal, urgent = case(), case(priority=Priority.URGENT)
    assert term_for(normal, Stage.SIGN_FOR) == Term(WD, 1, "CN")
    assert term_for(urgent, Stage.SIGN_FOR) == Term(WH, 0.5, "CN")
    assert term_for(normal, Stage.RETURN_WINDOW) == Term(WD, 5, "CN")
    assert term_for(normal, Stage.REVIEW) == Term(WD, 1, "CN")
    assert term_for(normal, Stage.FEEDBACK) == Term(WD, 3, "CN")


def test_an_urgent_reply_is_due_at_the_end_of_the_current_working_day():
    term = term_for(case(priority=Priority.URGENT), Stage.REPLY)
    assert deadline_for(term, dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH)) == Deadline(
        dt.datetime(2026, 11, 23, 17, 30, tzinfo=SH), False
    )
    assert deadline_for(term, dt.datetime(2026, 11, 23, 18, 0, tzinfo=SH)).due_at == dt.datetime(
        2026, 11, 24, 17, 30, tzinfo=SH
    )


def test_a_registered_case_gets_its_terms_through_the_factory(users):
    from tests.factories import CaseFactory

    registered = CaseFactory(actor=users["agent"], channel=Channel.HOTLINE, kind=Kind.CONSULTATION)
    assert term_for(registered, Stage.REPLY) == Term(WD, 3, "CN")


def _policy(**fields: object) -> Policy:
    defaults = {"stage": Stage.REPLY, "unit": WD, "value": Decimal(10), "calendar": Calendar.objects.get(code="CN")}
    return Policy.objects.create(**{**defaults, **fields})


def test_a_policy_overrides_the_default_for_the_cases_it_matches():
    _policy(kind=Kind.COMPLAINT, value=Decimal(7))
    assert term_for(case(kind=Kind.COMPLAINT), Stage.REPLY) == Term(WD, 7, "CN")
    assert term_for(case(kind=Kind.HELP), Stage.REPLY) == Term(WD, 3, "CN")
    assert term_for(case(kind=Kind.COMPLAINT), Stage.REVIEW) == Term(WD, 1, "CN")


def test_the_most_specific_policy_wins():
    _policy(value=Decimal(20))  # any case
    _policy(kind=Kind.COMPLAINT, value=Decimal(10))
    _policy(kind=Kind.COMPLAINT, category=Category.objects.get(code="CITY"), value=Decimal(8))
    _policy(kind=Kind.COMPLAINT, category=Category.objects.get(code="CITY-VEND"), value=Decimal(6))
    assert term_for(case(kind=Kind.COMPLAINT, category="CITY-VEND"), Stage.REPLY).value == 6  # nearer category
    assert term_for(case(kind=Kind.COMPLAINT, category="CITY-ROAD"), Stage.REPLY).value == 8  # parent category
    assert term_for(case(kind=Kind.COMPLAINT, category="ENV-NOISE"), Stage.REPLY).value == 10
    assert term_for(case(kind=Kind.HELP, category="ENV-NOISE"), Stage.REPLY).value == 20


def test_on_equal_specificity_priority_outranks_kind():
    _policy(kind=Kind.COMPLAINT, value=Decimal(9))
    _policy(priority=Priority.URGENT, unit=WH, value=Decimal("4.5"))
    assert term_for(case(kind=Kind.COMPLAINT, priority=Priority.URGENT), Stage.REPLY) == Term(WH, 4.5, "CN")


def test_a_policy_can_use_another_calendar_and_inactive_ones_are_ignored():
    _policy(
        stage=Stage.TRIAGE,
        channel=Channel.HOTLINE,
        unit=WH,
        value=Decimal(1),
        calendar=Calendar.objects.get(code="24x7"),
    )
    _policy(stage=Stage.TRIAGE, channel=Channel.HOTLINE, kind=Kind.COMPLAINT, unit=WH, value=Decimal(9), active=False)
    term = term_for(case(channel=Channel.HOTLINE), Stage.TRIAGE)
    assert term == Term(WH, 1.0, "24x7")
    saturday_night = dt.datetime(2026, 11, 21, 23, 30, tzinfo=SH)
    assert deadline_for(term, saturday_night).due_at == dt.datetime(2026, 11, 22, 0, 30, tzinfo=SH)


@pytest.mark.parametrize(
    ("unit", "value"), [(WD, Decimal(-1)), (WD, Decimal("1.5")), (CD, Decimal(4000)), (WH, Decimal(10001))]
)
def test_a_policy_with_a_bad_term_is_refused(unit, value):
    policy = Policy(stage=Stage.REPLY, unit=unit, value=value, calendar=Calendar.objects.get(code="CN"))
    with pytest.raises(ValidationError) as info:
        policy.full_clean()
    assert "value" in info.value.message_dict
