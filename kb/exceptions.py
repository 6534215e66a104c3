"""The knowledge base's errors: the case errors' kinds (so every edge maps them to 400/403/404/409
as it does for cases), with the knowledge base's own words."""

from __future__ import annotations

from cases.exceptions import CaseNotFound


class ArticleNotFound(CaseNotFound):
    """Unknown article: 404."""
