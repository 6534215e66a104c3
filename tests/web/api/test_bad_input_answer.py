"""Bad input on the department's answer (issue 13): the reply with result, contact and files, the
reply draft and its return by the head, assisting opinions, and the supervisor's close or reopen
of a case the citizen was dissatisfied with. Every wrong JSON type, NUL or lone surrogate, unknown
or wrongly typed attachment id is a 400 naming the field and changes nothing."""

from __future__ import annotations

import pytest

from cases import services
from cases.enums import State
from cases.models import AssistOpinion, Case, Department
from tests.attachment_files import PNG, upload
from tests.factories import make_case_in_state, reply_body
from tests.web.api.api_helpers import (
    NOT_INTEGER,
    NOT_TEXT,
    assert_refused,
    case_row,
    send,
    staff_client,
    transition_path,
)
from tests.web.api.test_answer_api import NOW, working  # noqa: F401  (a case in progress, time pinned)

pytestmark = pytest.mark.django_db


def _reply(**change) -> dict:
    return {"text": "已现场处置。", **reply_body(), **change}


REPLY_FIELDS = ["text", "result", "contact", "attachments"]
WRONG_CONTACT = [
    {"at": 7, "method": "phone"},
    {"at": ["2026-11-24T09:30:00+08:00"], "method": "phone"},
    {"at": "2026-11-24T09:30:00+08:00", "method": 1},
    {"at": "0001-01-01T00:00:00+14:00", "method": "phone"},
    {"at": "9999-12-31T23:59:59-14:00", "method": "phone"},
    {"at": "2026-11-24T25:00:00+08:00", "method": "phone"},
]


@pytest.mark.parametrize("path", ["transitions/reply", "reply-draft"])
def test_the_valid_reply_passes(users, working, path):
    response = send(staff_client(users["clerk_cgj"]), f"/api/v1/cases/{working.tracking_no}/{path}/", _reply())
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
@pytest.mark.parametrize("field", ["text", "result"])
@pytest.mark.parametrize("path", ["transitions/reply", "reply-draft"])
def test_a_reply_with_a_non_text_field_is_a_400_and_changes_nothing(users, working, path, field, value):
    before = case_row(working)
    url = f"/api/v1/cases/{working.tracking_no}/{path}/"
    assert_refused(send(staff_client(users["clerk_cgj"]), url, _reply(**{field: value})), field)
    assert case_row(working) == before


@pytest.mark.parametrize("contact", [*WRONG_CONTACT, "yesterday", ["phone"], 7], ids=repr)
def test_a_reply_with_a_wrong_contact_is_a_400_and_changes_nothing(users, working, contact):
    before = case_row(working)
    response = send(staff_client(users["clerk_cgj"]), transition_path(working, "reply"), _reply(contact=contact))
    assert_refused(response, "contact")
    assert case_row(working) == before


@pytest.mark.parametrize("attachments", [*([v] for v in NOT_INTEGER), [2**31], [0], "1", {"id": 1}, [1] * 51], ids=repr)
def test_a_reply_with_wrong_attachment_ids_is_a_400_and_changes_nothing(users, working, attachments):
    before = case_row(working)
    response = send(
        staff_client(users["clerk_cgj"]), transition_path(working, "reply"), _reply(attachments=attachments)
    )
    assert_refused(response, "attachments")
    assert case_row(working) == before


def test_a_reply_naming_another_cases_file_is_a_400_and_changes_nothing(users, working, time_machine):
    other = make_case_in_state(State.IN_PROGRESS, users)
    clerk = staff_client(users["clerk_cgj"])
    uploaded = clerk.post(
        f"/api/v1/cases/{other.tracking_no}/attachments/", {"file": [upload("照片.png", PNG)]}, format="multipart"
    )
    assert uploaded.status_code == 201, uploaded.content
    before = case_row(working)
    response = send(clerk, transition_path(working, "reply"), _reply(attachments=[uploaded.json()[0]["id"]]))
    assert_refused(response, "attachments")
    assert case_row(working) == before


@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
def test_the_heads_return_of_a_draft_with_a_non_text_note_is_a_400(users, working, value):
    Department.objects.filter(code="CGJ").update(reply_needs_head_approval=True)
    drafted = send(staff_client(users["clerk_cgj"]), f"/api/v1/cases/{working.tracking_no}/reply-draft/", _reply())
    assert drafted.status_code == 200, drafted.content
    before = case_row(working)
    url = f"/api/v1/cases/{working.tracking_no}/reply-draft/return/"
    assert_refused(send(staff_client(users["head_cgj"]), url, {"note": value}), "note")
    assert case_row(working) == before


@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
def test_an_assisting_opinion_with_a_non_text_text_is_a_400_and_writes_none(users, time_machine, value):
    time_machine.move_to(NOW, tick=False)
    case = make_case_in_state(State.REGISTERED, users)
    services.case_assign(
        case=case, actor=users["dispatcher"], department="CGJ", assisting_departments=["HBJ"], instructions=""
    )
    before = case_row(case)
    url = f"/api/v1/cases/{case.tracking_no}/assist-opinions/"
    assert_refused(send(staff_client(users["clerk_hbj"]), url, {"text": value}), "text")
    assert case_row(case) == before
    assert not AssistOpinion.objects.filter(case=case).exists()


@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
@pytest.mark.parametrize(("name", "field"), [("close", "reason"), ("reopen", "reason"), ("reopen", "department")])
def test_the_supervisors_decision_with_a_non_text_field_is_a_400(users, name, field, value):
    case = make_case_in_state(State.PENDING_DECISION, users)
    before = case_row(case)
    body = {"reason": "已解释清楚", **({"department": "CGJ"} if name == "reopen" else {}), field: value}
    assert_refused(send(staff_client(users["supervisor"]), transition_path(case, name), body), field)
    assert case_row(case) == before
    assert Case.objects.get(pk=case.pk).state == State.PENDING_DECISION
