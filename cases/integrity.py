"""Checking the audit chain (cases.chain) and writing and checking its checkpoints.

``verify_case`` walks one case's events and compares the end of the chain with the case row:
the first bad link is named — an edited event, a gap (a deleted event), a chain rehashed without
the key, a head with no event behind it (a deleted last event), a case row whose audited columns
no longer match the digest its head event signed (a direct edit), a case with no events at all.

A checkpoint (``write_checkpoint``) is one file outside the database: every case's head (id,
tracking number, head seq, head hash, row digest), one SHA-256 digest over them all and an HMAC of that
digest. ``verify_checkpoint`` compares the database with it: a case gone, a chain that ends
before the recorded head, or whose event at the recorded seq has another hash, is named. Legacy
(unkeyed) chains can be rewritten by anyone; only a checkpoint taken before that catches it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import audit, chain
from .models import Case, CaseEvent

CHECKPOINT_FORMAT = "casecenter-audit-checkpoint/1"
# A case registered this shortly before a checkpoint may have committed after it was read.
CHECKPOINT_MARGIN = dt.timedelta(minutes=10)

EDITED = "edited event"
GAP = "deleted event"
BROKEN_LINK = "broken link"
REWRITTEN = "rewritten chain"
DELETED_LAST = "deleted last event"
HEAD = "head mismatch"
ROW_EDITED = "case row edited"
NO_EVENTS = "all events deleted"
UNREGISTERED = "unregistered action"
CASE_DELETED = "case deleted"
NOT_CHECKPOINTED = "missing from checkpoint"
BAD_CHECKPOINT = "bad checkpoint"


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    case_id: int | None = None
    tracking_no: str = ""
    seq: int | None = None
    event: CaseEvent | None = None

    def __str__(self) -> str:
        if self.event is not None:
            ev = self.event
            where = f"event seq={ev.seq} (id={ev.pk}, {ev.transition} at {ev.at.isoformat()}) "
        else:
            where = f"event seq={self.seq} " if self.seq is not None else ""
        return f"{self.tracking_no or 'checkpoint'}: {where}[{self.kind}] {self.message}"


_ROW_FIELDS = ("pk", "tracking_no", "registered_at", "audit_head_seq", "audit_head_hash", *chain.AUDITED_COLUMNS)


def _rows(case_ids: list[int] | None = None, tracking_no: str | None = None) -> Iterator[dict[str, Any]]:
    qs = Case.objects.order_by("pk").values(*dict.fromkeys(_ROW_FIELDS))
    if case_ids is not None:
        qs = qs.filter(pk__in=case_ids)
    if tracking_no is not None:
        qs = qs.filter(tracking_no=tracking_no)
    return qs.iterator()


def _hash_ok(ev: CaseEvent) -> bool:
    try:
        return chain.same(ev.compute_hash(), ev.hash)
    except ValueError:
        return False


def verify_case(row: dict[str, Any]) -> Problem | None:
    """The first bad link of one case's chain and head (``row`` as ``_rows`` gives it), or None."""
    no = row["tracking_no"]

    def problem(kind: str, message: str, ev: CaseEvent | None = None, seq: int | None = None) -> Problem:
        return Problem(kind, message, row["pk"], no, ev.seq if ev is not None else seq, ev)

    events = list(CaseEvent.objects.filter(case_id=row["pk"]).order_by("seq"))
    head_seq, head_hash = row["audit_head_seq"], row["audit_head_hash"]
    if not events:
        if head_seq:
            return problem(NO_EVENTS, f"the case row's head is seq {head_seq} but the case has no events", seq=1)
        return problem(NO_EVENTS, "the case has no events (every case starts with its registration)", seq=1)
    prev_hash, expected, keyed_seen = "", 1, False
    for i, ev in enumerate(events):
        if ev.seq != expected:
            return problem(GAP, f"sequence gap: expected {expected}, found {ev.seq}", ev)
        if ev.prev_hash != prev_hash:
            return problem(BROKEN_LINK, "prev_hash does not match the previous event's hash", ev)
        if ev.hash_version == chain.LEGACY and keyed_seen:
            return problem(REWRITTEN, "a legacy (unkeyed) hash after a keyed one: the chain was rewritten", ev)
        if not _hash_ok(ev):
            later = events[i + 1 :]
            if later and any(_hash_ok(e) for e in later):
                return problem(EDITED, "content does not match its hash", ev)
            if later or ev.hash_version == chain.KEYED:
                return problem(
                    REWRITTEN,
                    "no hash from here on verifies with AUDIT_KEY: the chain was rewritten and rehashed",
                    ev,
                )
            return problem(EDITED, "content does not match its hash", ev)
        if not audit.is_registered(ev.transition):
            return problem(UNREGISTERED, f"unregistered action {ev.transition!r}", ev)
        keyed_seen = keyed_seen or ev.hash_version == chain.KEYED
        prev_hash, expected = ev.hash, expected + 1
    last = events[-1]
    if head_seq > last.seq:
        return problem(
            DELETED_LAST,
            f"the case row's head is seq {head_seq} but its last event is seq {last.seq}",
            seq=last.seq + 1,
        )
    if head_seq < last.seq or not chain.same(head_hash, last.hash):
        return problem(HEAD, f"the case row's head (seq {head_seq}) does not match its last event", last)
    if last.hash_version == chain.KEYED and not chain.same(chain.row_digest(row), last.row_digest):
        return problem(
            ROW_EDITED,
            "the case row's audited columns (state, department, text, citizen, version …) no longer "
            "match the digest its last event signed: the row was edited directly",
            last,
        )
    return None


def verify_chain(case_id: int) -> tuple[bool, CaseEvent | None, str]:
    """(ok, first bad event or None, why) for one case."""
    row = next(_rows([case_id]), None)
    if row is None:
        return False, None, "no such case"
    found = verify_case(row)
    return (True, None, "") if found is None else (False, found.event, f"{found.kind}: {found.message}")


def verify_cases(tracking_no: str | None = None) -> tuple[int, list[Problem]]:
    checked, problems = 0, []
    for row in _rows(tracking_no=tracking_no):
        checked += 1
        found = verify_case(row)
        if found is not None:
            problems.append(found)
    return checked, problems


# --- checkpoints ----------------------------------------------------------------------


def checkpoint_dir() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def _digest(heads: list[list[Any]]) -> str:
    return chain.legacy_hash({"format": CHECKPOINT_FORMAT, "heads": heads})


def write_checkpoint(now: dt.datetime | None = None, directory: Path | None = None) -> Path:
    """Write one checkpoint file of every case's head; return its path. The heads are read in
    one transaction (one snapshot on PostgreSQL)."""
    now = now or timezone.now()
    directory = directory or checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        heads = [
            [r["pk"], r["tracking_no"], r["audit_head_seq"], r["audit_head_hash"], chain.row_digest(r)] for r in _rows()
        ]
    digest = _digest(heads)
    body = {
        "format": CHECKPOINT_FORMAT,
        "at": now.astimezone(dt.UTC).isoformat(),
        "cases": len(heads),
        "digest": digest,
        "mac": chain.mac(digest),
        "heads": heads,
    }
    path = directory / f"audit-checkpoint-{now.astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)
    return path


def latest_checkpoints(count: int = 1, directory: Path | None = None) -> list[Path]:
    directory = directory or checkpoint_dir()
    if count <= 0 or not directory.is_dir():
        return []
    return sorted(directory.glob("audit-checkpoint-*.json"))[-count:][::-1]


def verify_checkpoint(path: Path) -> list[Problem]:
    name = path.name
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        heads = body["heads"]
        at = dt.datetime.fromisoformat(body["at"])
        digest_ok = body.get("format") == CHECKPOINT_FORMAT and chain.same(_digest(heads), body["digest"])
        mac_ok = chain.same(chain.mac(body["digest"]), body["mac"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [Problem(BAD_CHECKPOINT, f"{name} cannot be read: {exc}")]
    if not digest_ok:
        return [Problem(BAD_CHECKPOINT, f"{name}: its digest does not match its heads (the file was edited)")]
    if not mac_ok:
        return [Problem(BAD_CHECKPOINT, f"{name}: its MAC does not verify with AUDIT_KEY (written without the key)")]
    problems: list[Problem] = []
    recorded = {pk: (no, seq, h, rd) for pk, no, seq, h, rd in heads}
    rows = {r["pk"]: r for r in _rows()}
    for pk, (no, seq, h, rd) in recorded.items():
        if pk not in rows:
            problems.append(Problem(CASE_DELETED, f"in {name} with head seq {seq}, no longer in the database", pk, no))
            continue
        if seq == 0:
            continue
        ev = CaseEvent.objects.filter(case_id=pk, seq=seq).values("hash").first()
        if ev is None:
            last = CaseEvent.objects.filter(case_id=pk).order_by("-seq").values_list("seq", flat=True).first()
            problems.append(
                Problem(
                    NO_EVENTS if last is None else DELETED_LAST,
                    f"{name} recorded head seq {seq}; the chain now "
                    + ("has no events" if last is None else f"ends at seq {last}")
                    + ": events were deleted",
                    pk,
                    no,
                    seq,
                )
            )
        elif not chain.same(ev["hash"], h):
            problems.append(
                Problem(REWRITTEN, f"the event's hash differs from the one {name} recorded: rewritten", pk, no, seq)
            )
        elif rows[pk]["audit_head_seq"] == seq and not chain.same(chain.row_digest(rows[pk]), rd):
            # No action since the checkpoint, yet the row changed (covers legacy-headed cases too).
            problems.append(
                Problem(ROW_EDITED, f"no action since {name}, but the case row's audited columns changed", pk, no, seq)
            )
    for pk, row in rows.items():
        if pk not in recorded and row["registered_at"] < at - CHECKPOINT_MARGIN:
            problems.append(
                Problem(
                    NOT_CHECKPOINTED,
                    f"registered {row['registered_at'].isoformat()}, before {name} was taken, but not in it",
                    pk,
                    row["tracking_no"],
                )
            )
    return problems
