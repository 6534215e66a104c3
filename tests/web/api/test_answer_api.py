"""The department's answer through the API (issue 13): reply with result, contact and files; the
reply draft and its return; assisting opinions; reply templates; the intake flag of a report
about staff."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cases.enums import Role, State
from cases.models import Case, Department, ReplyTemplate
from tests.attachment_files import PNG, upload
from tests.factories import CaseFactory, UserFactory, make_case_in_state
from tests.web.api.api_helpers import act, assert_error, staff_client

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SH)


@pytest.fixture
def working(users, time_machine):
    time_machine.move_to(NOW - dt.timedelta(hours=1), tick=False)
    case = make_case_in_state(State.IN_PROGRESS, users)
    time_machine.move_to(NOW, tick=False)
    return case


def snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    return case.state, case.version, case.events.count(), case.contacted_at


def test_the_department_replies_with_a_photo_a_result_and_its_contact(users, working):
    clerk = staff_client(users["clerk_cgj"])
    uploaded = clerk.post(
        f"/api/v1/cases/{working.tracking_no}/attachments/", {"file": [upload("现场照片.png", PNG)]}, format="multipart"
    )
    assert uploaded.status_code == 201
    photo_id = uploaded.json()[0]["id"]
    response = act(
        clerk,
        working,
        "reply",
        text="已现场处置，恢复通行。",
        result="solved",
        contact={"at": "2026-11-24T09:40:00+08:00", "method": "visit"},
        attachments=[photo_id],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["reply_result"]) == ("replied", "solved")
    assert body["contact"] == {"at": "2026-11-24T09:40:00+08:00", "method": "visit", "by": "clerk_cgj"}
    assert [(a["id"], a["kind"], a["in_reply"]) for a in body["attachments"]] == [(photo_id, "reply", True)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"result": "solved"}, "contact"),
        ({"result": "solved", "contact": "yesterday"}, "contact"),
        ({"result": "solved", "contact": {"at": "2026-11-24T10:30:00+08:00", "method": "phone"}}, "contact.at"),
        ({"result": "solved", "contact": {"at": "2026-11-20T10:00:00+08:00", "method": "phone"}}, "contact.at"),
        ({"result": "solved", "contact": {"at": "2026-11-24T09:30:00+08:00", "method": "fax"}}, "contact.method"),
        ({"result": "maybe", "contact": {"at": "2026-11-24T09:30:00+08:00", "method": "phone"}}, "result"),
        (
            {
                "result": "solved",
                "contact": {"at": "2026-11-24T09:30:00+08:00", "method": "phone"},
                "attachments": [999999],
            },
            "attachments",
        ),
        (
            {
                "result": "solved",
                "contact": {"at": "2026-11-24T09:30:00+08:00", "method": "phone"},
                "attachments": ["a"],
            },
            "attachments",
        ),
    ],
)
def test_bad_reply_input_is_a_400_naming_the_field_and_changes_nothing(users, working, body, field):
    before = snapshot(working)
    error = assert_error(
        act(staff_client(users["clerk_cgj"]), working, "reply", text="已处理。", **body), 400, "invalid"
    )
    # The field itself, or one of its parts ("contact.non_field_errors", "attachments.0").
    assert any(name == field or name.startswith(f"{field}.") for name in error["fields"]), error
    assert snapshot(working) == before


def test_the_draft_waits_for_the_head_who_returns_it_with_a_note(users, working):
    Department.objects.filter(code="CGJ").update(reply_needs_head_approval=True)
    clerk, head = staff_client(users["clerk_cgj"]), staff_client(users["head_cgj"])
    no = working.tracking_no
    drafted = clerk.post(f"/api/v1/cases/{no}/reply-draft/", {"text": "拟答复", "result": "solved"}, format="json")
    assert drafted.status_code == 200
    assert (drafted.json()["reply_draft_status"], drafted.json()["reply_draft"]) == ("pending", "拟答复")
    assert_error(clerk.post(f"/api/v1/cases/{no}/reply-draft/return/", {"note": "x"}, format="json"), 403, "forbidden")
    assert_error(head.post(f"/api/v1/cases/{no}/reply-draft/return/", {"note": ""}, format="json"), 400, "invalid")
    returned = head.post(f"/api/v1/cases/{no}/reply-draft/return/", {"note": "请补充整改时限。"}, format="json")
    assert returned.status_code == 200
    assert (returned.json()["reply_draft_status"], returned.json()["reply_draft_note"]) == (
        "returned",
        "请补充整改时限。",
    )
    # Nothing is waiting any more: a second return is refused.
    assert_error(
        head.post(f"/api/v1/cases/{no}/reply-draft/return/", {"note": "再退"}, format="json"), 403, "forbidden"
    )


def test_assisting_opinions_and_reply_templates(users, time_machine):
    time_machine.move_to(NOW, tick=False)
    case = CaseFactory(actor=users["agent"], citizen=None)
    act(staff_client(users["dispatcher"]), case, "assign", department="CGJ", assisting_departments=["HBJ"])
    url = f"/api/v1/cases/{case.tracking_no}/assist-opinions/"
    assert_error(staff_client(users["clerk_cgj"]).post(url, {"text": "我是主办"}, format="json"), 403, "forbidden")
    given = staff_client(users["clerk_hbj"]).post(url, {"text": "排水设施归我局，已清淤。"}, format="json")
    assert given.status_code == 201 and given.json()["department"] == "HBJ"
    listed = staff_client(users["clerk_cgj"]).get(url).json()["results"]
    assert [(o["department"], o["text"]) for o in listed] == [("HBJ", "排水设施归我局，已清淤。")]
    detail = staff_client(users["clerk_cgj"]).get(f"/api/v1/cases/{case.tracking_no}/").json()
    assert [o["text"] for o in detail["assist_opinions"]] == ["排水设施归我局，已清淤。"]
    ReplyTemplate.objects.create(title="通用", body="{citizen_name}您好，工单{tracking_no}已办理。")
    templates = staff_client(users["clerk_cgj"]).get(f"/api/v1/cases/{case.tracking_no}/reply-templates/").json()
    assert templates["results"][0]["text"] == f"张三您好，工单{case.tracking_no}已办理。"


def test_a_report_about_staff_registered_through_the_api_is_out_of_the_dispatchers_sight(users):
    Department.objects.create(code="JJZ", name_zh="纪检监察组", handles_staff_reports=True)
    jjz = UserFactory(username="clerk_jjz", role=Role.CLERK, department_code="JJZ")
    body = {
        "channel": "hotline", "kind": "report", "category": "CITY-VEND", "title": "举报执法人员吃拿卡要",
        "content": "执法队员向摊贩索要财物。", "citizen": {"name": "李四", "phone": "13900000001"},
        "about_staff_of": "CGJ",
    }  # fmt: skip
    created = staff_client(users["agent"]).post("/api/v1/cases/", body, format="json")
    assert created.status_code == 201, created.content
    no = created.json()["tracking_no"]
    assert created.json()["about_staff_of"] == "CGJ" and created.json()["department"] == "JJZ"
    for who in ("agent", "dispatcher", "clerk_cgj"):
        assert_error(staff_client(users[who]).get(f"/api/v1/cases/{no}/"), 404, "not_found")
    assert staff_client(jjz).get(f"/api/v1/cases/{no}/").json()["state"] == "assigned"
    bad = staff_client(users["agent"]).post("/api/v1/cases/", {**body, "kind": "complaint"}, format="json")
    assert assert_error(bad, 400, "invalid")["fields"] == {
        "about_staff_of": ["只有“举报”可以标记为举报某单位工作人员。"]
    }
