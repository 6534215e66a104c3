"""The overdue board: exact counts per department and stage in a fixed number of queries, the
API, the supervisors' page with its grant/refuse forms, and the inbox's deadline badge."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client

from cases import services
from cases.enums import State
from sla import board, sweeper
from sla.deadlines import prefetch_timers, row_clock
from sla.enums import ExtensionStatus, Stage
from sla.models import Extension, Timer
from sla.services import extension_request
from tests.factories import CaseFactory, make_case_in_state
from tests.sla.fixtures import at, clock  # noqa: F401
from tests.web.api.api_helpers import assert_error, staff_client

pytestmark = pytest.mark.django_db

NOW = at(2026, 11, 25, 10, 0)  # Wednesday


@pytest.fixture
def scene(users, clock):
    """Monday 09:30: cases at every colour; the worker has run up to Wednesday 10:00."""
    cases = {
        "cgj_running": make_case_in_state(State.IN_PROGRESS, users),  # reply due 10 Dec
        "cgj_unsigned": make_case_in_state(State.ASSIGNED, users),  # sign-for due Tue 17:30: breached
        "hbj_paused": make_case_in_state(State.IN_PROGRESS, users, department="HBJ"),
        "triage_late": CaseFactory(actor=users["agent"]),  # triage due Mon 11:30: breached
    }
    clock.set(at(2026, 11, 23, 15, 0))
    services.case_hold(case=cases["hbj_paused"], actor=users["clerk_hbj"], reason="等待补充材料。")
    clock.set(at(2026, 11, 25, 9, 0))
    cases["triage_fresh"] = CaseFactory(actor=users["agent"])  # due 11:00, warns 10:36
    clock.set(NOW)
    while sweeper.Sweeper().step(now=NOW):
        pass
    clock.set(at(2026, 11, 25, 10, 40))
    sweeper.Sweeper().step()  # the fresh triage clock turns amber
    return cases


def test_the_board_counts_live_timers_per_department_and_stage(scene):
    rows = {((r["department"] or {}).get("code"), r["stage"]): r for r in board.board_rows()}
    counts = {key: (r["running"], r["warning"], r["breached"], r["paused"], r["escalated"]) for key, r in rows.items()}
    assert counts == {
        ("CGJ", Stage.REPLY): (2, 0, 0, 0, 0),
        ("CGJ", Stage.SIGN_FOR): (0, 0, 1, 0, 1),
        ("HBJ", Stage.REPLY): (0, 0, 0, 1, 0),
        ("XFJ", Stage.TRIAGE): (0, 1, 1, 0, 1),
    }
    assert rows[("CGJ", Stage.REPLY)]["department"]["name"] == "示范区城市管理和综合执法局"


def test_the_oldest_breached_come_first_with_how_long_they_are_overdue(scene):
    oldest = board.oldest_breached(at(2026, 11, 25, 11, 30))
    # The fresh triage clock (due 11:00) is red at 11:30 by the one colour rule, though the worker
    # last ran at 10:40 and has not marked it breached yet.
    assert [(r["tracking_no"], r["stage"]) for r in oldest] == [
        (scene["triage_late"].tracking_no, Stage.TRIAGE),
        (scene["cgj_unsigned"].tracking_no, Stage.SIGN_FOR),
        (scene["triage_fresh"].tracking_no, Stage.TRIAGE),
    ]
    assert oldest[0]["overdue_seconds"] == 2 * 86400  # Monday 11:30 to Wednesday 11:30
    assert oldest[1]["overdue_seconds"] == 18 * 3600  # Tuesday 17:30 to Wednesday 11:30
    assert oldest[2]["overdue_seconds"] == 30 * 60
    assert (oldest[0]["escalation_level"], oldest[2]["escalation_level"]) == (1, 0)


def test_the_board_takes_eight_queries_however_many_cases_there_are(scene, users, django_assert_num_queries):
    # The counts (on PostgreSQL the counters and the search for unswept clocks; elsewhere rows and
    # totals), the departments' names, oldest red (breached; running past due), orders, extensions, urges (their
    # departments' names are one more query once there are urges: tests/cases/test_followup.py).
    with django_assert_num_queries(8):
        small = board.overdue_board()
    for _ in range(5):
        make_case_in_state(State.ASSIGNED, users)
        CaseFactory(actor=users["agent"])
    extension_request(case=scene["cgj_running"], actor=users["clerk_cgj"], until="2026-12-15", reason="协调")
    while sweeper.Sweeper().step(now=at(2026, 11, 30, 9, 0)):
        pass
    with django_assert_num_queries(8):
        big = board.overdue_board()
    assert big["totals"]["breached"] > small["totals"]["breached"]
    assert len(big["pending_extensions"]) == 1


def test_the_api_gives_supervisors_the_board_in_one_shape(scene, users):
    r = staff_client(users["supervisor"]).get("/api/v1/boards/overdue/")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {
        "generated_at",
        "totals",
        "rows",
        "oldest_breached",
        "supervision_orders",
        "pending_extensions",
        "urges",
    }
    assert body["urges"] == {"total": 0, "cases": 0, "rows": []}
    assert body["totals"] == {"running": 2, "warning": 1, "breached": 2, "paused": 1, "escalated": 2}
    first = body["oldest_breached"][0]
    assert (first["tracking_no"], first["department"]["code"], first["due_at"]) == (
        scene["triage_late"].tracking_no,
        "XFJ",
        "2026-11-23T11:30:00+08:00",
    )
    assert first["overdue_seconds"] > 0
    assert sorted(o["department"] for o in body["supervision_orders"]) == ["CGJ", "XFJ"]
    assert {o["escalation"] for o in body["supervision_orders"]} == {True}


@pytest.mark.parametrize("who", ["clerk_cgj", "dispatcher", "agent"])
def test_the_api_board_is_for_supervisors_only(scene, users, who):
    assert_error(staff_client(users[who]).get("/api/v1/boards/overdue/"), 403, "forbidden")


def test_the_api_board_needs_a_sign_in(scene):
    r = Client().get("/api/v1/boards/overdue/")
    assert r.status_code in {401, 403}
    assert "error" in r.json()


def page_client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_page_shows_red_and_amber_with_links_to_the_cases(scene, users):
    html = page_client(users["supervisor"]).get("/console/sla/board/").content.decode()
    late = scene["triage_late"].tracking_no
    assert f'href="/console/cases/{late}/"' in html
    assert (
        'class="sla-breached"><a href="/console/cases/?department=CGJ&amp;stage=sign_for&amp;colour=breached">1</a></td>'
        in html
    )
    assert (
        'class="sla-warning"><a href="/console/cases/?department=XFJ&amp;stage=triage&amp;colour=warning">1</a></td>'
        in html
    )
    assert "催办" in html  # the open escalation orders
    assert "系统超期升级" in html


def test_the_page_is_refused_to_a_department_clerk(scene, users):
    r = page_client(users["clerk_cgj"]).get("/console/sla/board/")
    assert r.status_code == 403
    assert scene["triage_late"].tracking_no not in r.content.decode()


def test_the_page_sends_strangers_to_sign_in(scene):
    r = Client().get("/console/sla/board/")
    assert r.status_code == 302
    assert r["Location"].startswith("/console/login/")


def test_a_supervisor_grants_an_extension_from_the_page(scene, users, clock):
    ext = extension_request(case=scene["cgj_running"], actor=users["clerk_cgj"], until="2026-12-15", reason="协调")
    c = page_client(users["supervisor"])
    assert f'action="/console/sla/extensions/{ext.pk}/decide/"' in c.get("/console/sla/board/").content.decode()
    r = c.post(f"/console/sla/extensions/{ext.pk}/decide/", {"decision": "grant", "note": ""}, follow=True)
    assert r.redirect_chain == [("/console/sla/board/", 302)]
    ext.refresh_from_db()
    assert ext.status == ExtensionStatus.GRANTED
    assert "已批准" in r.content.decode()


def test_a_refusal_without_a_note_is_sent_back_with_the_reason(scene, users):
    ext = extension_request(case=scene["cgj_running"], actor=users["clerk_cgj"], until="2026-12-15", reason="协调")
    c = page_client(users["supervisor"])
    r = c.post(f"/console/sla/extensions/{ext.pk}/decide/", {"decision": "refuse", "note": ""}, follow=True)
    assert "请填写审批意见" in r.content.decode()
    assert Extension.objects.get(pk=ext.pk).status == ExtensionStatus.PENDING
    r = page_client(users["clerk_cgj"]).post(f"/console/sla/extensions/{ext.pk}/decide/", {"decision": "grant"})
    assert Extension.objects.get(pk=ext.pk).status == ExtensionStatus.PENDING


BADGE = Template('{% include "sla/_clock.html" with clock=clock %}')


SCENE_END = at(2026, 11, 25, 10, 40)  # the scene's last moment


def badge(case) -> str:
    return BADGE.render(Context({"clock": row_clock(case, now=SCENE_END)}))


@pytest.mark.parametrize(
    ("name", "css", "text"),
    [
        ("cgj_running", "sla-running", "12-10 17:30 到期"),
        ("cgj_unsigned", "sla-breached", "超期"),
        ("hbj_paused", "sla-paused", "已暂停"),
        ("triage_fresh", "sla-warning", "11-25 11:00 到期"),
    ],
)
def test_the_deadline_badge_shows_the_clock_that_matters_in_its_colour(scene, name, css, text):
    html = badge(scene[name])
    assert f"sla-badge {css}" in html
    assert text in html


def test_the_badge_is_empty_for_a_case_without_a_live_clock(users, clock):
    closed = make_case_in_state(State.CLOSED, users)
    assert badge(closed).strip() == ""
    assert not Timer.objects.filter(case=closed, stopped_at__isnull=True).exists()


def test_badges_for_a_whole_list_cost_one_query_with_the_prefetch(scene, django_assert_num_queries):
    from cases.models import Case

    with django_assert_num_queries(2):  # the cases, then all their timers
        html = "".join(badge(c) for c in prefetch_timers(Case.objects.all()))
    assert html.count("sla-badge") == 5
