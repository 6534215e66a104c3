"""Who may call the staff API at all. What they may do to a case is decided by the services."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from cases.enums import ROLE_VALUES


class IsStaffMember(BasePermission):
    """A signed-in, active user with one of the staff roles."""

    def has_permission(self, request: Request, view: object) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and getattr(user, "role", None) in ROLE_VALUES)
