"""Editing calendars: refusing a year without a working day (model, service, admin), the admin pages
for entering next year's schedule, and the calendar_changed signal that makes timers recompute."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from sla.calendar import calendar_changed
from sla.calendar_services import (
    calendar_mark_year,
    calendar_remove_exception,
    calendar_set_exception,
    calendar_set_hours,
)
from sla.models import Calendar, CalendarException, WorkingHours

pytestmark = pytest.mark.django_db

NINE, FIVE = dt.time(9, 0), dt.time(17, 0)


@pytest.fixture
def mondays() -> Calendar:
    """Works Mondays only; 2030 is complete and every Monday but 7 Jan 2030 is a holiday."""
    cal = Calendar.objects.create(code="MON", name="Mondays", complete_years=[2030])
    WorkingHours.objects.create(calendar=cal, weekday=0, start=NINE, end=FIVE)
    day = dt.date(2030, 1, 14)
    rows = []
    while day.year == 2030:
        rows.append(CalendarException(calendar=cal, date=day, kind="holiday", name="休"))
        day += dt.timedelta(days=7)
    CalendarException.objects.bulk_create(rows)
    return cal


@pytest.fixture
def changes() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(sender: object, calendar: Calendar, **kwargs: object) -> None:
        seen.append(calendar.code)

    calendar_changed.connect(record, dispatch_uid="test-calendar-changes")
    yield seen
    calendar_changed.disconnect(dispatch_uid="test-calendar-changes")


@pytest.fixture
def admin_client(users) -> Client:
    client = Client()
    client.force_login(users["admin"])
    return client


# --- refusing a year without a working day --------------------------------------------------------


def test_the_service_refuses_a_holiday_on_the_last_working_day_of_a_year(mondays):
    with pytest.raises(ValidationError, match="2030"):
        calendar_set_exception(calendar=mondays, date=dt.date(2030, 1, 7), kind="holiday", name="休")
    assert not CalendarException.objects.filter(calendar=mondays, date=dt.date(2030, 1, 7)).exists()


def test_a_make_up_day_elsewhere_lets_the_last_monday_go(mondays):
    calendar_set_exception(calendar=mondays, date=dt.date(2030, 1, 5), kind="workday", name="调休")
    calendar_set_exception(calendar=mondays, date=dt.date(2030, 1, 7), kind="holiday", name="休")
    assert CalendarException.objects.filter(calendar=mondays, date__year=2030).count() == 53
    with pytest.raises(ValidationError):
        calendar_remove_exception(calendar=mondays, date=dt.date(2030, 1, 5))
    assert calendar_remove_exception(calendar=mondays, date=dt.date(2030, 1, 14)) is True
    assert calendar_remove_exception(calendar=mondays, date=dt.date(2030, 1, 14)) is False


def test_the_model_clean_refuses_it_too(mondays):
    with pytest.raises(ValidationError, match="2030"):
        CalendarException(calendar=mondays, date=dt.date(2030, 1, 7), kind="holiday").full_clean()
    CalendarException(calendar=mondays, date=dt.date(2031, 1, 6), kind="holiday").full_clean()


def test_removing_every_weekly_hour_is_refused(mondays):
    with pytest.raises(ValidationError):
        calendar_set_hours(calendar=mondays, weekday=0, periods=[])
    assert WorkingHours.objects.filter(calendar=mondays).count() == 1


def test_hours_can_be_replaced_and_overlaps_are_refused(mondays):
    calendar_set_hours(calendar=mondays, weekday=2, periods=[(NINE, dt.time(12, 0)), (dt.time(13, 0), FIVE)])
    assert sorted(WorkingHours.objects.filter(calendar=mondays, weekday=2).values_list("start", "end")) == [
        (NINE, dt.time(12, 0)),
        (dt.time(13, 0), FIVE),
    ]
    with pytest.raises(ValidationError):
        calendar_set_hours(calendar=mondays, weekday=3, periods=[(NINE, dt.time(12, 0)), (dt.time(11, 0), FIVE)])
    with pytest.raises(ValidationError):
        calendar_set_hours(calendar=mondays, weekday=3, periods=[(FIVE, NINE)])
    # Now that Wednesdays work, the last Monday of 2030 may become a holiday.
    calendar_set_exception(calendar=mondays, date=dt.date(2030, 1, 7), kind="holiday")


def test_marking_a_year_complete_is_recorded_and_a_year_without_working_day_is_refused(mondays):
    assert calendar_mark_year(calendar=mondays, year=2031).years_with_data == [2030, 2031]
    assert calendar_mark_year(calendar=mondays, year=2030, complete=False).years_with_data == [2031]
    cal = Calendar.objects.create(code="EMPTY", name="no hours")
    with pytest.raises(ValidationError):
        calendar_mark_year(calendar=cal, year=2027)


# --- calendar_changed ----------------------------------------------------------------------------


def test_every_change_announces_the_calendar_once(mondays, changes):
    calendar_set_exception(calendar=mondays, date=dt.date(2031, 5, 5), kind="holiday")
    assert changes == ["MON"]
    calendar_set_hours(calendar=mondays, weekday=1, periods=[(NINE, FIVE)])
    assert changes == ["MON", "MON"]
    CalendarException.objects.get(calendar=mondays, date=dt.date(2031, 5, 5)).delete()
    assert changes == ["MON", "MON", "MON"]


def test_seeding_announces_only_when_something_changed(changes):
    from sla.seed import seed_calendars_now

    seed_calendars_now()
    assert changes == []
    CalendarException.objects.filter(calendar__code="CN", date=dt.date(2026, 10, 8)).delete()  # not a holiday
    CalendarException.objects.filter(calendar__code="CN", date=dt.date(2026, 10, 7)).delete()
    assert changes == ["CN"]
    seed_calendars_now()
    assert changes == ["CN", "CN"]


# --- the admin ------------------------------------------------------------------------------------


def _management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_an_admin_creates_a_calendar_with_hours_holidays_and_a_complete_year(admin_client, changes):
    data = {
        "code": "HK",
        "name": "Hong Kong office",
        "timezone": "Asia/Hong_Kong",
        "makeup_weekday": "0",
        "yearly_schedule": "on",
        "complete_years": "",
        "mark_year_complete": "2027",
        **_management("hours", 2),
        **_management("exceptions", 1),
        "hours-0-weekday": "0",
        "hours-0-start": "09:00",
        "hours-0-end": "18:00",
        "hours-1-weekday": "1",
        "hours-1-start": "09:00",
        "hours-1-end": "18:00",
        "exceptions-0-date": "2027-01-01",
        "exceptions-0-kind": "holiday",
        "exceptions-0-name": "New Year",
    }
    response = admin_client.post("/admin/sla/calendar/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    cal = Calendar.objects.get(code="HK")
    assert cal.years_with_data == [2027]
    assert cal.hours.count() == 2
    assert list(cal.exceptions.values_list("date", "kind")) == [(dt.date(2027, 1, 1), "holiday")]


def test_the_admin_refuses_removing_all_hours_with_a_form_error(admin_client, mondays):
    row = mondays.hours.get()
    data = {
        "code": "MON",
        "name": "Mondays",
        "timezone": "Asia/Shanghai",
        "makeup_weekday": "0",
        "yearly_schedule": "on",
        "complete_years": "2030",
        **_management("hours", 1, 1),
        **_management("exceptions", 0),
        "hours-0-id": str(row.pk),
        "hours-0-calendar": str(mondays.pk),
        "hours-0-weekday": "0",
        "hours-0-start": "09:00",
        "hours-0-end": "17:00",
        "hours-0-DELETE": "on",
    }
    response = admin_client.post(f"/admin/sla/calendar/{mondays.pk}/change/", data)
    assert response.status_code == 200
    assert "每周至少要有一段工作时间" in response.content.decode()
    assert mondays.hours.count() == 1


def test_the_admin_refuses_a_holiday_that_leaves_a_year_without_working_day(admin_client, mondays):
    data = {
        "code": "MON",
        "name": "Mondays",
        "timezone": "Asia/Shanghai",
        "makeup_weekday": "0",
        "yearly_schedule": "on",
        "complete_years": "2030",
        **_management("hours", 0),
        **_management("exceptions", 1),
        "exceptions-0-date": "2030-01-07",
        "exceptions-0-kind": "holiday",
        "exceptions-0-name": "休",
    }
    response = admin_client.post(f"/admin/sla/calendar/{mondays.pk}/change/", data)
    assert response.status_code == 200
    assert "2030 年将没有任何工作日" in response.content.decode()
    assert "每周至少要有一段工作时间" not in response.content.decode()  # the untouched hours still count
    assert not mondays.exceptions.filter(date=dt.date(2030, 1, 7)).exists()


def test_the_admin_refuses_a_bad_complete_year_list(admin_client, mondays):
    data = {
        "code": "MON",
        "name": "Mondays",
        "timezone": "Asia/Shanghai",
        "makeup_weekday": "0",
        "yearly_schedule": "on",
        "complete_years": "2030, next year",
        **_management("hours", 0),
        **_management("exceptions", 0),
    }
    response = admin_client.post(f"/admin/sla/calendar/{mondays.pk}/change/", data)
    assert response.status_code == 200
    assert "不是有效年份" in response.content.decode()
    assert Calendar.objects.get(pk=mondays.pk).years_with_data == [2030]


@time_machine.travel(dt.datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_the_calendar_admin_pages_render(admin_user, client):
    # "This year" of the inline is 2026 whatever today's date is; sign in at that moment too.
    admin_client = client
    admin_client.force_login(admin_user)
    cn = Calendar.objects.get(code="CN")
    assert admin_client.get("/admin/sla/calendar/").status_code == 200
    page = admin_client.get(f"/admin/sla/calendar/{cn.pk}/change/").content.decode()
    assert "2004, 2005" in page  # the complete years, editable
    assert "2026-10-10" in page  # this year's make-up day is in the inline
    assert "2025-10-11" not in page  # past years stay on the exception list page
    assert admin_client.get("/admin/sla/calendarexception/?date__year=2025").status_code == 200
    assert admin_client.get("/admin/sla/policy/add/").status_code == 200


# --- two administrators at once --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_edits_at_once_cannot_together_remove_the_last_working_days(org, monkeypatch):
    """Each edit alone leaves a working Monday; both together would leave none. The calendar row
    lock makes the second edit see the first and be refused."""
    import threading

    from django.db import connection

    from sla import calendar_services

    cal = Calendar.objects.create(code="MON2", name="Mondays", complete_years=[2030])
    WorkingHours.objects.create(calendar=cal, weekday=0, start=NINE, end=FIVE)
    day, rows = dt.date(2030, 1, 21), []
    while day.year == 2030:  # working Mondays left: 7 and 14 Jan
        rows.append(CalendarException(calendar=cal, date=day, kind="holiday"))
        day += dt.timedelta(days=7)
    CalendarException.objects.bulk_create(rows)

    first_is_checking, second_done = threading.Event(), threading.Event()
    real_check = calendar_services.check_year_has_working_day

    def slow_first_check(calendar: Calendar, year: int | None = None, **proposal: object) -> None:
        real_check(calendar, year, **proposal)
        if threading.current_thread().name == "first":
            first_is_checking.set()
            second_done.wait(2)  # without the lock the second edit would finish meanwhile

    monkeypatch.setattr(calendar_services, "check_year_has_working_day", slow_first_check)
    outcome: dict[str, str] = {}

    def edit(name: str, date: dt.date) -> None:
        try:
            calendar_set_exception(calendar=cal, date=date, kind="holiday")
            outcome[name] = "saved"
        except ValidationError:
            outcome[name] = "refused"
        finally:
            if name == "second":
                second_done.set()
            connection.close()

    first = threading.Thread(target=edit, args=("first", dt.date(2030, 1, 7)), name="first")
    first.start()
    first_is_checking.wait(10)
    second = threading.Thread(target=edit, args=("second", dt.date(2030, 1, 14)), name="second")
    second.start()
    first.join()
    second.join()
    assert outcome == {"first": "saved", "second": "refused"}
    assert (
        CalendarException.objects.filter(calendar=cal, date__in=[dt.date(2030, 1, 7), dt.date(2030, 1, 14)]).count()
        == 1
    )


# --- pasting next year's schedule ------------------------------------------------------------------


def test_a_pasted_schedule_is_parsed_with_ranges_kinds_names_and_comments():
    from sla.calendar_services import parse_schedule

    entries = parse_schedule(
        "# 2027 (example)\n2027-01-01 放假 元旦\n\n2027-02-10~2027-02-12 holiday 春节\n"
        "2027-02-07 班 春节调休  # Sunday\n"
    )
    assert entries == {
        dt.date(2027, 1, 1): ("holiday", "元旦"),
        dt.date(2027, 2, 10): ("holiday", "春节"),
        dt.date(2027, 2, 11): ("holiday", "春节"),
        dt.date(2027, 2, 12): ("holiday", "春节"),
        dt.date(2027, 2, 7): ("workday", "春节调休"),
    }


@pytest.mark.parametrize(
    "text",
    ["2027-13-01 放假", "2027-01-01", "2027-01-01 maybe", "2027-02-10~2027-01-01 放假", "2027-01-01~2027-12-31 放假"],
)
def test_a_bad_pasted_line_is_refused_naming_the_line(text):
    from sla.calendar_services import parse_schedule

    with pytest.raises(ValidationError, match="第 2 行"):
        parse_schedule("2027-05-01 放假 劳动节\n" + text)


def test_an_admin_pastes_next_years_schedule_and_marks_it_complete(admin_client, changes):
    from sla.calendar import Deadline, compute_deadline

    cn = Calendar.objects.get(code="CN")
    start = dt.datetime(2026, 12, 31, 10, tzinfo=cn.tz)
    assert compute_deadline(cn, start, working_days=1) == Deadline(dt.datetime(2027, 1, 1, 17, 30, tzinfo=cn.tz), True)
    data = {
        "code": "CN",
        "name": cn.name,
        "timezone": "Asia/Shanghai",
        "makeup_weekday": "0",
        "yearly_schedule": "on",
        "complete_years": ", ".join(map(str, cn.years_with_data)),
        "mark_year_complete": "2027",
        "schedule": "2027-01-01 放假 元旦\n2027-02-06~2027-02-12 放假 春节\n2027-02-14 班 春节调休",
        **_management("hours", 0),
        **_management("exceptions", 0),
    }
    response = admin_client.post(f"/admin/sla/calendar/{cn.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    cn.refresh_from_db()
    assert cn.years_with_data[-1] == 2027
    assert cn.exceptions.filter(date__year=2027).count() == 9
    assert changes == ["CN"]  # the calendar and its nine new rows: one announcement
    assert compute_deadline(cn, start, working_days=1) == Deadline(dt.datetime(2027, 1, 4, 17, 30, tzinfo=cn.tz), False)


def test_a_pasted_schedule_that_leaves_a_year_without_working_day_is_a_form_error(admin_client, mondays):
    data = {
        "code": "MON",
        "name": "Mondays",
        "timezone": "Asia/Shanghai",
        "makeup_weekday": "0",
        "yearly_schedule": "on",
        "complete_years": "2030",
        "schedule": "2030-01-07 放假",
        **_management("hours", 0),
        **_management("exceptions", 0),
    }
    response = admin_client.post(f"/admin/sla/calendar/{mondays.pk}/change/", data)
    assert response.status_code == 200
    assert "2030 年将没有任何工作日" in response.content.decode()
    assert "每周至少要有一段工作时间" not in response.content.decode()  # the untouched hours still count
    assert not mondays.exceptions.filter(date=dt.date(2030, 1, 7)).exists()


def test_the_command_loads_a_schedule_file_and_refuses_a_bad_one(tmp_path):
    from django.core.management import CommandError, call_command

    good = tmp_path / "2027.txt"
    good.write_text("2027-01-01 放假 元旦\n2027-02-06~2027-02-12 放假 春节\n2027-02-14 班 春节调休\n", encoding="utf-8")
    out = io.StringIO()
    call_command("seed_calendars", schedule=good, complete=True, stdout=out)
    assert out.getvalue().strip() == "CN: 9 dates written for 2027 (marked complete)."
    cn = Calendar.objects.get(code="CN")
    assert 2027 in cn.years_with_data
    assert cn.exceptions.get(date=dt.date(2027, 2, 14)).kind == "workday"
    bad = tmp_path / "bad.txt"
    bad.write_text("2027-05-01 放假\n2027-05-0x 放假\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第 2 行"):
        call_command("seed_calendars", schedule=bad)
    assert not cn.exceptions.filter(date=dt.date(2027, 5, 1)).exists()
    with pytest.raises(CommandError, match="unknown calendar"):
        call_command("seed_calendars", schedule=good, calendar="XX")
