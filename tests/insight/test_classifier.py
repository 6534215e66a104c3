"""The dispatch classifier: training a version, the suggestions and their confidences, the API."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import services
from cases.enums import Role, State
from insight import corpus
from insight.classifier import DispatchClassifier
from insight.models import DispatchModel
from insight.services import dispatch_model_train, dispatch_suggest, training_set
from tests.factories import UserFactory, make_case_in_state
from tests.web.api.api_helpers import assert_error, staff_client

from .conftest import NOW


def test_held_out_messages_are_not_in_the_training_corpus():
    training = {(m.title, m.content) for m in corpus.read_corpus()}
    contents = {m.content for m in corpus.read_corpus()}
    heldout = corpus.read_heldout()
    assert len(heldout) == 300
    assert not [h for h in heldout if (h[1], h[2]) in training or h[2] in contents]


def test_heldout_covers_every_leaf_category_of_the_district_twelve_times():
    defaults = corpus.fixture_default_departments()
    counts = {}
    for category, _, _ in corpus.read_heldout():
        counts[category] = counts.get(category, 0) + 1
    assert counts == dict.fromkeys(defaults, 12)
    assert set(corpus.MATTERS) == set(defaults)


def test_generated_corpus_is_reproducible_and_is_the_shipped_file():
    again = corpus.generate(per_category=200, seed=14, default_departments=corpus.fixture_default_departments())
    assert [tuple(vars(m).values()) for m in again] == [tuple(vars(m).values()) for m in corpus.read_corpus()]


def test_suggestions_rank_three_categories_and_departments_by_confidence(dispatch_model):
    out = dispatch_suggest(title="老板拖欠工资", content="我在工地干了三个月，包工头一直不发工钱，十几个工友都没拿到。")
    assert out["model_version"] == 1
    assert [c["code"] for c in out["categories"]][0] == "LAB-WAGE"
    assert out["departments"][0]["code"] == "RSJ"
    for ranked in (out["categories"], out["departments"]):
        assert len(ranked) == 3
        confidences = [r["confidence"] for r in ranked]
        assert confidences == sorted(confidences, reverse=True)
        assert 0 < sum(confidences) <= 1.0001


def test_community_matters_go_to_the_street_office_of_the_community_named(dispatch_model):
    out = dispatch_suggest(title="楼道杂物", content="枫林小区楼道里堆满杂物，消防通道被堵，希望居委会处理")
    assert out["categories"][0]["code"] == "CIV-COMM"
    assert out["departments"][0]["code"] == "JD-W"


def test_the_newest_version_is_used(dispatch_model, small_classifier_blob):
    DispatchModel.objects.create(version=2, trained_at=NOW, blob=small_classifier_blob)
    assert dispatch_suggest(title="路灯不亮", content="")["model_version"] == 2


def test_training_stores_a_new_version_from_closed_cases_and_the_corpus(users):
    closed = make_case_in_state(State.CLOSED, users, title="夜市烧烤占道", category="CITY-VEND")
    answered = make_case_in_state(State.ANSWERED, users, department="HBJ", category="ENV-NOISE", title="噪声")
    make_case_in_state(State.IN_PROGRESS, users)  # still open: not a training example
    data = training_set(corpus_per_category=4)
    assert data.closed_cases == 2
    assert data.corpus_messages == 4 * 25
    assert data.categories[:2] == ["CITY-VEND", "ENV-NOISE"]
    assert data.departments[:2] == [closed.department.code, answered.department.code] == ["CGJ", "HBJ"]

    first = dispatch_model_train(now=NOW, corpus_per_category=4, measure=False)
    second = dispatch_model_train(now=NOW, corpus_per_category=4, measure=False)
    assert (first.version, second.version) == (1, 2)
    assert second.trained_at == NOW
    assert second.closed_cases == 2 and second.corpus_messages == 100
    assert second.sizes["train_texts"] == 102 and second.sizes["categories"] == 25
    assert second.blob_bytes == len(bytes(second.blob)) > 0
    assert isinstance(DispatchClassifier.loads(bytes(second.blob)), DispatchClassifier)


def test_training_records_the_tuning_and_heldout_figures(db, monkeypatch):
    # A tiny corpus keeps this quick; the figures are computed, whatever their level.
    model = dispatch_model_train(now=NOW, corpus_per_category=6)
    assert set(model.figures) == {"tuning", "heldout"}
    assert model.figures["heldout"]["n"] == 300
    assert model.figures["tuning"]["n"] == 1000
    assert 0 <= model.figures["heldout"]["top1"] <= model.figures["heldout"]["top3"] <= 1


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "dispatcher"])
def test_api_suggests_for_agents_and_dispatchers(users, dispatch_model, role):
    response = staff_client(users[role]).post(
        "/api/v1/dispatch/suggest/",
        {"title": "外卖吃出虫子", "content": "点的外卖变质有馊味，还吃出了虫子"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"model_version", "categories", "departments"}
    assert body["categories"][0] == {"code": "MKT-FOOD", "confidence": body["categories"][0]["confidence"]}
    assert body["departments"][0]["code"] == "SJJ"


def test_api_refuses_department_staff_and_leaders(users, dispatch_model):
    leader = UserFactory(username="leader", role=Role.LEADER, department_code="GOV")
    for user in (users["clerk_cgj"], users["supervisor"], leader):
        response = staff_client(user).post("/api/v1/dispatch/suggest/", {"title": "x", "content": "y"}, format="json")
        assert_error(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": "", "content": "  "}, "content"),
        ({"title": 12, "content": "路灯"}, "title"),
        ({"title": "路灯", "content": ["坏了"]}, "content"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_api_bad_input_is_a_400_naming_the_field(users, dispatch_model, body, field):
    response = staff_client(users["dispatcher"]).post("/api/v1/dispatch/suggest/", body, format="json")
    error = assert_error(response, 400, "invalid")
    assert field in error["fields"]


def test_api_without_a_trained_model_is_a_409(users):
    response = staff_client(users["dispatcher"]).post("/api/v1/dispatch/suggest/", {"title": "路灯"}, format="json")
    assert_error(response, 409, "no_model")


def test_retired_categories_are_not_suggested(dispatch_model):
    from cases.models import Category

    Category.objects.filter(code="LAB-WAGE").update(active=False)
    out = dispatch_suggest(title="拖欠工资", content="老板拖欠工资三个月")
    assert "LAB-WAGE" not in [c["code"] for c in out["categories"]]
    assert len(out["categories"]) == 3


def test_shown_suggestion_is_decided_on_assignment_taken_or_not(users, dispatch_model):
    from insight.models import DispatchSuggestion
    from insight.services import dispatch_suggestion_shown

    wage = make_case_in_state(
        State.REGISTERED, users, category="LAB-WAGE", title="拖欠工资", content="老板拖欠工资三个月不发"
    )
    out = dispatch_suggestion_shown(case=wage, actor=users["dispatcher"], now=NOW)
    assert out["departments"][0]["code"] == "RSJ"
    dispatch_suggestion_shown(case=wage, actor=users["dispatcher"], now=NOW)  # shown again: still one row
    assert DispatchSuggestion.objects.filter(case=wage).count() == 1
    services.case_assign(case=wage, actor=users["dispatcher"], department="RSJ")
    row = DispatchSuggestion.objects.get(case=wage)
    assert (row.suggested_department, row.chosen_department, row.taken) == ("RSJ", "RSJ", True)
    assert row.decided_at is not None

    other = make_case_in_state(State.REGISTERED, users, category="LAB-WAGE", title="拖欠工资", content="老板拖欠工资")
    dispatch_suggestion_shown(case=other, actor=users["dispatcher"], now=NOW)
    services.case_assign(case=other, actor=users["dispatcher"], department="CGJ")
    assert DispatchSuggestion.objects.get(case=other).taken is False

    unseen = make_case_in_state(State.REGISTERED, users)
    services.case_assign(case=unseen, actor=users["dispatcher"], department="CGJ")
    assert not DispatchSuggestion.objects.filter(case=unseen).exists()


def test_acceptance_by_month_counts_assignments_after_a_shown_suggestion(users, dispatch_model):
    from insight.models import DispatchSuggestion
    from insight.selectors import acceptance_by_month

    case = make_case_in_state(State.REGISTERED, users)
    rows = [
        ("2026-10-31T23:30:00+08:00", True),
        ("2026-11-01T00:10:00+08:00", True),
        ("2026-11-15T12:00:00+08:00", False),
        ("2026-11-30T23:59:00+08:00", True),
        (None, None),
    ]
    for decided, taken in rows:
        DispatchSuggestion.objects.create(
            case=case,
            model_version=1,
            suggested_department="CGJ",
            shown_at=NOW,
            chosen_department="CGJ" if taken else "",
            taken=taken,
            decided_at=decided,
        ) if decided else None
    assert acceptance_by_month(dt.date(2026, 10, 1), dt.date(2027, 1, 1)) == [
        {"month": "2026-10", "shown": 1, "taken": 1, "rate": 1.0},
        {"month": "2026-11", "shown": 3, "taken": 2, "rate": 0.6667},
        {"month": "2026-12", "shown": 0, "taken": 0, "rate": None},
    ]
