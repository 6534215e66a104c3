"""Articles for the knowledge-base tests, written through the services."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kb.enums import ArticleStatus
from kb.services import ArticleInput, article_create

# A fixed day: the tests' "today" (validity is by local date). 2026-12-01 is a Tuesday.
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def make_article(actor, **overrides):
    fields = {
        "title": "居住证办理需要哪些材料",
        "body": "办理居住证需携带身份证、居住地址证明（房屋租赁合同或房产证）和一寸照片，到居住地派出所办理。",
        "category": "SEC-HUKOU",
        "department": "GAJ",
        "keywords": "居住证 暂住证 材料",
        "valid_from": "2026-01-01",
        "valid_until": "",
        "status": ArticleStatus.PUBLISHED,
    }
    fields.update(overrides)
    return article_create(actor=actor, data=ArticleInput(**fields), now=NOW)
