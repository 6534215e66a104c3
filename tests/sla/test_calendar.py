"""Counting on the seeded CN and 24x7 calendars, pinned to the real 2026 State Council schedule
(as in chinesecalendar 1.11.0): New Year 1–3 Jan with Sunday 4 Jan worked; Spring Festival
15–23 Feb with Saturdays 14 and 28 Feb worked; Labour Day 1–5 May with Saturday 9 May worked;
Mid-autumn 25–27 Sep and National Day 1–7 Oct with Sunday 20 Sep and Saturday 10 Oct worked.
2027 has no data yet."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import (
    Deadline,
    TermError,
    UnknownCalendar,
    add_working_time,
    compute_deadline,
    load_schedule,
    working_seconds_between,
)
from sla.enums import ExceptionKind
from sla.models import Calendar, CalendarException

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, tz: dt.tzinfo = SH) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=tz)


def due(calendar: str, start: dt.datetime, **term: float) -> dt.datetime:
    deadline = compute_deadline(calendar, start, **term)
    assert deadline.incomplete is False
    return deadline.due_at


# --- the seed ---------------------------------------------------------------------------------


def test_cn_calendar_is_seeded_with_every_year_chinesecalendar_knows():
    cn = Calendar.objects.get(code="CN")
    assert cn.timezone == "Asia/Shanghai"
    assert cn.years_with_data == list(range(2004, 2027))
    kinds = dict(CalendarException.objects.filter(calendar=cn, date__year=2026).values_list("date", "kind"))
    assert kinds[dt.date(2026, 2, 17)] == ExceptionKind.HOLIDAY
    assert kinds[dt.date(2026, 10, 1)] == ExceptionKind.HOLIDAY
    assert sorted(d for d, k in kinds.items() if k == ExceptionKind.WORKDAY) == [
        dt.date(2026, 1, 4),
        dt.date(2026, 2, 14),
        dt.date(2026, 2, 28),
        dt.date(2026, 5, 9),
        dt.date(2026, 9, 20),
        dt.date(2026, 10, 10),
    ]


def test_cn_hours_are_weekday_mornings_and_afternoons_and_24x7_is_always_open():
    assert load_schedule("CN").weekly == {day: ((540, 720), (810, 1050)) for day in range(5)}
    assert load_schedule("24x7").weekly == {day: ((0, 1440),) for day in range(7)}


def test_seeding_again_changes_nothing(django_capture_on_commit_callbacks):
    from sla.seed import seed_calendars_now

    before = CalendarException.objects.count()
    assert seed_calendars_now() == {"created": 0, "updated": 0, "deleted": 0, "years": 23}
    assert CalendarException.objects.count() == before


def test_seed_overwrite_restores_an_edited_package_year_but_keeps_hand_entered_years():
    from sla.seed import seed_calendars_now

    cn = Calendar.objects.get(code="CN")
    CalendarException.objects.filter(calendar=cn, date=dt.date(2026, 10, 1)).delete()
    CalendarException.objects.create(calendar=cn, date=dt.date(2027, 2, 8), kind="holiday", name="春节")
    assert seed_calendars_now()["created"] == 1
    CalendarException.objects.filter(calendar=cn, date=dt.date(2026, 10, 2)).update(kind="workday")
    assert seed_calendars_now(overwrite=True)["updated"] == 1
    assert CalendarException.objects.get(calendar=cn, date=dt.date(2026, 10, 2)).kind == "holiday"
    assert CalendarException.objects.filter(calendar=cn, date=dt.date(2027, 2, 8)).exists()


# --- working days -------------------------------------------------------------------------------


def test_one_working_day_from_friday_before_spring_festival_is_the_make_up_saturday():
    assert due("CN", at(2026, 2, 13, 16, 0), working_days=1) == at(2026, 2, 14, 17, 30)


def test_working_days_skip_the_whole_spring_festival():
    # 14 Feb (make-up Saturday), then 15–23 Feb off, then 24 and 25 Feb.
    assert due("CN", at(2026, 2, 13, 16, 0), working_days=3) == at(2026, 2, 25, 17, 30)
    # 24–27 Feb, then the make-up Saturday 28 Feb counts as the fifth.
    assert due("CN", at(2026, 2, 23, 10, 0), working_days=5) == at(2026, 2, 28, 17, 30)


def test_working_days_skip_national_day_and_count_its_make_up_saturday():
    assert due("CN", at(2026, 9, 30, 9, 0), working_days=1) == at(2026, 10, 8, 17, 30)
    assert due("CN", at(2026, 9, 30, 9, 0), working_days=3) == at(2026, 10, 10, 17, 30)


def test_a_make_up_sunday_counts_as_a_working_day():
    # New Year 1–3 Jan off; Sunday 4 Jan 2026 is worked.
    assert due("CN", at(2025, 12, 31, 10, 0), working_days=1) == at(2026, 1, 4, 17, 30)
    # Sunday 20 Sep 2026 is worked before Mid-autumn and National Day.
    assert due("CN", at(2026, 9, 19, 10, 0), working_days=1) == at(2026, 9, 20, 17, 30)


def test_labour_day_holiday_is_skipped():
    assert due("CN", at(2026, 4, 30, 15, 0), working_days=1) == at(2026, 5, 6, 17, 30)


def test_counting_starts_the_day_after_the_local_date_whatever_the_time():
    assert due("CN", at(2026, 11, 23, 8, 0), working_days=1) == at(2026, 11, 24, 17, 30)
    assert due("CN", at(2026, 11, 23, 23, 59, 59), working_days=1) == at(2026, 11, 24, 17, 30)
    # One second later it is Tuesday: across midnight the count moves by a day.
    assert due("CN", at(2026, 11, 24, 0, 0, 0), working_days=1) == at(2026, 11, 25, 17, 30)


def test_the_local_date_counts_not_the_utc_date():
    # 17:00 UTC on Monday is 01:00 Tuesday in Shanghai.
    start = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)
    assert due("CN", start, working_days=1) == at(2026, 11, 25, 17, 30)
    assert due("CN", start, working_days=1).tzinfo == SH


def test_a_weekend_start_counts_from_monday():
    assert due("CN", at(2026, 11, 21, 10, 0), working_days=1) == at(2026, 11, 23, 17, 30)


def test_zero_working_days_means_the_end_of_the_current_working_day():
    assert due("CN", at(2026, 11, 23, 10, 0), working_days=0) == at(2026, 11, 23, 17, 30)
    assert due("CN", at(2026, 11, 23, 17, 29), working_days=0) == at(2026, 11, 23, 17, 30)
    assert due("CN", at(2026, 11, 23, 17, 30), working_days=0) == at(2026, 11, 24, 17, 30)
    assert due("CN", at(2026, 11, 21, 10, 0), working_days=0) == at(2026, 11, 23, 17, 30)
    assert due("CN", at(2026, 10, 1, 10, 0), working_days=0) == at(2026, 10, 8, 17, 30)


# --- working hours --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hh", "mm", "expected"),
    [
        (11, 59, at(2026, 11, 23, 15, 29)),  # one minute in the morning, the rest after lunch
        (12, 0, at(2026, 11, 23, 15, 30)),  # lunch does not count
        (13, 29, at(2026, 11, 23, 15, 30)),
        (13, 30, at(2026, 11, 23, 15, 30)),
        (17, 30, at(2026, 11, 24, 11, 0)),  # after hours: starts at 09:00 next working day
        (17, 31, at(2026, 11, 24, 11, 0)),
        (8, 0, at(2026, 11, 23, 11, 0)),  # before hours: starts at 09:00
    ],
)
def test_two_working_hours_count_only_working_time(hh, mm, expected):
    assert due("CN", at(2026, 11, 23, hh, mm), working_hours=2) == expected


def test_a_term_that_ends_at_the_end_of_a_period_ends_there_not_after_lunch():
    assert due("CN", at(2026, 11, 23, 9, 0), working_hours=3) == at(2026, 11, 23, 12, 0)
    assert due("CN", at(2026, 11, 23, 9, 0), working_hours=7) == at(2026, 11, 23, 17, 30)


def test_half_a_working_hour_before_the_weekend_finishes_on_monday_morning():
    assert due("CN", at(2026, 11, 20, 17, 15), working_hours=0.5) == at(2026, 11, 23, 9, 15)


def test_working_hours_cross_midnight_and_a_holiday():
    # Thursday 30 Apr 17:00: 30 minutes, then Labour Day 1–5 May, then 6 May 09:00 + 1.5 h.
    assert due("CN", at(2026, 4, 30, 17, 0), working_hours=2) == at(2026, 5, 6, 10, 30)


def test_working_seconds_between_and_add_working_time_agree_across_spring_festival():
    start, end = at(2026, 2, 13, 16, 0), at(2026, 2, 24, 10, 0)
    # Fri 1.5 h + make-up Sat 14 Feb 7 h + Tue 24 Feb 1 h.
    assert working_seconds_between("CN", start, end) == 9.5 * 3600
    assert add_working_time("CN", start, 9.5 * 3600) == Deadline(end, False)
    assert working_seconds_between("CN", end, start) == 0.0


def test_adding_no_working_time_returns_the_start():
    start = at(2026, 11, 21, 3, 0)
    assert add_working_time("CN", start, 0) == Deadline(start, False)


# --- calendar days ----------------------------------------------------------------------------------


def test_calendar_days_end_at_235959_local_and_ignore_holidays():
    assert due("CN", at(2026, 2, 13, 16, 0), calendar_days=15) == at(2026, 2, 28, 23, 59, 59)
    assert due("CN", at(2026, 9, 30, 0, 0), calendar_days=60) == at(2026, 11, 29, 23, 59, 59)


def test_calendar_days_use_the_local_date_of_the_start():
    start = dt.datetime(2026, 2, 13, 20, 0, tzinfo=dt.UTC)  # 04:00 on the 14th in Shanghai
    assert due("CN", start, calendar_days=1) == at(2026, 2, 15, 23, 59, 59)


def test_calendar_days_into_a_year_without_data_are_not_flagged():
    assert compute_deadline("CN", at(2026, 12, 1, 9), calendar_days=60) == Deadline(at(2027, 1, 30, 23, 59, 59), False)


# --- a year without data ------------------------------------------------------------------------------


def test_counting_into_a_year_without_data_is_weekends_only_and_flagged_incomplete():
    # Thu 31 Dec 2026 -> Fri 1 Jan 2027 counts as a working day (no holiday data for 2027).
    assert compute_deadline("CN", at(2026, 12, 31, 10, 0), working_days=1) == Deadline(at(2027, 1, 1, 17, 30), True)
    # Wed 30 Dec: 31 Dec, 1 Jan, (weekend), 4, 5, 6 Jan.
    assert compute_deadline("CN", at(2026, 12, 30, 10, 0), working_days=5) == Deadline(at(2027, 1, 6, 17, 30), True)
    assert compute_deadline("CN", at(2026, 12, 31, 17, 0), working_hours=2) == Deadline(at(2027, 1, 1, 10, 30), True)


def test_a_deadline_that_stays_within_a_known_year_is_not_flagged():
    assert compute_deadline("CN", at(2026, 12, 28, 10, 0), working_days=3) == Deadline(at(2026, 12, 31, 17, 30), False)


def test_marking_the_year_complete_clears_the_flag_and_its_holidays_count():
    cn = Calendar.objects.get(code="CN")
    CalendarException.objects.create(calendar=cn, date=dt.date(2027, 1, 1), kind="holiday", name="元旦")
    assert compute_deadline("CN", at(2026, 12, 31, 10), working_days=1) == Deadline(at(2027, 1, 4, 17, 30), True)
    cn.complete_years = [*cn.complete_years, 2027]
    cn.save()
    assert compute_deadline("CN", at(2026, 12, 31, 10), working_days=1) == Deadline(at(2027, 1, 4, 17, 30), False)


# --- 24x7 and other zones ---------------------------------------------------------------------------------


def test_24x7_counts_every_hour_and_is_never_incomplete():
    assert compute_deadline("24x7", at(2026, 10, 3, 22, 0), working_hours=5) == Deadline(at(2026, 10, 4, 3, 0), False)
    assert compute_deadline("24x7", at(2031, 2, 1, 12, 0), working_hours=36) == Deadline(at(2031, 2, 3, 0, 0), False)


def test_24x7_working_days_end_at_midnight_of_the_nth_day():
    assert due("24x7", at(2026, 10, 3, 22, 0), working_days=1) == at(2026, 10, 5, 0, 0)


def test_working_hours_count_real_time_across_a_daylight_saving_change():
    berlin = ZoneInfo("Europe/Berlin")
    cal = Calendar.objects.create(code="DE24", name="Berlin 24x7", timezone="Europe/Berlin", yearly_schedule=False)
    for day in range(7):
        cal.hours.create(weekday=day, start=dt.time(0, 0), end=dt.time(0, 0))
    # Clocks spring forward at 02:00 on 29 Mar 2026: 24 real hours later the wall clock reads 13:00.
    deadline = compute_deadline("DE24", at(2026, 3, 28, 12, 0, tz=berlin), working_hours=24)
    assert deadline.due_at == at(2026, 3, 29, 13, 0, tz=berlin)
    assert str(deadline.due_at.tzinfo) == "Europe/Berlin"


# --- bad terms ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "field"),
    [
        ({"working_days": -1}, "working_days"),
        ({"working_days": 3651}, "working_days"),
        ({"calendar_days": 3651}, "calendar_days"),
        ({"working_hours": 10000.5}, "working_hours"),
        ({"working_hours": -0.5}, "working_hours"),
        ({"working_hours": float("nan")}, "working_hours"),
        ({"working_days": 1.5}, "working_days"),
        ({"working_days": True}, "working_days"),
        ({"working_days": "3"}, "working_days"),
        ({}, "term"),
        ({"working_days": 1, "working_hours": 2}, "working_days"),
    ],
)
def test_bad_terms_raise_a_value_error_naming_the_field(term, field):
    with pytest.raises(ValueError, match=field) as info:
        compute_deadline("CN", at(2026, 11, 23, 9), **term)
    assert isinstance(info.value, TermError)
    assert info.value.field == field


def test_several_terms_name_every_one_given():
    with pytest.raises(TermError) as info:
        compute_deadline("CN", at(2026, 11, 23, 9), working_days=1, calendar_days=2)
    assert info.value.fields == ("calendar_days", "working_days")


def test_a_naive_start_is_refused():
    with pytest.raises(TermError, match="start"):
        compute_deadline("CN", dt.datetime(2026, 11, 23, 9), working_days=1)


def test_an_unknown_calendar_is_a_lookup_error():
    with pytest.raises(UnknownCalendar):
        compute_deadline("XX", at(2026, 11, 23, 9), working_days=1)


def test_the_largest_terms_allowed_still_compute():
    assert due("CN", at(2026, 1, 5, 9), calendar_days=3650) == at(2036, 1, 3, 23, 59, 59)
    assert compute_deadline("CN", at(2026, 1, 5, 9), working_days=3650).incomplete is True
    assert compute_deadline("CN", at(2026, 1, 5, 9), working_hours=10000).incomplete is True


def test_a_loaded_schedule_can_be_reused_without_queries(django_assert_num_queries):
    schedule = load_schedule("CN")
    compute_deadline(schedule, at(2026, 2, 13, 16), working_days=3)  # loads 2026's exceptions
    with django_assert_num_queries(0):
        assert compute_deadline(schedule, at(2026, 9, 30, 9), working_days=3).due_at == at(2026, 10, 10, 17, 30)
