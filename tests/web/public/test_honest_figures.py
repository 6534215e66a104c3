"""Figures that cannot be flattered: every rating round counts, a return is charged to the
department that returned, every surface shows one snapshot, and the CSV carries every column."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import time_machine
from django.urls import reverse
from rest_framework.authtoken.models import Token

from cases import services
from cases.enums import Rating, State
from tests.cases.publication.helpers import at
from tests.factories import CaseFactory, make_case_in_state, reply_kwargs
from web.figures import metrics

pytestmark = pytest.mark.django_db
NOV = date(2026, 11, 1)


def _by_code(rows):
    return {r.department.code: r for r in rows if r.department is not None}


def _api(client, user, HTTP_ACCEPT_LANGUAGE=None, **params):  # noqa: N803
    token, _ = Token.objects.get_or_create(user=user)
    headers = {"HTTP_ACCEPT_LANGUAGE": HTTP_ACCEPT_LANGUAGE} if HTTP_ACCEPT_LANGUAGE else {}
    return client.get(reverse("api-reports-monthly"), params, HTTP_AUTHORIZATION=f"Token {token.key}", **headers)


def test_reopening_keeps_the_dissatisfied_round_counted(users) -> None:
    with time_machine.travel(at(2026, 11, 10, 9), tick=False):
        case = make_case_in_state(State.ANSWERED, users)
        case = services.case_feedback(case=case, actor=None, rating=Rating.DISSATISFIED, reason="not_solved")
        case = services.case_reopen(case=case, actor=users["supervisor"], department="CGJ", reason="未解决")
        case = services.case_sign_for(case=case, actor=users["clerk_cgj"])
        case = services.case_reply(**reply_kwargs(), case=case, actor=users["clerk_cgj"], text="已重新处理。")
        case = services.case_approve(case=case, actor=users["dispatcher"], answer="")
        case = services.case_feedback(case=case, actor=None, rating=Rating.SATISFIED)
        other = make_case_in_state(State.CLOSED, users)  # satisfied once
    assert case.rating == Rating.SATISFIED and other.rating == Rating.SATISFIED
    cgj = _by_code(metrics.department_figures(NOV))["CGJ"]
    # Three rated answers, two satisfied: 66.67%, not the 100% the case's last rating alone gives.
    assert (cgj.rated, cgj.satisfied, cgj.satisfaction_rate) == (3, 2, 0.6667)
    assert cgj.reopened == 1
    [nov] = metrics.monthly_series(NOV, NOV)
    assert (nov.rated, nov.satisfied) == (3, 2)
    [cgj_series] = metrics.monthly_series(NOV, NOV, department=cgj.department)
    assert (cgj_series.rated, cgj_series.satisfied) == (3, 2)


def test_a_round_counts_for_the_department_whose_answer_was_rated(users) -> None:
    with time_machine.travel(at(2026, 11, 10, 9), tick=False):
        case = make_case_in_state(State.ANSWERED, users)  # CGJ answers
        case = services.case_feedback(case=case, actor=None, rating=Rating.DISSATISFIED, reason="not_solved")
        case = services.case_reopen(case=case, actor=users["supervisor"], department="HBJ", reason="应由环保处理")
    rows = _by_code(metrics.department_figures(NOV))
    assert (rows["CGJ"].registered, rows["CGJ"].rated, rows["CGJ"].satisfied) == (0, 1, 0)
    assert (rows["HBJ"].registered, rows["HBJ"].rated) == (1, 0)


def test_a_return_is_charged_to_the_department_that_returned(users) -> None:
    with time_machine.travel(at(2026, 11, 10, 9), tick=False):
        case = make_case_in_state(State.ASSIGNED, users)  # to CGJ
        case = services.case_return(case=case, actor=users["clerk_cgj"], reason="不属于本单位")
        case = services.case_assign(case=case, actor=users["dispatcher"], department="HBJ")
        case = services.case_sign_for(case=case, actor=users["clerk_hbj"])
    assert case.return_count == 1 and case.department.code == "HBJ"
    rows = _by_code(metrics.department_figures(NOV))
    assert (rows["CGJ"].registered, rows["CGJ"].returned) == (0, 1)
    assert (rows["HBJ"].registered, rows["HBJ"].returned) == (1, 0)
    assert metrics.total(list(rows.values())).returned == 1
    [hbj_series] = metrics.monthly_series(NOV, NOV, department=rows["HBJ"].department)
    [cgj_series] = metrics.monthly_series(NOV, NOV, department=rows["CGJ"].department)
    assert (hbj_series.returned, cgj_series.returned) == (0, 1)


@pytest.fixture
def november(users):
    """45 cases registered on 20 November by 10:01, then one more at 10:02."""
    with time_machine.travel(at(2026, 11, 20, 9), tick=False):
        for _ in range(3):
            make_case_in_state(State.CLOSED, users)
        services.case_reject(case=CaseFactory(actor=users["agent"]), actor=users["dispatcher"], reason="out_of_remit")
        for _ in range(41):
            CaseFactory(actor=users["agent"])


def _stats_total(client) -> int:
    return client.get(reverse("stats:index"), {"month": "2026-11"}).context["total"].registered


def _report_total(client) -> int:
    return client.get(reverse("reports:monthly"), {"month": "2026-11"}).context["data"].total.registered


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_stats_report_api_and_csv_agree_at_the_same_moment(november, users, client) -> None:
    with time_machine.travel(at(2026, 11, 20, 10, 1), tick=False):
        assert _stats_total(client) == 45  # someone looks at the public page
    with time_machine.travel(at(2026, 11, 20, 10, 2), tick=False):
        CaseFactory(actor=users["agent"])  # the 46th
    with time_machine.travel(at(2026, 11, 20, 10, 3), tick=False):
        stats = client.get(reverse("stats:index"), {"month": "2026-11"}).context
        client.force_login(users["supervisor"])
        report = client.get(reverse("reports:monthly"), {"month": "2026-11"}).context["data"]
        api = _api(client, users["supervisor"], month="2026-11").json()
        lines = _csv(client.get(reverse("reports:monthly"), {"month": "2026-11", "format": "csv", "lang": "en"}))
        api_lines = _csv(_api(client, users["supervisor"], month="2026-11", format="csv", lang="en"))
    # One snapshot, one cut-off: all say 45, as of 10:01 (the public page used to say 45 from its
    # own cache while the report counted 46 live).
    totals = {name: dict(zip(lines[0], line, strict=True)) for name, line in (("csv", lines[-1]),)}
    assert stats["total"].registered == report.total.registered == api["total"]["registered"] == 45
    assert totals["csv"]["department"] == "ALL" and totals["csv"]["registered"] == "45"
    assert api_lines == lines
    assert stats["as_of"] == report.as_of == at(2026, 11, 20, 10, 1)
    assert api["as_of"] == "2026-11-20T10:01:00+08:00"
    # Every department row agrees too, rates and all.
    csv_rows = {row[1]: dict(zip(lines[0], row, strict=True)) for row in lines[1:]}
    for row in api["rows"]:
        for key, value in row.items():
            if key == "department_name":  # the English CSV names departments in English
                continue
            assert csv_rows[row["department"]][key] == ("" if value is None else str(value)), key
    assert {r.department.code: r.registered for r in stats["rows"]} == {
        r.department.code: r.registered for r in report.rows
    }
    assert (report.total.rejected, report.total.closed, report.total.closure_rate) == (1, 3, 0.0682)
    # The next window counts the 46th everywhere.
    with time_machine.travel(at(2026, 11, 20, 10, 5), tick=False):
        assert _stats_total(client) == _report_total(client) == 46
        assert _api(client, users["supervisor"], month="2026-11").json()["total"]["registered"] == 46


def test_csv_carries_every_json_column_and_a_totals_row_in_one_language(november, users, client) -> None:
    with time_machine.travel(at(2026, 11, 20, 10, 3), tick=False):
        client.force_login(users["dispatcher"])  # signed in at the pinned moment
        api = _api(client, users["dispatcher"], month="2026-11").json()
        english = _csv(client.get(reverse("reports:monthly"), {"month": "2026-11", "format": "csv", "lang": "en"}))
        chinese = _csv(client.get(reverse("reports:monthly"), {"month": "2026-11", "format": "csv"}))
        by_header = _csv(
            client.get(reverse("reports:monthly"), {"month": "2026-11", "format": "csv"}, HTTP_ACCEPT_LANGUAGE="en")
        )
        api_zh = _csv(_api(client, users["dispatcher"], month="2026-11", format="csv", lang="zh"))
        api_plain = _csv(_api(client, users["dispatcher"], month="2026-11", format="csv"))
        api_chinese = _csv(
            _api(client, users["dispatcher"], month="2026-11", format="csv", HTTP_ACCEPT_LANGUAGE="zh-CN")
        )
        bad = _api(client, users["dispatcher"], month="2026-11", format="csv", lang="fr")
        bad_page = client.get(reverse("reports:monthly"), {"month": "2026-11", "format": "csv", "lang": "fr"})
    header = english[0]
    assert set(api["rows"][0]) <= set(header) and "first_contact_rate" in header and "hotline_registered" in header
    assert by_header[0] == header  # Accept-Language: en, no ?lang=
    total = dict(zip(header, english[-1], strict=True))
    assert (total["department"], total["registered"], total["first_contact_rate"]) == ("ALL", "45", "")
    assert {k: total[k] for k in ("closed", "rejected", "closure_rate", "rated", "satisfied")} == {
        "closed": "3",
        "rejected": "1",
        "closure_rate": "0.0682",
        "rated": "3",
        "satisfied": "3",
    }
    # Chinese headings throughout: no English column names left among them.
    zh_header = chinese[0]
    assert zh_header[:4] == ["月份", "单位代码", "单位", "受理"] and "一次办结率" in zh_header
    assert not any(h.isascii() for h in zh_header)
    assert api_zh[0] == zh_header and chinese[-1][1:3] == ["ALL", "合计"]
    # A program that names no language keeps the API's column names (the JSON ones).
    assert api_plain[0] == header and api_chinese[0] == zh_header
    assert len(zh_header) == len(header) and chinese[1:] != [] and len(chinese) == len(english)
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/json")
    assert bad.json()["error"]["fields"]["lang"]
    assert bad_page.status_code == 400


class _DownCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache is down")

        return fail


def test_figures_are_computed_live_when_the_cache_is_down(november, users, client, monkeypatch) -> None:
    monkeypatch.setattr(metrics, "cache", _DownCache())
    with time_machine.travel(at(2026, 11, 20, 10, 3), tick=False):
        assert _stats_total(client) == 45
        client.force_login(users["supervisor"])
        assert _report_total(client) == 45
