import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """The public statistics are cached for minutes; each test starts with none."""
    cache.clear()
