"""API token authentication with a short per-process memory of valid tokens.

DRF's ``TokenAuthentication`` reads the token and its user (one SELECT joining them) on every
request; an agent registering cases sends the same token each time. ``CachedTokenAuthentication``
remembers a token that was found valid, with a copy of its user's row, for at most
``TOKEN_CACHE_SECONDS``, and answers exactly as DRF's class does ("Invalid token.", "User
inactive or deleted.").

How soon a change takes effect (the bound is what matters: a revoked token must stop working):

- in the process that makes it, at once: any save or delete of a token or a user (sign-out,
  password change, a token rotated, a user deactivated, their role or department changed) drops
  every remembered token here and bumps a stamp in the shared cache (Redis in production); inside
  a transaction it does both again on commit, so a copy read before the commit is not kept;
- in every other process, within ``STAMP_RECHECK_SECONDS`` (1 s): each thread reads the stamp at
  most that often and forgets its tokens when the stamp moved;
- whatever happens to the stamp (Redis down, a change written without signals such as
  ``QuerySet.update``), within ``TOKEN_CACHE_SECONDS`` (5 s): no token is remembered longer.

Only valid tokens are remembered (a wrong one is looked up every time, so guessing gains nothing
and fills nothing). Each request gets its own fresh ``User`` and ``Token`` instances built from
the remembered row: nothing a view sets on ``request.user`` reaches another request or thread.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from cases.models import User
from cases.shared_stamp import SharedStamp

TOKEN_CACHE_SECONDS = 5.0
STAMP_RECHECK_SECONDS = 1.0
STAMP_KEY = "casecenter:apitokens:stamp"
# Staff tokens of one city's hotline: far fewer. Past it, start again (a bound, not an eviction policy).
MAX_TOKENS = 10_000

_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
_TOKEN_FIELDS = [f.attname for f in Token._meta.concrete_fields]

# key -> (stamp, remembered at, database alias, token row values, user row values)
_tokens: dict[str, tuple[str, float, str, list[Any], list[Any]]] = {}
_lock = threading.Lock()
# Bumped by every change: a lookup that started before a change does not remember what it read.
_generation = 0


def _now() -> float:
    # The wall clock (tests travel in time with it); a clock set back counts as expired below.
    return time.time()


_shared = SharedStamp(STAMP_KEY, clock=_now, recheck=STAMP_RECHECK_SECONDS)


def forget() -> None:
    """Drop every remembered token in this process (tests call it between tests)."""
    global _generation
    with _lock:
        _generation += 1
        _tokens.clear()
    _shared.forget()


def _changed_everywhere() -> None:
    # Other processes then forget within STAMP_RECHECK_SECONDS, or TOKEN_CACHE_SECONDS without the cache.
    forget()
    _shared.bump()


def changed() -> None:
    """A token or a user was written: forget here now, tell the other processes now and on commit."""
    _changed_everywhere()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_changed_everywhere)


def _on_change(sender: type[Model], **kwargs: Any) -> None:
    changed()


for _model in (Token, User):
    post_save.connect(_on_change, sender=_model, dispatch_uid=f"web.api.authentication.save.{_model.__name__}")
    post_delete.connect(_on_change, sender=_model, dispatch_uid=f"web.api.authentication.delete.{_model.__name__}")


def _instances(db: str, token_values: list[Any], user_values: list[Any]) -> tuple[User, Token]:
    user = User.from_db(db, _USER_FIELDS, user_values)
    token = Token.from_db(db, _TOKEN_FIELDS, token_values)
    token.user = user
    return user, token


def _remembered(key: str) -> tuple[User, Token] | None:
    entry = _tokens.get(key)
    if entry is None:
        return None
    stamp, at, db, token_values, user_values = entry
    if stamp != _shared.get() or not 0 <= _now() - at < TOKEN_CACHE_SECONDS:
        _tokens.pop(key, None)
        return None
    return _instances(db, token_values, user_values)


def _remember(key: str, token: Token, generation: int, stamp: str) -> None:
    user = token.user
    entry = (
        stamp,
        _now(),
        token._state.db,
        [getattr(token, name) for name in _TOKEN_FIELDS],
        [getattr(user, name) for name in _USER_FIELDS],
    )
    with _lock:
        if generation != _generation:  # something changed while we read: do not keep it
            return
        if len(_tokens) >= MAX_TOKENS:
            _tokens.clear()
        _tokens[key] = entry


class CachedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` as DRF's class, remembered per process for a few seconds
    (module docstring: what is remembered, and how soon a change takes effect)."""

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        found = _remembered(key)
        if found is not None:
            return found
        generation, stamp = _generation, _shared.get()
        user, token = super().authenticate_credentials(key)
        _remember(key, token, generation, stamp)
        return user, token
