"""The audit chain's primitives: the key, the hash of an event, the digest of a case row.

Two kinds of event hash live side by side (``CaseEvent.hash_version``):

- ``LEGACY`` (1): the events written before the chain was keyed — SHA-256 over the event's
  fields and the previous hash. Anyone can recompute them, so they prove order and content only
  against an outside copy (a checkpoint). They are verified as they are and never rewritten.
- ``KEYED`` (2): HMAC-SHA256 with ``settings.AUDIT_KEY`` over the same fields, the previous
  hash and ``row_digest``, the digest of the case row's audited columns right after the action.
  Rewriting and rehashing a chain needs the key; so does editing the row to match.

The case row carries its chain head (``audit_head_seq``, ``audit_head_hash``), written in the
action's transaction, so a deleted last event shows as a head with no event behind it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

LEGACY = 1
KEYED = 2

# The columns a direct edit of the case row must not change unnoticed: every column the actions
# own. A fixed list, not "all columns", so adding a column never breaks old digests. Not here:
# id; updated_at (bumped by any save); return_due_at (the SLA app's receiver sets it after the
# event, in the same transaction); the head itself; reply_draft (a work-in-progress text).
AUDITED_COLUMNS: tuple[str, ...] = (
    "tracking_no",
    "access_code",
    "channel",
    "kind",
    "category_id",
    "priority",
    "title",
    "content",
    "location",
    "citizen_name",
    "citizen_phone",
    "citizen_email",
    "citizen_id_no",
    "reply_channel",
    "publish_consent",
    "publication",
    "public_title",
    "public_content",
    "public_answer",
    "published_at",
    "state",
    "version",
    "department_id",
    "instructions",
    "duplicate_of_id",
    "reject_reason_id",
    "reject_note",
    "reply_text",
    "answer",
    "rating",
    "feedback_comment",
    "first_contact_resolution",
    "return_count",
    "reopen_count",
    "on_hold",
    "hold_reason",
    "registered_by_id",
    "registered_at",
    "assigned_at",
    "replied_at",
    "answered_at",
    "closed_at",
)


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain).encode()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def audit_key() -> bytes:
    key = settings.AUDIT_KEY
    if not key:
        raise RuntimeError("AUDIT_KEY is empty: the audit chain cannot be signed.")
    return key.encode()


def keyed_hash(payload: dict[str, Any]) -> str:
    return hmac.new(audit_key(), canonical(payload), hashlib.sha256).hexdigest()


def legacy_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def row_digest(values: dict[str, Any]) -> str:
    """SHA-256 over the audited columns as stored (``values`` read back from the database)."""
    return hashlib.sha256(canonical({name: values[name] for name in AUDITED_COLUMNS})).hexdigest()


def mac(text: str) -> str:
    """HMAC of a checkpoint's digest: a checkpoint file written without the key does not verify."""
    return hmac.new(audit_key(), text.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
