"""Publication: pending on close → redacted draft → publish → on the board; withdraw → gone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import publication
from cases.enums import Publication, State, Transition
from cases.exceptions import CaseConflict, CasePermissionDenied, CaseValidationError
from cases.models import Case, PublicSearch
from cases.services import Citizen
from tests.cases.publication.helpers import closed_case
from tests.factories import make_case_in_state

pytestmark = pytest.mark.django_db

CONTENT = "我是张三，住在幸福路12号3栋2单元501室，电话13900001111。小区门口路灯坏了一个月。"


def _pending(users: dict) -> Case:
    case = closed_case(users, content=CONTENT, citizen=Citizen(name="张三", phone="13900001111"))
    assert case.publication == Publication.PENDING
    return case


def test_a_closed_case_with_consent_is_pending_and_gets_a_redacted_draft(users) -> None:
    case = _pending(users)
    draft = publication.publication_prepare(case=case)["draft"]
    assert draft["content"] == "我是张某，住在幸福路**号*栋*单元***室，电话***********。小区门口路灯坏了一个月。"
    assert draft["answer"] == case.answer


def test_publishing_shows_the_public_copy_on_the_board_and_leaves_the_original_alone(users, client) -> None:
    case = _pending(users)
    draft = publication.publication_prepare(case=case)["draft"]
    publication.publication_publish(
        case=case, actor=users["dispatcher"], title="路灯坏了", content=draft["content"], answer="已修复。"
    )
    case.refresh_from_db()
    assert case.publication == Publication.PUBLISHED
    assert case.content == CONTENT  # the original is never altered
    assert case.public_answer == "已修复。" and case.answer != "已修复。"
    assert case.events.filter(transition=Transition.PUBLISH).count() == 1
    page = client.get(reverse("board:list")).content.decode()
    assert "路灯坏了" in page and case.tracking_no in page
    assert "13900001111" not in page and "张三" not in page


def test_withdrawing_removes_the_item_from_the_board_and_the_index_and_it_can_be_republished(users, client) -> None:
    case = _pending(users)
    publication.publication_publish(
        case=case, actor=users["dispatcher"], title="路灯坏了", content="路灯坏了一个月。", answer="已修复。"
    )
    publication.publication_withdraw(case=case, actor=users["supervisor"], reason="群众要求撤回")
    case.refresh_from_db()
    assert case.publication == Publication.WITHDRAWN
    assert not PublicSearch.objects.filter(case=case).exists()
    assert case.tracking_no not in client.get(reverse("board:list")).content.decode()
    assert client.get(reverse("board:item", args=[case.tracking_no])).status_code == 404
    assert client.get(reverse("board:list"), {"q": "路灯"}).context["page"].paginator.count == 0
    publication.publication_publish(
        case=case, actor=users["dispatcher"], title="路灯坏了", content="路灯坏了一个月。", answer="已修复。"
    )
    assert client.get(reverse("board:list"), {"q": "路灯"}).context["page"].paginator.count == 1
    assert list(
        case.events.filter(transition__in=[Transition.PUBLISH, Transition.WITHDRAW]).values_list(
            "transition", flat=True
        )
    ) == ["publish", "withdraw", "publish"]


def test_publishing_refuses_text_that_still_contains_the_citizens_phone_or_name(users) -> None:
    case = _pending(users)
    with pytest.raises(CaseValidationError) as exc:
        publication.publication_publish(
            case=case, actor=users["dispatcher"], title="路灯", content="电话139-0000-1111", answer="好"
        )
    assert "public_content" in exc.value.fields
    with pytest.raises(CaseValidationError) as exc:
        publication.publication_publish(
            case=case, actor=users["dispatcher"], title="张三反映路灯", content="路灯", answer="好"
        )
    assert "public_title" in exc.value.fields
    case.refresh_from_db()
    assert case.publication == Publication.PENDING


def test_a_citizen_who_opted_out_is_never_published(users) -> None:
    case = closed_case(users, publish_consent=False)
    assert case.publication == Publication.PRIVATE
    with pytest.raises(CaseValidationError):
        publication.publication_publish(case=case, actor=users["dispatcher"], title="t", content="c", answer="a")


def test_only_dispatch_staff_publish_and_withdrawing_twice_is_a_conflict(users) -> None:
    case = _pending(users)
    with pytest.raises(CasePermissionDenied):
        publication.publication_publish(case=case, actor=users["clerk_cgj"], title="t", content="c", answer="a")
    with pytest.raises(CaseConflict):
        publication.publication_withdraw(case=case, actor=users["dispatcher"], reason="x")


def test_an_open_case_cannot_be_published(users) -> None:
    case = make_case_in_state(State.IN_PROGRESS, users)
    with pytest.raises(CaseConflict):
        publication.publication_publish(case=case, actor=users["dispatcher"], title="t", content="c", answer="a")


# --- the staff pages ---------------------------------------------------------------------


def test_dispatcher_sees_the_pending_queue_and_the_prefilled_draft_and_publishes(users, client) -> None:
    case = _pending(users)
    client.force_login(users["dispatcher"])
    queue = client.get(reverse("publication:queue"))
    assert queue.status_code == 200 and case.tracking_no in queue.content.decode()
    page = client.get(reverse("publication:edit", args=[case.tracking_no])).content.decode()
    assert "幸福路**号*栋*单元***室" in page
    response = client.post(
        reverse("publication:edit", args=[case.tracking_no]),
        {"title": "路灯坏了", "content": "小区门口路灯坏了一个月。", "answer": "已修复。"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.publication == Publication.PUBLISHED and case.public_title == "路灯坏了"


def test_publish_form_with_a_leak_comes_back_with_the_error_and_publishes_nothing(users, client) -> None:
    case = _pending(users)
    client.force_login(users["dispatcher"])
    response = client.post(
        reverse("publication:edit", args=[case.tracking_no]),
        {"title": "路灯", "content": "电话13900001111", "answer": "好"},
    )
    assert response.status_code == 400
    assert "请先遮盖" in response.content.decode()
    case.refresh_from_db()
    assert case.publication == Publication.PENDING


def test_withdraw_from_the_queue_page(users, client) -> None:
    case = _pending(users)
    publication.publication_publish(case=case, actor=users["dispatcher"], title="路灯", content="路灯坏了", answer="好")
    client.force_login(users["dispatcher"])
    response = client.post(reverse("publication:withdraw", args=[case.tracking_no]), {"reason": "内容有误"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.publication == Publication.WITHDRAWN


def test_department_clerk_may_not_open_the_publication_queue(users, client) -> None:
    client.force_login(users["clerk_cgj"])
    assert client.get(reverse("publication:queue")).status_code == 403


def test_anonymous_user_is_sent_to_sign_in(client, org) -> None:
    response = client.get(reverse("publication:queue"))
    assert response.status_code == 302 and "next=" in response["Location"]


def test_the_console_page_refuses_a_copy_with_a_phone_in_chinese_numerals_and_keeps_the_text(users, client) -> None:
    case = _pending(users)
    client.force_login(users["dispatcher"])
    content = "有事请打一三九零零零零一一一一找我"
    response = client.post(
        reverse("publication:edit", args=[case.tracking_no]),
        {"title": "路灯坏了", "content": content, "answer": "已修复。"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "一三九零零零零一一一一" in page and "请先遮盖" in page
    case.refresh_from_db()
    assert case.publication == Publication.PENDING
    assert not PublicSearch.objects.filter(case=case).exists()


def test_publish_service_refuses_a_wrong_checksum_id_and_a_spaced_card(users) -> None:
    from cases.exceptions import PersonalDataRemains

    case = _pending(users)
    for content in ("身份证110105194912310021", "卡号 6222 0212 3456 7890 123"):
        with pytest.raises(PersonalDataRemains) as exc:
            publication.publication_publish(
                case=case, actor=users["dispatcher"], title="路灯", content=content, answer="已修复。"
            )
        assert [w["field"] for w in exc.value.warnings] == ["content"]
    case.refresh_from_db()
    assert case.publication == Publication.PENDING
