"""Fixtures of the insight tests: a small classifier trained once per session (no database), stored
as a model version where a test needs one."""

from __future__ import annotations

import datetime as dt

import pytest

from insight import corpus
from insight.classifier import DispatchClassifier, text_of

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="session")
def small_classifier_blob() -> bytes:
    """Trained on 30 corpus messages per category (120 for the community matters, whose department
    depends on the community named): seconds, not the full corpus's half minute."""
    taken: dict[str, int] = {}
    rows = []
    for m in corpus.read_corpus():
        if taken.get(m.category, 0) < (120 if m.category == "CIV-COMM" else 30):
            taken[m.category] = taken.get(m.category, 0) + 1
            rows.append(m)
    model = DispatchClassifier.fit(
        [text_of(m.title, m.content) for m in rows], [m.category for m in rows], [m.department for m in rows]
    )
    return model.dumps()


@pytest.fixture
def dispatch_model(db, small_classifier_blob):
    from insight.models import DispatchModel

    return DispatchModel.objects.create(
        version=1, trained_at=NOW, blob=small_classifier_blob, blob_bytes=len(small_classifier_blob)
    )
