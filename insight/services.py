"""Smart dispatch (智能派单): train a model version, suggest, record whether the suggestion was taken.

Training data: the district's own answered and closed cases (their final category, and the
department that handled them), plus the shipped generated corpus (``insight.corpus``) so that a
fresh install suggests something useful on day one; as closed cases accumulate they outweigh it.
Every training run is a new ``DispatchModel`` row (version, trained_at, sizes, figures, blob);
the newest row is the one in use, in every web process (each loads a version once).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from cases.enums import State
from cases.exceptions import CaseConflict, CaseValidationError
from cases.models import Case, Category, Department, User
from cases.validation import MAX_CONTENT, MAX_TITLE, clean_text

from . import corpus
from .classifier import DispatchClassifier, Evaluation, evaluate, text_of
from .models import DispatchModel, DispatchSuggestion

# The tuning split: generated with another seed than the training corpus; C and the feature
# settings were chosen on it (never on the held-out set).
TUNING_SEED = 99
TUNING_PER_CATEGORY = 40
TRAINED_STATES = (State.ANSWERED, State.CLOSED)


class NoModel(CaseConflict):
    """No model version has been trained yet: 409 ``no_model``."""

    code = "no_model"


@dataclass
class TrainingSet:
    texts: list[str]
    categories: list[str]
    departments: list[str]
    closed_cases: int
    corpus_messages: int


def training_set(*, use_corpus: bool = True, corpus_per_category: int | None = None) -> TrainingSet:
    """Closed cases of the district (final category and handling department) + the corpus,
    restricted to categories and departments that exist and are active."""
    categories = set(
        Category.objects.filter(active=True, default_department__isnull=False).values_list("code", flat=True)
    )
    departments = set(Department.objects.filter(active=True).values_list("code", flat=True))
    texts, cats, depts = [], [], []
    rows = (
        Case.objects.filter(state__in=TRAINED_STATES, department__isnull=False)
        .values_list("title", "content", "category__code", "department__code")
        .order_by("pk")
    )
    closed = 0
    for title, content, category, department in rows.iterator(chunk_size=2000):
        if category in categories and department in departments:
            texts.append(text_of(title, content))
            cats.append(category)
            depts.append(department)
            closed += 1
    from_corpus = 0
    if use_corpus and corpus.CORPUS_PATH.exists():
        taken: dict[str, int] = {}
        for m in corpus.read_corpus():
            if m.category not in categories or m.department not in departments:
                continue
            if corpus_per_category is not None:
                if taken.get(m.category, 0) >= corpus_per_category:
                    continue
                taken[m.category] = taken.get(m.category, 0) + 1
            texts.append(text_of(m.title, m.content))
            cats.append(m.category)
            depts.append(m.department)
            from_corpus += 1
    return TrainingSet(texts, cats, depts, closed, from_corpus)


def tuning_split() -> tuple[list[str], list[str]]:
    messages = corpus.generate(
        per_category=TUNING_PER_CATEGORY, seed=TUNING_SEED, default_departments=corpus.fixture_default_departments()
    )
    return [text_of(m.title, m.content) for m in messages], [m.category for m in messages]


def heldout_split() -> tuple[list[str], list[str]]:
    rows = corpus.read_heldout()
    return [text_of(title, content) for _, title, content in rows], [category for category, _, _ in rows]


def dispatch_model_train(
    *, now: dt.datetime, use_corpus: bool = True, corpus_per_category: int | None = None, measure: bool = True
) -> DispatchModel:
    """Train a new version on the current closed cases (+ corpus) and store it.

    Side effects: one ``DispatchModel`` row; every web process switches to it on its next
    suggestion. ``figures`` holds the tuning split's and the held-out set's top-1/top-3."""
    data = training_set(use_corpus=use_corpus, corpus_per_category=corpus_per_category)
    try:
        model = DispatchClassifier.fit(data.texts, data.categories, data.departments)
    except ValueError as exc:
        raise CaseValidationError(str(exc)) from exc
    figures: dict[str, Any] = {}
    if measure:
        figures["tuning"] = _summary(evaluate(model, *tuning_split()))
        figures["heldout"] = _summary(evaluate(model, *heldout_split()))
    blob = model.dumps()
    for _attempt in range(3):  # two trainers at once: the second takes the next version
        try:
            with transaction.atomic():
                version = (DispatchModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
                return DispatchModel.objects.create(
                    version=version,
                    trained_at=now,
                    closed_cases=data.closed_cases,
                    corpus_messages=data.corpus_messages,
                    sizes={k: v for k, v in model.sizes.items() if k != "per_category"},
                    figures=figures,
                    blob=blob,
                    blob_bytes=len(blob),
                )
        except IntegrityError:
            continue
    raise CaseConflict("another training run stored the same version; try again")


def _summary(ev: Evaluation) -> dict[str, Any]:
    return {"n": ev.n, "top1": ev.top1, "top3": ev.top3, "confusions": [list(c) for c in ev.confusions[:10]]}


# --- suggesting ----------------------------------------------------------------------------

_loaded: dict[str, Any] = {"version": None, "model": None}
_load_lock = threading.Lock()


def current_model() -> tuple[int, DispatchClassifier]:
    """The newest version, loaded once per process (a cheap query tells whether it changed)."""
    version = DispatchModel.objects.aggregate(v=Max("version"))["v"]
    if version is None:
        raise NoModel("智能派单模型尚未训练：请运行 manage.py insight_train。")
    with _load_lock:
        if _loaded["version"] != version:
            blob = DispatchModel.objects.values_list("blob", flat=True).get(version=version)
            _loaded.update(version=version, model=DispatchClassifier.loads(bytes(blob)))
        return version, _loaded["model"]


def dispatch_suggest(*, title: Any, content: Any) -> dict[str, Any]:
    """The API's shape: ``{"model_version", "categories": [{code, confidence}×3], "departments": […]}``.
    Only active categories and departments are named (a retired one is skipped, not suggested)."""
    title = clean_text(title, field="title", label="标题", max_length=MAX_TITLE, required=False)
    content = clean_text(content, field="content", label="诉求内容", max_length=MAX_CONTENT, required=False)
    if not (title or content):
        msg = "请至少填写标题或诉求内容。"
        raise CaseValidationError(msg, fields={"title": [msg], "content": [msg]})
    version, model = current_model()
    cats, depts = model.suggest(title, content, k=6)
    active_cats = set(Category.objects.filter(active=True).values_list("code", flat=True))
    active_depts = set(Department.objects.filter(active=True).values_list("code", flat=True))
    return {
        "model_version": version,
        "categories": [{"code": p.code, "confidence": p.confidence} for p in cats if p.code in active_cats][:3],
        "departments": [{"code": p.code, "confidence": p.confidence} for p in depts if p.code in active_depts][:3],
    }


def dispatch_suggestion_shown(*, case: Case, actor: User | None, now: dt.datetime) -> dict[str, Any]:
    """Suggest for ``case`` (its title and content) and remember what was shown, so that the
    assignment can tell whether the top department was taken. Returns the API's shape.

    Side effect: the case's undecided ``DispatchSuggestion`` row is created or replaced."""
    out = dispatch_suggest(title=case.title, content=case.content)
    if out["departments"]:
        with transaction.atomic():
            DispatchSuggestion.objects.filter(case=case, taken__isnull=True).delete()
            DispatchSuggestion.objects.create(
                case=case,
                model_version=out["model_version"],
                categories=out["categories"],
                departments=out["departments"],
                suggested_department=out["departments"][0]["code"],
                actor=actor,
                shown_at=now,
            )
    return out


def dispatch_suggestion_decide(*, case: Case, department: str, now: dt.datetime) -> DispatchSuggestion | None:
    """On assignment (``receivers``, inside its transaction): the case's undecided suggestion gets
    the chosen department and whether it was the top suggestion. Nothing when none was shown."""
    row = DispatchSuggestion.objects.filter(case=case, taken__isnull=True).first()
    if row is None:
        return None
    row.chosen_department = department
    row.taken = department == row.suggested_department
    row.decided_at = now
    row.save(update_fields=["chosen_department", "taken", "decided_at"])
    return row
