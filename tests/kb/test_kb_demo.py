"""manage.py kb_demo_data: every knowledge-base screen has something to show."""

from __future__ import annotations

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from cases.models import Category
from kb import selectors
from kb.enums import ArticleStatus
from kb.models import Article, ArticleUse
from tests.kb.conftest import NOW

pytestmark = pytest.mark.django_db


@time_machine.travel(NOW, tick=False)
def test_demo_articles_cover_every_family_with_a_draft_an_expiring_one_and_a_use(org):
    call_command("demo_data", stdout=StringIO())
    call_command("kb_demo_data", stdout=StringIO())
    today = timezone.localdate()
    usable = selectors.usable_articles(today)
    families = {a.category.parent.code for a in usable}
    leaf_families = set(Category.objects.filter(parent__isnull=False).values_list("parent__code", flat=True))
    assert families == leaf_families
    assert {f: usable.filter(category__parent__code=f).count() >= 2 for f in families} == dict.fromkeys(families, True)
    assert Article.objects.filter(status=ArticleStatus.DRAFT).count() == 1
    assert selectors.expiring_this_month(today).count() == 1
    assert Article.objects.filter(version=2).count() == 1
    use = ArticleUse.objects.get()
    assert (use.article.version, use.version, use.case.state) == (2, 2, "answered")
    call_command("kb_demo_data", stdout=StringIO())  # idempotent
    assert Article.objects.count() == 25
