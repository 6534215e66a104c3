"""Demo data of the public face: the Open311 demo key and the demo's closed cases published."""

from __future__ import annotations

from .enums import Publication, Role
from .exceptions import CaseError
from .models import Case, Open311ApiKey, User
from .publication import publication_draft, publication_publish

DEMO_OPEN311_KEY = "demo-open311-key"


def create_public_demo_data(users: dict[str, User]) -> dict[str, int]:
    """Idempotent. Creates the API.md demo key; publishes the redacted draft of every pending case
    (as the dispatcher would after reading it), so the board and its search have content."""
    Open311ApiKey.objects.get_or_create(key=DEMO_OPEN311_KEY, defaults={"name": "Open311 demo client"})
    dispatcher = users.get("dispatcher") or User.objects.filter(role=Role.DISPATCHER).first()
    published = 0
    if dispatcher is None:
        return {"published": 0}
    for case in Case.objects.filter(publication=Publication.PENDING).order_by("pk"):
        draft = publication_draft(case)
        try:
            publication_publish(
                case=case,
                actor=dispatcher,
                title=draft["title"],
                content=draft["content"],
                answer=draft["answer"] or case.answer or "已办结。",
            )
        except CaseError:
            continue  # the redactor left something the leak guard caught: stays pending for a human
        published += 1
    return {"published": published}
