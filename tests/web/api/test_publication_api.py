"""Publication through the API: GET the redacted copy, PUT edits, publish (409 while personal data
remains), withdraw; the roles of the console's publication page; the original never changes."""

from __future__ import annotations

import pytest

from cases.enums import Publication
from cases.models import Case, CaseEvent, PublicSearch
from cases.services import Citizen
from tests.cases.publication.helpers import closed_case
from tests.web.api.api_helpers import assert_error, staff_client

pytestmark = pytest.mark.django_db

CONTENT = "我是张三，住在幸福路12号3栋2单元501室，电话13900001111。我邻居王建国也反映过，工单2026112100042。"


def _pending(users: dict) -> Case:
    case = closed_case(users, content=CONTENT, citizen=Citizen(name="张三", phone="13900001111"))
    assert case.publication == Publication.PENDING
    return case


def url(case: Case, tail: str = "") -> str:
    return f"/api/v1/cases/{case.tracking_no}/publication/{tail}"


def test_get_returns_the_redacted_draft_and_leaves_the_original_alone(users) -> None:
    case = _pending(users)
    response = staff_client(users["dispatcher"]).get(url(case))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"state", "title", "content", "answer", "warnings"}
    assert body["state"] == "pending"
    assert body["content"] == (
        "我是张某，住在幸福路**号*栋*单元***室，电话***********。我邻居王某某也反映过，工单2026112100042。"
    )
    assert body["warnings"] == []
    case.refresh_from_db()
    assert case.content == CONTENT


def test_put_saves_the_public_copy_without_publishing_and_reports_what_remains(users) -> None:
    case = _pending(users)
    client = staff_client(users["dispatcher"])
    response = client.put(
        url(case), {"title": "路灯", "content": "请联系１３８ ００１３ ８０００。", "answer": "已修复。"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "pending"
    assert body["content"] == "请联系１３８ ００１３ ８０００。"
    assert body["warnings"] == [
        {"field": "content", "start": 3, "end": 16, "text": "１３８ ００１３ ８０００", "kind": "phone"}
    ]
    case.refresh_from_db()
    assert (case.public_content, case.content, case.publication) == (body["content"], CONTENT, "pending")
    assert CaseEvent.objects.filter(case=case, transition="publication.edited").count() == 1
    assert not PublicSearch.objects.filter(case=case).exists()


def test_publish_refuses_personal_data_with_the_spans_and_changes_nothing(users) -> None:
    case = _pending(users)
    client = staff_client(users["dispatcher"])
    response = client.post(
        url(case, "publish/"),
        {"title": "路灯", "content": "我邻居的身份证是110105194912310021", "answer": "已修复。"},
        format="json",
    )
    body = assert_error(response, 409, "personal_data")
    assert body["warnings"] == [
        {"field": "content", "start": 8, "end": 26, "text": "110105194912310021", "kind": "id_no"}
    ]
    case.refresh_from_db()
    assert case.publication == Publication.PENDING
    assert case.public_content == ""
    assert not PublicSearch.objects.filter(case=case).exists()


def test_publish_with_an_empty_body_publishes_the_redacted_draft_then_withdraw(users) -> None:
    case = _pending(users)
    client = staff_client(users["dispatcher"])
    response = client.post(url(case, "publish/"), {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "published"
    case.refresh_from_db()
    assert case.publication == Publication.PUBLISHED
    assert "13900001111" not in case.public_content and "王建国" not in case.public_content
    assert PublicSearch.objects.filter(case=case).exists()

    assert_error(client.post(url(case, "withdraw/"), {}, format="json"), 400, "invalid")
    response = client.post(url(case, "withdraw/"), {"reason": "群众要求撤回"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "withdrawn"
    assert not PublicSearch.objects.filter(case=case).exists()


def test_editing_a_published_copy_is_checked_and_reindexed(users) -> None:
    case = _pending(users)
    client = staff_client(users["dispatcher"])
    assert client.post(url(case, "publish/"), {}, format="json").status_code == 200
    bad = {"title": "路灯", "content": "卡号6228481234567890", "answer": "已修复。"}
    assert_error(client.put(url(case), bad, format="json"), 409, "personal_data")
    case.refresh_from_db()
    assert "6228481234567890" not in case.public_content
    good = {"title": "路灯", "content": "小区门口路灯坏了", "answer": "已修复。"}
    assert client.put(url(case), good, format="json").status_code == 200
    assert "小区门口路灯坏了" in PublicSearch.objects.get(case=case).document


@pytest.mark.parametrize("role", ["agent", "clerk_cgj", "head_cgj"])
def test_staff_outside_the_publication_roles_get_the_same_404_as_an_unknown_case(users, role) -> None:
    case = _pending(users)
    client = staff_client(users[role])
    assert_error(client.get(url(case)), 404, "not_found")
    assert_error(client.post(url(case, "publish/"), {}, format="json"), 404, "not_found")
    assert_error(client.get("/api/v1/cases/2099010100001/publication/"), 404, "not_found")
    case.refresh_from_db()
    assert case.publication == Publication.PENDING


def test_a_supervisor_reads_but_may_not_publish(users) -> None:
    case = _pending(users)
    client = staff_client(users["supervisor"])
    assert client.get(url(case)).status_code == 200
    assert_error(client.post(url(case, "publish/"), {}, format="json"), 403, "forbidden")


def test_anonymous_gets_401_and_bad_input_400_with_the_field(users) -> None:
    from rest_framework.test import APIClient

    case = _pending(users)
    assert APIClient().get(url(case)).status_code == 401
    client = staff_client(users["dispatcher"])
    body = assert_error(
        client.put(url(case), {"title": ["x"], "content": "x", "answer": ""}, format="json"), 400, "invalid"
    )
    assert "title" in body["fields"]
    body = assert_error(
        client.put(url(case), {"title": "x", "content": "x", "answer": ""}, format="json"), 400, "invalid"
    )
    assert list(body["fields"]) == ["answer"]
    assert_error(client.post(url(case, "publish/"), [1, 2], format="json"), 400, "invalid")


def test_the_openapi_schema_lists_the_publication_paths(users) -> None:
    client = staff_client(users["dispatcher"])
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/publication/", "/publication/publish/", "/publication/withdraw/"):
        assert "/api/v1/cases/{tracking_no}" + path in text
