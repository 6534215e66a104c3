"""Query-count guards of the two case detail views: the console case page and GET /api/v1/cases/{no}/.

The count must not grow with the case's supervision orders, extension requests, messages or calls:
each is read by its app's read function with its people and departments joined or prefetched.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.enums import State
from notifications.enums import OutboxChannel, Template
from notifications.models import Outbox
from sla import services as sla
from telephony.models import Call
from tests.factories import make_case_in_state
from tests.web.api.api_helpers import staff_client

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
# Monday 23 November 2026, an ordinary working week: the reply deadline is well ahead.
START = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SH)
# Measured on the combined tree (the branches' work merged): the page reads session, user, the
# case, its events, attachments, timers, supervision orders, extensions, messages, calls (10);
# the menu's unread count and the user's department (2); answer's draft files, reply templates
# (twice: the reply form and the head's approval form), assisting departments, their opinions
# (5); dispatch's sub-units to forward to, assignments, disputes, merged cases (4); kb's last
# article used (1).
PAGE_CEILING = 22
# The API: the case (visibility check, then the detail row), timers, extensions, supervision
# orders, events, attachments (7); answer's assisting departments and opinions (2); dispatch's
# assignments (1); kb's last article used (1).
API_CEILING = 11
INBOX_CEILING = 20  # 14, plus the menu's unread count, consultations to capture (kb) and what is new (4)


@pytest.fixture(autouse=True)
def _no_realtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sla.events.publish", lambda *args: None)


def busy_case(users: dict, n: int):
    """A CGJ case in progress with ``n`` supervision orders, ``n`` extension requests (all but the
    last refused), ``n`` extra staff messages and ``n`` linked calls, each by different people."""
    with time_machine.travel(START, tick=False) as traveller:
        case = make_case_in_state(State.IN_PROGRESS, users)
        for i in range(n):
            traveller.shift(dt.timedelta(minutes=5))
            sla.supervision_issue(case=case, actor=users["supervisor"], level=1 + i % 3, note=f"督办 {i}")
            ext = sla.extension_request(
                case=case, actor=users["clerk_cgj" if i % 2 else "head_cgj"], until="2026-12-15", reason=f"理由 {i}"
            )
            if i < n - 1:
                sla.extension_decide(
                    extension=ext, actor=users["supervisor" if i % 2 else "admin"], grant=False, note=f"不批准 {i}"
                )
            Outbox.objects.create(
                recipient=users["clerk_cgj" if i % 2 else "head_cgj"],
                channel=OutboxChannel.EMAIL,
                template=Template.TIMER_WARNING,
                idempotency_key=f"q:{case.pk}:{i}",
                case=case,
            )
            call = Call.objects.create(
                call_sid=f"CA{case.pk:06d}{i:04d}",
                from_number="+8613800138000",
                caller_phone="13800138000",
                started_at=START,
                agent=users["agent"] if i % 2 else None,
            )
            call.cases.add(case)
        # one order answered, so the page shows an answer next to the open ones
        order = case.supervision_orders.order_by("pk").first()
        sla.supervision_answer(order=order, actor=users["clerk_cgj"], text="已处理")
    return case


def count_queries(fetch) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = fetch()
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries), response


def page_queries(client, users: dict, case) -> tuple[int, str]:
    # Sign in at the pinned moment: a session opened at today's real date would have expired by then
    # when today is before it (or not yet begun when after).
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        client.force_login(users["clerk_cgj"])
        n, response = count_queries(lambda: client.get(reverse("console:case", args=[case.tracking_no])))
    return n, response.content.decode()


def api_queries(users: dict, case) -> tuple[int, dict]:
    api = staff_client(users["clerk_cgj"])
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        n, response = count_queries(lambda: api.get(f"/api/v1/cases/{case.tracking_no}/"))
    return n, response.json()


def test_the_case_page_reads_the_same_number_of_queries_for_one_or_five_orders_extensions_messages(
    client, users, django_assert_max_num_queries
):
    one, five = busy_case(users, 1), busy_case(users, 5)
    n_one, _html = page_queries(client, users, one)
    n_five, html_five = page_queries(client, users, five)
    assert html_five.count('id="order-') == 5 and html_five.count('id="extension-') == 5
    assert "督办 4" in html_five and "不批准 3" in html_five
    assert n_one == n_five
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        client.force_login(users["clerk_cgj"])
        with django_assert_max_num_queries(PAGE_CEILING):
            response = client.get(reverse("console:case", args=[five.tracking_no]))
    assert response.status_code == 200


def test_the_case_detail_api_reads_the_same_number_of_queries_for_one_or_five_orders_and_extensions(
    users, django_assert_max_num_queries
):
    one, five = busy_case(users, 1), busy_case(users, 5)
    n_one, body_one = api_queries(users, one)
    n_five, body_five = api_queries(users, five)
    assert (len(body_one["supervision"]), len(body_one["extensions"])) == (1, 1)
    assert (len(body_five["supervision"]), len(body_five["extensions"])) == (5, 5)
    assert n_one == n_five
    api = staff_client(users["clerk_cgj"])
    with time_machine.travel(START + dt.timedelta(days=1), tick=False), django_assert_max_num_queries(API_CEILING):
        api.get(f"/api/v1/cases/{five.tracking_no}/")


def test_the_inbox_reads_the_same_number_of_queries_for_one_or_five_orders_and_extensions(client, users):
    def inbox() -> tuple[int, str]:
        with time_machine.travel(START + dt.timedelta(days=1), tick=False):
            client.force_login(users["clerk_cgj"])
            n, response = count_queries(lambda: client.get(reverse("console:inbox")))
        return n, response.content.decode()

    busy_case(users, 1)
    n_one, _html = inbox()
    busy_case(users, 5)
    n_six, html = inbox()
    assert html.count('class="supervision-answer"') == 4  # 1 + 5 orders, the first of each case answered
    assert html.count('<tr id="extension-') == 6
    assert n_one == n_six <= INBOX_CEILING  # a second case in the lists, but no query per order or request
