"""sla.rules decide both which forms a page shows and what the services accept: a form is on the
page exactly when posting it would be accepted."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases import services
from cases.enums import State
from sla import rules
from sla import services as sla
from sla.models import Extension, SupervisionOrder
from tests.factories import CaseFactory, make_case_in_state
from tests.sla.fixtures import clock, published  # noqa: F401
from tests.web.api.api_helpers import assert_error, staff_client
from tests.web.console.test_console_gaps import later_than_reply_deadline, section

pytestmark = pytest.mark.django_db


def case_page(user, tracking_no: str):
    c = Client()
    c.force_login(user)
    return c.get(reverse("console:case", args=[tracking_no]))


def post_page(user, url: str, data: dict):
    c = Client()
    c.force_login(user)
    return c.post(url, data)


@pytest.fixture
def assisted(users, clock):
    """A CGJ case with HBJ assisting: HBJ's clerk sees it but does not act on it."""
    case = CaseFactory(actor=users["agent"])
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ"])
    return services.case_sign_for(case=case, actor=users["clerk_cgj"])


def test_a_clerk_of_an_assisting_department_sees_the_order_but_no_answer_form_and_is_refused(
    users, assisted, published
):
    order = sla.supervision_issue(case=assisted, actor=users["supervisor"], level=2, note="请三日内办结。")
    answer_url = reverse("sla_pages:supervision_answer", args=[order.pk])

    shown = section(case_page(users["clerk_hbj"], assisted.tracking_no).content.decode(), "deadline-work")
    assert "请三日内办结。" in shown and answer_url not in shown
    assert answer_url in section(case_page(users["clerk_cgj"], assisted.tracking_no).content.decode(), "deadline-work")

    r = post_page(users["clerk_hbj"], answer_url, {"text": "协办意见", "next": "/console/inbox/"})
    assert r.status_code == 403 and "只有被督办单位可以回复督办单。" in r.content.decode()
    assert_error(
        staff_client(users["clerk_hbj"]).post(
            f"/api/v1/supervision/{order.pk}/answer/", {"text": "协办意见"}, format="json"
        ),
        403,
        "forbidden",
    )
    assert SupervisionOrder.objects.get(pk=order.pk).answered_at is None


def test_a_clerk_of_another_department_never_sees_the_order_and_gets_404_posting_an_answer(users, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, users)  # CGJ's, HBJ has no part in it
    order = sla.supervision_issue(case=case, actor=users["supervisor"], level=1, note="请加快办理")
    assert case_page(users["clerk_hbj"], case.tracking_no).status_code == 404
    c = Client()
    c.force_login(users["clerk_hbj"])
    assert "请加快办理" not in c.get(reverse("console:inbox")).content.decode()

    r = post_page(users["clerk_hbj"], reverse("sla_pages:supervision_answer", args=[order.pk]), {"text": "不是我们的"})
    assert r.status_code == 404 and case.title not in r.content.decode()
    assert_error(
        staff_client(users["clerk_hbj"]).post(f"/api/v1/supervision/{order.pk}/answer/", {"text": "x"}, format="json"),
        404,
        "not_found",
    )
    assert SupervisionOrder.objects.get(pk=order.pk).answered_at is None


def test_an_agent_at_the_dispatch_desk_gets_no_form_for_the_desks_order_a_dispatcher_does(users, clock, published):
    """The template used to compare departments only: an agent of the dispatch desk saw a form the
    service then refused. The rule asks for the role too."""
    case = CaseFactory(actor=users["agent"])  # registered: an order goes to the dispatch desk (XFJ)
    order = sla.supervision_issue(case=case, actor=users["supervisor"], level=1, note="尽快分拨")
    answer_url = reverse("sla_pages:supervision_answer", args=[order.pk])
    assert order.department.code == users["agent"].department.code == "XFJ"

    assert answer_url not in case_page(users["agent"], case.tracking_no).content.decode()
    assert post_page(users["agent"], answer_url, {"text": "代答"}).status_code == 403
    assert answer_url in case_page(users["dispatcher"], case.tracking_no).content.decode()
    r = post_page(users["dispatcher"], answer_url, {"text": "已分拨。", "next": f"/console/cases/{case.tracking_no}/"})
    assert r.status_code == 302
    assert SupervisionOrder.objects.get(pk=order.pk).answer == "已分拨。"


def test_the_extension_forms_follow_the_rules_and_posting_without_them_is_refused(users, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, users)
    request_url = reverse("sla_pages:extension_request", args=[case.tracking_no])
    for who, shown in [("clerk_cgj", True), ("head_cgj", True), ("dispatcher", False), ("supervisor", False)]:
        assert (request_url in case_page(users[who], case.tracking_no).content.decode()) is shown, who
    r = post_page(users["dispatcher"], request_url, {"until": later_than_reply_deadline(case), "reason": "代申请"})
    assert r.status_code == 403 and not Extension.objects.exists()

    ext = sla.extension_request(
        case=case, actor=users["clerk_cgj"], until=later_than_reply_deadline(case), reason="需协调"
    )
    decide_url = reverse("sla_pages:extension_decide", args=[ext.pk])
    for who, shown in [("clerk_cgj", False), ("dispatcher", False), ("supervisor", True), ("admin", True)]:
        assert (decide_url in case_page(users[who], case.tracking_no).content.decode()) is shown, who
    r = post_page(users["clerk_cgj"], decide_url, {"decision": "grant", "note": ""})
    assert r.status_code == 403 and Extension.objects.get(pk=ext.pk).status == "pending"

    sla.extension_decide(extension=ext, actor=users["supervisor"], grant=False, note="理由不足")
    assert decide_url not in case_page(users["supervisor"], case.tracking_no).content.decode()  # decided: no form


def test_no_extension_form_once_the_reply_is_in_and_the_service_says_why(users, clock, published):
    case = make_case_in_state(State.REPLIED, users)
    assert (
        reverse("sla_pages:extension_request", args=[case.tracking_no])
        not in case_page(users["clerk_cgj"], case.tracking_no).content.decode()
    )
    assert not rules.may_request_extension(users["clerk_cgj"], case)
    r = staff_client(users["clerk_cgj"]).post(
        f"/api/v1/cases/{case.tracking_no}/extensions/", {"until": "2026-12-20", "reason": "晚了"}, format="json"
    )
    assert_error(r, 409, "conflict")


@pytest.mark.parametrize(
    ("who", "answers"),
    [
        ("clerk_cgj", True),
        ("head_cgj", True),
        ("clerk_hbj", False),
        ("dispatcher", False),
        ("agent", False),
        ("supervisor", False),
        ("admin", False),
    ],
)
def test_who_answers_an_order_to_a_department(users, clock, published, who, answers):
    case = make_case_in_state(State.IN_PROGRESS, users)
    order = sla.supervision_issue(case=case, actor=users["supervisor"], level=1, note="请加快")
    assert rules.may_answer_order(users[who], order) is answers
    assert rules.may_answer_order(None, order) is False
    order.answered_at = order.issued_at
    assert rules.may_answer_order(users[who], order) is False  # once
