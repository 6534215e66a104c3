"""Who may use the insight features. The web layer checks these; the services check them too."""

from __future__ import annotations

from cases import rules
from cases.enums import Role
from cases.models import User

SUGGEST_ROLES = frozenset({Role.AGENT, Role.DISPATCHER, Role.ADMIN})
HOTSPOT_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
WALLBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.DISPATCHER, Role.ADMIN})


def may_suggest(user: User | None) -> bool:
    return rules.role_of(user) in SUGGEST_ROLES


def may_see_hotspots(user: User | None) -> bool:
    return rules.role_of(user) in HOTSPOT_ROLES


def may_open_joint(user: User | None) -> bool:
    # Leadership reads and acts on nothing (cases.rules.is_leadership); supervisors organise.
    return rules.is_supervisor(user)


def may_see_wallboard(user: User | None) -> bool:
    return rules.role_of(user) in WALLBOARD_ROLES
