"""What a sign-out or a password change ends: the user's API tokens and their live connections.

sessions_end(user=..., session_key=...)   the one service; called by the two hooks below
on_logged_out                             Django's user_logged_out (console and admin logout):
                                          that session's WebSockets, and the user's API token
EndSessionsOnPasswordChange               Django calls a password validator's password_changed
                                          after every set_password() + save() (admin, the password
                                          change views, manage.py changepassword): every WebSocket
                                          of the user, and the API token (not on a mere re-hash at
                                          sign-in, which Django does without that hook)
on_password_disabled                      the same when password sign-in is switched off (the
                                          admin's "usable password: no"), which that hook misses

Django itself already refuses the user's other sessions after a password change (the session
hash); this closes what a session check at connect time cannot reach (an open socket) and what
no session protects (a token). Connected by web.console's AppConfig.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.hashers import is_password_usable
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from cases.models import User
from notifications import events

log = logging.getLogger(__name__)


def sessions_end(*, user: User, session_key: str | None, reason: str) -> int:
    """End what ``user`` is signed in with.

    Side effects: deletes the user's API tokens (now, in the caller's transaction); after commit,
    closes the WebSockets of ``session_key``, or with ``session_key=None`` every WebSocket of the
    user. Returns how many tokens were revoked.
    """
    revoked, _ = Token.objects.filter(user=user).delete()
    if session_key:
        events.close_connections(events.session_topic(session_key), reason=reason)
    elif user.last_login is not None:  # never signed in: no session, so no socket to close
        events.close_connections(events.user_topic(user.pk), reason=reason)
    if revoked:
        log.info("revoked %d API token(s) of %s (%s)", revoked, user.get_username(), reason)
    return revoked


@receiver(user_logged_out, dispatch_uid="web.signout.on_logged_out")
def on_logged_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is None:  # logging out without being signed in
        return
    # Sent before the session is flushed: the key is still the one the sockets signed in with.
    sessions_end(user=user, session_key=request.session.session_key, reason="logout")


class EndSessionsOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS for its ``password_changed`` hook; it refuses nothing."""

    def validate(self, password: str, user: User | None = None) -> None:
        return None

    def password_changed(self, password: str, user: User | None = None) -> None:
        if user is not None and user.pk is not None:
            sessions_end(user=user, session_key=None, reason="password_changed")

    def get_help_text(self) -> str:
        return _("修改密码后，该账号在其他地方的登录和API令牌随即失效。")


@receiver(pre_save, sender=User, dispatch_uid="web.signout.on_password_disabled")
def on_password_disabled(
    sender: type[User], instance: User, update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    # Only a save that leaves the password unusable reads the stored one: every other save is free.
    if instance.pk is None or instance.has_usable_password():
        return
    if update_fields is not None and "password" not in update_fields:
        return
    before = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if before and is_password_usable(before):
        sessions_end(user=instance, session_key=None, reason="password_disabled")
