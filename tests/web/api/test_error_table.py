"""One table maps every domain exception an API view may raise to the API.md error shape."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cases.exceptions import (
    CaseConflict,
    CaseError,
    CaseNotFound,
    CasePermissionDenied,
    CaseValidationError,
)
from sla.calendar import NoWorkingTime, TermError, UnknownCalendar
from web.api.errors import InvalidCredentials, exception_handler

API = Path(__file__).resolve().parents[3] / "web" / "api"


class OrderNotFound(CaseNotFound):
    """A subclass the table does not list: answered as its parent."""


@pytest.mark.parametrize(
    ("exc", "status", "error"),
    [
        (
            CaseValidationError("标题太长。", fields={"title": ["标题太长。"]}),
            400,
            {"code": "invalid", "message": "标题太长。", "fields": {"title": ["标题太长。"]}},
        ),
        (
            CasePermissionDenied("不是本单位的工单。"),
            403,
            {"code": "forbidden", "message": "不是本单位的工单。", "fields": {}},
        ),
        (CaseNotFound("工单不存在。"), 404, {"code": "not_found", "message": "工单不存在。", "fields": {}}),
        (OrderNotFound("督办单不存在。"), 404, {"code": "not_found", "message": "督办单不存在。", "fields": {}}),
        (
            CaseConflict("工单已办结。", state="closed"),
            409,
            {"code": "conflict", "message": "工单已办结。", "fields": {}, "state": "closed"},
        ),
        (CaseError("其他错误。"), 400, {"code": "error", "message": "其他错误。", "fields": {}}),
        (
            InvalidCredentials("用户名或密码不正确。", fields={"non_field_errors": ["用户名或密码不正确。"]}),
            400,
            {
                "code": "invalid_credentials",
                "message": "用户名或密码不正确。",
                "fields": {"non_field_errors": ["用户名或密码不正确。"]},
            },
        ),
        (
            TermError("working_days", "只能给出一个期限。", fields=("working_days", "calendar_days")),
            400,
            {
                "code": "invalid",
                "message": "只能给出一个期限。",
                "fields": {"working_days": ["只能给出一个期限。"], "calendar_days": ["只能给出一个期限。"]},
            },
        ),
        (
            UnknownCalendar("XX"),
            400,
            {"code": "invalid", "message": "unknown calendar: XX", "fields": {"calendar": ["unknown calendar: XX"]}},
        ),
        (
            NoWorkingTime("calendar CN has no working time"),
            400,
            {
                "code": "invalid",
                "message": "calendar CN has no working time",
                "fields": {"calendar": ["calendar CN has no working time"]},
            },
        ),
    ],
)
def test_each_domain_exception_has_one_answer(exc, status, error):
    response = exception_handler(exc, {})
    assert (response.status_code, response.data) == (status, {"error": error})


def test_an_unknown_exception_is_left_to_django_and_not_dressed_up():
    assert exception_handler(RuntimeError("bug"), {}) is None


@pytest.mark.parametrize("module", ["views.py", "calendars.py", "timers.py", "reports.py"])
def test_api_views_raise_and_leave_the_answer_to_the_handler(module):
    source = (API / module).read_text()
    assert "error_response(" not in source
    assert not re.search(r"except \(?Case(Conflict|PermissionDenied|ValidationError)", source)
