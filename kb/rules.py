"""Who may do what in the knowledge base."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cases import rules
from cases.enums import Role

if TYPE_CHECKING:
    from cases.models import Department, User

    from .models import Article


def may_read(user: User | None) -> bool:
    """Every signed-in staff member reads the knowledge base (drafts included, marked as such)."""
    return rules.role_of(user) is not None


def may_write_for(user: User | None, department: Department | None) -> bool:
    """Dispatchers and administrators write every department's articles; a department's clerks and
    head write their own department's."""
    if rules.is_dispatch(user):
        return True
    return (
        rules.role_of(user) in rules.DEPARTMENT_ROLES and department is not None and user.department_id == department.pk
    )


def may_create(user: User | None) -> bool:
    return rules.is_dispatch(user) or (rules.role_of(user) in rules.DEPARTMENT_ROLES and bool(user.department_id))


def may_edit(user: User | None, article: Article) -> bool:
    return may_write_for(user, article.department)


def may_answer_from(user: User | None) -> bool:
    """Who may resolve a case from an article: whoever may resolve directly."""
    return rules.is_intake(user)


def is_department_staff(user: User | None) -> bool:
    return rules.role_of(user) in {Role.CLERK, Role.HEAD} and bool(user.department_id)
