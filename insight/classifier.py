"""The dispatch classifier: title + content -> category and department, each with a confidence.

Features are two TF-IDF blocks side by side: jieba words (uni- and bigrams) and character 1-3-grams
(so a word jieba splits differently, or a typo, still shares most of its characters); the model is a
multinomial logistic regression per target (category, department), whose class probabilities are
the confidences shown to the dispatcher. Nothing here touches the database: ``insight.services``
trains from closed cases + the shipped corpus and stores the fitted object as a model version.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import jieba
import joblib

if TYPE_CHECKING:  # imported where they are used: scikit-learn (and scipy) cost every process 2 s to import
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

jieba.setLogLevel(logging.WARNING)

# Inverse regularisation of the logistic regressions. The generated tuning split scores 100 % for
# every C tried (5 and 20), so it does not discriminate; 20 was the first value tried and was kept.
DEFAULT_C = 20.0


def jieba_tokens(text: str) -> list[str]:
    # Module level so a fitted vectorizer can be pickled.
    return [t for t in jieba.lcut(text) if t.strip() and t not in PUNCTUATION]


PUNCTUATION = set("，。！？、；：“”‘’（）《》,.!?;:()[]- \t\n")


def text_of(title: str, content: str) -> str:
    # The title is short and to the point: count it twice.
    return f"{title}。{title}。{content}"


def _features() -> FeatureUnion:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    words = TfidfVectorizer(
        tokenizer=jieba_tokens, token_pattern=None, lowercase=False, ngram_range=(1, 2), sublinear_tf=True, min_df=2
    )
    chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    return FeatureUnion([("words", words), ("chars", chars)])


@dataclass
class Prediction:
    code: str
    confidence: float


@dataclass
class DispatchClassifier:
    """Two pipelines over the same kind of features: one for the category, one for the department."""

    features: FeatureUnion
    category: LogisticRegression
    department: LogisticRegression
    sizes: dict = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        categories: Sequence[str],
        departments: Sequence[str],
        *,
        c: float = DEFAULT_C,
    ) -> DispatchClassifier:
        if len(set(categories)) < 2 or len(set(departments)) < 2:
            raise ValueError("need at least two different categories and departments to train on")
        features = _features()
        matrix = features.fit_transform(list(texts))

        from sklearn.linear_model import LogisticRegression

        def classifier(labels: Sequence[str]) -> LogisticRegression:
            # saga: a third of lbfgs's time on these sparse features, same held-out figures.
            return LogisticRegression(C=c, solver="saga", tol=1e-3, max_iter=1000).fit(matrix, list(labels))

        category = classifier(categories)
        department = classifier(departments)
        n_features = matrix.shape[1]
        sizes = {
            "train_texts": len(texts),
            "categories": len(set(categories)),
            "departments": len(set(departments)),
            "features": n_features,
            "per_category": dict(Counter(categories)),
        }
        return cls(features=features, category=category, department=department, sizes=sizes)

    def _top(self, model: LogisticRegression, texts: Sequence[str], k: int) -> list[list[Prediction]]:
        probabilities = model.predict_proba(self.features.transform(list(texts)))
        classes = model.classes_
        out = []
        for row in probabilities:
            best = row.argsort()[::-1][:k]
            out.append([Prediction(str(classes[i]), round(float(row[i]), 4)) for i in best])
        return out

    def suggest(self, title: str, content: str, *, k: int = 3) -> tuple[list[Prediction], list[Prediction]]:
        text = [text_of(title, content)]
        return self._top(self.category, text, k)[0], self._top(self.department, text, k)[0]

    def top_categories(self, texts: Sequence[str], k: int = 3) -> list[list[Prediction]]:
        return self._top(self.category, texts, k)

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(self, buffer, compress=3)
        return buffer.getvalue()

    @staticmethod
    def loads(blob: bytes) -> DispatchClassifier:
        # Only ever blobs this service wrote into its own database (see insight.models).
        return joblib.load(io.BytesIO(blob))


@dataclass
class Evaluation:
    n: int
    top1: float
    top3: float
    confusions: list[tuple[str, str, int]]  # (true, predicted, count), most frequent first
    per_category: dict[str, float]  # top-1 recall per true category

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "top1": self.top1,
            "top3": self.top3,
            "confusions": [list(c) for c in self.confusions],
            "per_category": self.per_category,
        }


def evaluate(model: DispatchClassifier, texts: Sequence[str], truth: Sequence[str]) -> Evaluation:
    tops = model.top_categories(texts, k=3)
    hits1 = hits3 = 0
    confusions: Counter[tuple[str, str]] = Counter()
    seen: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for preds, true in zip(tops, truth, strict=True):
        seen[true] += 1
        if preds[0].code == true:
            hits1 += 1
            right[true] += 1
        else:
            confusions[(true, preds[0].code)] += 1
        if any(p.code == true for p in preds):
            hits3 += 1
    n = len(truth)
    return Evaluation(
        n=n,
        top1=round(hits1 / n, 4) if n else 0.0,
        top3=round(hits3 / n, 4) if n else 0.0,
        confusions=[(t, p, c) for (t, p), c in confusions.most_common()],
        per_category={code: round(right[code] / seen[code], 4) for code in sorted(seen)},
    )
