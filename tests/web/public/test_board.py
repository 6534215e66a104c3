"""The public board and statistics pages: filters, Chinese search, pagination, query guards, odd input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.urls import reverse

from cases import publication
from cases.enums import Kind
from cases.models import Case
from cases.publication import bigrams, search_published
from tests.cases.publication.helpers import at, closed_case, published_case, shift_registered

pytestmark = pytest.mark.django_db

MESSAGES = [
    ("路灯不亮", "幸福路的路灯坏了一个月，晚上很黑。"),
    ("夜间施工", "工地晚上十点后还在施工，噪音很大。"),
    ("井盖缺失", "学府路口井盖丢了，路灯也不亮。"),
    ("公交改线", "16路公交改线后老人出行不便。"),
    ("灯光扰民", "广告牌的灯光照进卧室，路边灯箱太亮。"),
]


@pytest.fixture(autouse=True)
def _a_fixed_november() -> Iterator[None]:
    """Every case here is registered and published in mid-November 2026 (the clock still ticks, so
    "newest first" has an order), whatever today's date is: the month filters read fixed months."""
    with time_machine.travel(at(2026, 11, 16, 10), tick=True):
        yield


@pytest.fixture
def board(users) -> list[Case]:
    return [published_case(users, title=t, content=c) for t, c in MESSAGES]


def _titles(response) -> list[str]:
    return [item.public_title for item in response.context["page"]]


def test_board_lists_published_items_newest_first_with_number_dates_and_department(board, client) -> None:
    response = client.get(reverse("board:list"))
    assert response.status_code == 200
    assert _titles(response) == [t for t, _ in reversed(MESSAGES)]
    page = response.content.decode()
    assert board[0].tracking_no in page and "示范区城市管理和综合执法局" in page and "答复日期" in page


def test_board_never_shows_pending_or_private_items(board, users, client) -> None:
    pending = closed_case(users, title="待公开的路灯问题")
    page = client.get(reverse("board:list")).content.decode()
    assert pending.tracking_no not in page and "待公开的路灯问题" not in page


def test_two_character_query_finds_every_message_containing_it(board, client) -> None:
    response = client.get(reverse("board:list"), {"q": "路灯"})
    assert sorted(_titles(response)) == sorted(["路灯不亮", "井盖缺失"])


def test_longer_query_needs_all_its_bigrams_and_one_character_query_is_a_substring(board, client) -> None:
    assert _titles(client.get(reverse("board:list"), {"q": "路灯不亮"})) == ["路灯不亮"]
    assert sorted(_titles(client.get(reverse("board:list"), {"q": "灯"}))) == sorted(
        ["路灯不亮", "井盖缺失", "灯光扰民"]
    )
    assert _titles(client.get(reverse("board:list"), {"q": "井盖 路灯"})) == ["井盖缺失"]


@pytest.mark.parametrize("q", ["'", "\\", "' & !", "%_%", "路" * 5000, "😀😀", "<script>", "a:*", "()|&!"])
def test_any_query_never_errors(board, client, q: str) -> None:
    response = client.get(reverse("board:list"), {"q": q})
    assert response.status_code == 200


def test_a_nul_in_the_query_is_an_error_page_naming_it(board, client) -> None:
    response = client.get(reverse("board:list"), {"q": "路灯\x00"})  # web.input_guard refuses it for every page
    assert response.status_code == 400
    assert "“q”" in response.content.decode()


def test_filters_by_department_category_kind_and_month(board, users, client) -> None:
    hbj = published_case(
        users, title="河道污染", content="河道发臭", department="HBJ", category="ENV-AIR", kind=Kind.REPORT
    )
    publication.index_case(shift_registered(hbj, at(2026, 9, 15)))  # the index copies registered_at on publish
    assert _titles(client.get(reverse("board:list"), {"department": "HBJ"})) == ["河道污染"]
    assert _titles(client.get(reverse("board:list"), {"kind": "report"})) == ["河道污染"]
    assert _titles(client.get(reverse("board:list"), {"month": "2026-09"})) == ["河道污染"]
    assert len(_titles(client.get(reverse("board:list"), {"category": "CITY"}))) == 5
    assert _titles(client.get(reverse("board:list"), {"category": "ENV-AIR"})) == ["河道污染"]
    bad = client.get(reverse("board:list"), {"month": "2026-99", "kind": "nonsense", "department": "'"})
    assert bad.status_code == 200 and "月份格式" in bad.content.decode()


def test_board_paginates_and_odd_page_numbers_do_not_error(board, client, monkeypatch) -> None:
    from web.public import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    assert len(_titles(client.get(reverse("board:list"), {"page": "3"}))) == 1
    assert client.get(reverse("board:list"), {"page": "x"}).status_code == 200
    assert client.get(reverse("board:list"), {"page": "999"}).status_code == 200


def test_board_count_is_capped_for_very_common_words(board, client, monkeypatch) -> None:
    from web.public import views

    monkeypatch.setattr(views, "COUNT_CAP", 3)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    response = client.get(reverse("board:list"))
    assert response.context["capped"] is True and "超过 3 条" in response.content.decode()
    assert response.context["page"].paginator.num_pages == 2  # 4 counted (cap + 1) → 2 pages of 2
    assert client.get(reverse("board:list"), {"q": "路灯"}).context["capped"] is False


def test_board_query_count_does_not_grow_with_items(board, users, client, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(6):
        client.get(reverse("board:list"), {"q": "路灯"})
    for n in range(5):
        published_case(users, title=f"路灯{n}", content="路灯")
    with django_assert_max_num_queries(6):
        client.get(reverse("board:list"), {"q": "路灯"})


def test_item_page_shows_the_public_copy_and_404_for_unpublished(board, users, client) -> None:
    assert "幸福路的路灯坏了一个月" in client.get(reverse("board:item", args=[board[0].tracking_no])).content.decode()
    pending = closed_case(users)
    assert client.get(reverse("board:item", args=[pending.tracking_no])).status_code == 404


def test_bigrams_cover_chinese_letters_and_digits() -> None:
    assert bigrams("路灯坏了 Wifi 16路") == ["路灯", "灯坏", "坏了", "wi", "if", "fi", "16", "6路"]


def test_search_matches_tracking_numbers(board) -> None:
    qs = search_published(Case.objects.all(), board[1].tracking_no)
    assert list(qs) == [board[1]]


@pytest.mark.postgres
def test_on_postgres_the_bigram_vector_is_written_and_used(board) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_publicsearch WHERE vector @@ '''路灯'''::tsquery")
        assert cursor.fetchone()[0] == 2
    assert search_published(Case.objects.all(), "路灯").count() == 2


# --- statistics ----------------------------------------------------------------------------


def test_stats_page_shows_each_department_with_its_rates(board, users, client, django_assert_max_num_queries) -> None:
    for case in board:
        shift_registered(case, at(2026, 10, 3))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("stats:index"), {"month": "2026-10"})
    assert response.status_code == 200
    rows = {r.department.code: r for r in response.context["rows"]}
    assert rows["CGJ"].registered == 5 and rows["CGJ"].closure_rate == 1.0
    page = response.content.decode()
    assert "100.0%" in page and "示范区城市管理和综合执法局" in page


def test_stats_are_cached_for_a_few_minutes(board, users, client, django_assert_max_num_queries) -> None:
    # Pinned to a past month and a fixed moment, so the test reads the same whatever today's date is.
    for case in board:
        shift_registered(case, at(2026, 10, 3))
    with time_machine.travel(at(2026, 11, 20, 10, 1), tick=False):
        client.get(reverse("stats:index"), {"month": "2026-10"})
        shift_registered(published_case(users, title="新的一件", content="新的"), at(2026, 10, 4))
    with time_machine.travel(at(2026, 11, 20, 10, 4), tick=False):
        with django_assert_max_num_queries(1):  # only the department list for the picker
            response = client.get(reverse("stats:index"), {"month": "2026-10"})
        assert {r.department.code: r.registered for r in response.context["rows"]}["CGJ"] == 5
        assert response.context["as_of"] == at(2026, 11, 20, 10, 1)
    with time_machine.travel(at(2026, 11, 20, 10, 5), tick=False):  # the next five-minute window
        response = client.get(reverse("stats:index"), {"month": "2026-10"})
    assert {r.department.code: r.registered for r in response.context["rows"]}["CGJ"] == 6
    assert "数据截至 2026-11-20 10:05" in response.content.decode()


def test_stats_page_with_a_department_trend_and_bad_input(board, client) -> None:
    assert client.get(reverse("stats:index"), {"department": "CGJ"}).status_code == 200
    response = client.get(reverse("stats:index"), {"month": "nonsense", "department": "'%"})
    assert response.status_code == 200 and "月份格式" in response.content.decode()


def test_reindexing_is_idempotent(board) -> None:
    publication.index_case(board[0])
    publication.index_case(board[0])
    assert search_published(Case.objects.all(), "路灯").count() == 2
