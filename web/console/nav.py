"""The console's navigation, one list for every staff page (console, SLA board, publication,
reports, notifications), so each role sees the same menu wherever it is.

Pages owned by other apps are linked only if their URL name resolves: the cases app does not
import them, and a page that is not installed simply does not appear.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from cases import rules
from cases.enums import Role
from cases.models import User

OVERSIGHT_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


def _exists(url_name: str) -> bool:
    try:
        reverse(url_name)
    except NoReverseMatch:
        return False
    return True


def console_nav(user: User) -> list[tuple[str, str]]:
    """(url name, label) pairs for this user's menu, in the order a working day goes."""
    role = rules.role_of(user)
    items: list[tuple[str, str, bool]] = [
        ("console:queue", _("分拨队列"), rules.is_dispatch(user)),
        ("console:inbox", _("本单位待办"), role in rules.DEPARTMENT_ROLES),
        ("console:desk", _("来电来信登记"), rules.may_register(user)),
        ("console:cases", _("工单查询"), True),
        ("sla_pages:board", _("超期看板"), rules.is_supervisor(user)),
        ("publication:queue", _("网上公开"), role in OVERSIGHT_ROLES),
        ("reports:monthly", _("月度简报"), role in OVERSIGHT_ROLES),
        ("notifications:list", _("消息"), True),
    ]
    return [(name, label) for name, label, allowed in items if allowed and _exists(name)]


def role_label(user: User) -> str:
    return str(Role(user.role).label) if user.role in Role.values else user.role
