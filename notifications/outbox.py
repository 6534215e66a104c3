"""Outbox services: record messages inside the business transaction, render them, and record
what happened when the worker tried to send them.

Nothing here talks to the outside world; ``worker.py`` and ``transports.py`` do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template import Context
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from cases.copy_rows import insert_rows
from cases.enums import ReplyChannel, Role
from cases.models import Case, Department, User
from cases.refcache import department_by_code
from cases.selectors import dispatch_department

from .enums import STAFF_CHANNELS, STAFF_TEMPLATES, OutboxChannel, OutboxStatus, Template
from .models import Notification, NotificationPreference, Outbox, PageVisit

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
DEFAULT_LANGUAGE = "zh-hans"
SUPPORTED_LANGUAGES = ("zh-hans", "en")
# The choices' values once (``.values`` builds the labelled choices anew on every call).
_CHANNELS = frozenset(c.value for c in OutboxChannel)
_TEMPLATES = frozenset(t.value for t in Template)


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed tries: 30 s, 1 min, 2 min … capped at 1 h."""
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


# --- bulk mode (a worker acting on a batch) ---------------------------------------------


@dataclass
class OutboxBulk:
    """What ``bulk()`` gathers: the rows by idempotency key, and lookups made once per block."""

    rows: dict[str, Outbox] = field(default_factory=dict)
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)


_bulk: ContextVar[OutboxBulk | None] = ContextVar("outbox_bulk", default=None)


@contextmanager
def bulk() -> Iterator[OutboxBulk]:
    """Inside the block ``enqueue`` only gathers its rows (the first row of a key wins, as
    ``get_or_create`` would have it), and a department's staff and their preferences are read
    once. On a normal exit the rows are written with ``cases.copy_rows.insert_rows`` (COPY on PostgreSQL), skipping a key already
    stored (``ON CONFLICT DO NOTHING``), so the block is as repeatable as single enqueues. Call it
    inside the business transaction; an exception leaves without writing anything."""
    state = OutboxBulk()
    token = _bulk.set(state)
    try:
        yield state
    finally:
        _bulk.reset(token)
    if state.rows:
        insert_rows(list(state.rows.values()), ignore_conflicts=True)


@contextmanager
def fresh_rows() -> Iterator[None]:
    """``bulk()`` for one action's messages: keys derived from an audit event appended in this same
    transaction (``notices.Occasion.key``) are new in all but odd cases, so ``enqueue`` does not look
    for an existing row first and all rows go in one INSERT at the end. Nested in a ``bulk()`` (a
    worker's batch), the outer block writes."""
    if _bulk.get() is not None:
        yield
        return
    with bulk():
        yield


def _memo(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """``compute()``, once per ``bulk()`` block for ``key`` (every time outside one)."""
    state = _bulk.get()
    if state is None:
        return compute()
    if key not in state.memo:
        state.memo[key] = compute()
    return state.memo[key]


# --- enqueueing (inside the caller's transaction) -------------------------------------


def enqueue(
    *,
    channel: str,
    template: str,
    context: dict[str, Any],
    idempotency_key: str,
    recipient: User | None = None,
    address: str = "",
    case: Case | None = None,
    language: str = DEFAULT_LANGUAGE,
    delay: timedelta | None = None,
) -> Outbox:
    """Record one message to send after commit. Calling again with the same key returns the
    existing row and changes nothing, so a retried action never sends twice."""
    if channel not in _CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    if template not in _TEMPLATES:
        raise ValueError(f"unknown message template {template!r}")
    if channel == OutboxChannel.INAPP and recipient is None:
        raise ValueError("in-app messages need a recipient user")
    if language not in SUPPORTED_LANGUAGES:
        language = DEFAULT_LANGUAGE
    key = idempotency_key[:200]
    now = timezone.now()
    if (gathering := _bulk.get()) is not None:
        if key not in gathering.rows:  # every column given: no default computed per row
            gathering.rows[key] = Outbox(
                idempotency_key=key,
                channel=channel,
                template=template,
                context=context,
                recipient=recipient,
                address=address,
                case=case,
                language=language,
                next_attempt_at=now + delay if delay else now,
                created_at=now,
                status=OutboxStatus.PENDING,
                attempts=0,
                last_error="",
                claimed_by="",
                claim_expires_at=None,
                provider_id="",
                delivery_status="",
                sent_at=None,
            )
        return gathering.rows[key]
    values = {
        "channel": channel,
        "template": template,
        "context": context,
        "recipient": recipient,
        "address": address,
        "case": case,
        "language": language,
        "next_attempt_at": now + (delay or timedelta(0)),
    }
    row, _created = Outbox.objects.get_or_create(idempotency_key=key, defaults=values)
    return row


def citizen_address(case: Case) -> tuple[str, str] | None:
    """Where the citizen asked to be answered: (channel, address), or None if nowhere to write.
    A call-back (phone) citizen still gets written messages by SMS when a phone is known."""
    if case.reply_channel == ReplyChannel.EMAIL and case.citizen_email:
        return OutboxChannel.EMAIL, case.citizen_email
    if case.citizen_phone:
        return OutboxChannel.SMS, case.citizen_phone
    if case.citizen_email:
        return OutboxChannel.EMAIL, case.citizen_email
    return None


def notify_citizen(
    *, case: Case, template: str, context: dict[str, Any], key: str, delay: timedelta | None = None
) -> Outbox | None:
    """Queue ``template`` to the citizen of ``case`` on their channel; None if they left no address."""
    target = citizen_address(case)
    if target is None:
        return None
    channel, address = target
    return enqueue(
        channel=channel,
        template=template,
        context=context,
        address=address,
        case=case,
        idempotency_key=f"{key}:citizen:{channel}",
        delay=delay,
    )


def _staff_roles(department: Department) -> tuple[str, ...]:
    return (Role.DISPATCHER, Role.AGENT) if department.is_dispatch else (Role.CLERK, Role.HEAD)


def department_staff(department: Department, roles: Iterable[str] | None = None) -> QuerySet[User]:
    """Who hears about a department's work: its clerks and head; for the dispatch centre, its
    dispatchers and agents."""
    if roles is None:
        roles = _staff_roles(department)
    return User.objects.filter(department=department, is_active=True, role__in=list(roles)).order_by("pk")


def prefetch_staff(departments: Iterable[Department | None]) -> None:
    """Inside a ``bulk()`` block: the staff of these departments (``department_staff``) and their
    preferences in two queries, for the ``notify_staff`` calls that follow, instead of two per
    department (a worker's batch knows its departments up front). Outside a block: nothing."""
    state = _bulk.get()
    if state is None:
        return
    wanted = {d.pk: d for d in departments if d is not None and ("staff", d.pk, None) not in state.memo}
    if not wanted:
        return
    by_roles: dict[tuple[str, ...], list[int]] = {}
    for dept in wanted.values():
        by_roles.setdefault(_staff_roles(dept), []).append(dept.pk)
    match = Q()
    for roles, ids in by_roles.items():
        match |= Q(department_id__in=ids, role__in=list(roles))
    users = list(User.objects.filter(match, is_active=True).order_by("pk"))
    prefs = _preferences(users)
    for pk in wanted:
        staff = [u for u in users if u.department_id == pk]
        state.memo[("staff", pk, None)] = staff
        state.memo[("prefs", *(u.pk for u in staff))] = {u.pk: prefs[u.pk] for u in staff}


def users_with_roles(roles: Iterable[str]) -> list[User]:
    """Every active user of ``roles``, whatever their department (supervisors, the leadership);
    read once per ``bulk()`` block."""
    roles = tuple(roles)
    return _memo(
        ("roles", roles), lambda: list(User.objects.filter(is_active=True, role__in=list(roles)).order_by("pk"))
    )


def notify_users(
    users: Iterable[User], template: str, context: dict[str, Any], key: str, *, case: Case | None = None
) -> list[Outbox]:
    """In-app and (when the user has an address) e-mail to each user, as their preferences allow."""
    users = list(users)
    prefs = _memo(("prefs", *(u.pk for u in users)), lambda: _preferences(users))
    rows: list[Outbox] = []
    for user in users:
        pref = prefs[user.pk]
        for channel in (OutboxChannel.INAPP, OutboxChannel.EMAIL):
            if not pref.allows(template, channel):
                continue
            if channel == OutboxChannel.EMAIL and not user.email:
                continue
            rows.append(
                enqueue(
                    channel=channel,
                    template=template,
                    context=context,
                    recipient=user,
                    address=user.email if channel == OutboxChannel.EMAIL else "",
                    case=case,
                    language=pref.language,
                    idempotency_key=f"{key}:u{user.pk}:{channel}",
                )
            )
    return rows


def _preferences(users: list[User]) -> dict[int, NotificationPreference]:
    """Each user's preferences; the defaults (unsaved) for those who never set any."""
    stored = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=users)}
    return {u.pk: stored.get(u.pk) or NotificationPreference(user=u) for u in users}


def notify_staff(
    department: Department | str,
    template: str,
    context: dict[str, Any],
    key: str,
    *,
    case: Case | None = None,
    roles: Iterable[str] | None = None,
) -> list[Outbox]:
    """Queue ``template`` to every active staff member of ``department`` (see ``department_staff``).

    For other apps (the SLA worker's warnings and breaches): call inside your transaction with a
    key that is stable for the occurrence, e.g. ``f"timer:{timer.pk}:breached"``."""
    dept = (
        department
        if isinstance(department, Department)
        else _memo(("department", department), lambda: department_by_code(department))
    )
    if dept is None:
        return []
    roles = tuple(roles) if roles is not None else None
    staff = _memo(("staff", dept.pk, roles), lambda: list(department_staff(dept, roles)))
    return notify_users(staff, template, context, key, case=case)


def local_time(moment: datetime | str | None) -> str:
    """A moment as people read it in every message: ``2026-11-23 23:30``, Asia/Shanghai (the
    TIME_ZONE setting), whatever zone it came in. Accepts an aware datetime or its ISO text (as
    stored in audit payloads); empty for nothing or something unreadable."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return ""
    if not isinstance(moment, datetime):
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, ZoneInfo(settings.TIME_ZONE))
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M")


def case_staff_url(case: Case) -> str:
    if _bulk.get() is not None:  # reversed once per bulk block: reverse() is slow beside a batch's other work
        pattern = _memo(("case_url",), lambda: _case_path(_PLACEHOLDER))
        return settings.PUBLIC_BASE_URL + pattern.replace(_PLACEHOLDER, case.tracking_no)
    return settings.PUBLIC_BASE_URL + _case_path(case.tracking_no)


_PLACEHOLDER = "TRACKINGNO"  # a tracking number's shape as far as the URL pattern goes


def _case_path(tracking_no: str) -> str:
    try:
        return reverse("console:case", args=[tracking_no])
    except NoReverseMatch:
        return f"/console/cases/{tracking_no}/"


def case_context(case: Case) -> dict[str, Any]:
    """What every case message may use. Plain values: stored as JSON, rendered later."""
    dept = case.department
    return {
        "tracking_no": case.tracking_no,
        "access_code": case.access_code,
        "title": case.title,
        "department": dept.name_zh if dept else "",
        "department_en": (dept.name_en or dept.name_zh) if dept else "",
        "answer": case.answer,
        "priority": case.priority,
        "track_url": f"{settings.PUBLIC_BASE_URL}/track/?tracking_no={case.tracking_no}",
        "case_url": case_staff_url(case),
    }


def notify_deadline(
    *,
    case: Case,
    template: str,
    key: str,
    stage: str = "",
    stage_label: str = "",
    due_at: datetime | None = None,
    department: Department | str | None = None,
) -> list[Outbox]:
    """A timer warning or breach to the staff of the responsible department (the case's, unless
    given). For the SLA sweeper, inside its transaction, e.g.
    ``notify_deadline(case=case, template=Template.TIMER_BREACHED, key=f"timer:{timer.pk}:breached",
    stage=timer.stage, stage_label=Stage(timer.stage).label, due_at=timer.due_at)``."""
    target = department or case.department or dispatch_department()
    if target is None:
        return []
    ctx = {
        **case_context(case),
        "stage": stage,
        "stage_label": str(stage_label),
        "due_at": local_time(due_at),
    }
    return notify_staff(target, template, ctx, key, case=case)


# --- rendering -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    sms: str


def render_message(template: str, context: dict[str, Any], language: str = DEFAULT_LANGUAGE) -> Rendered:
    """Render ``notifications/messages/<language>/<template>.txt``. The file has three sections
    introduced by the lines ``[subject]``, ``[body]`` and ``[sms]``; plain text, no escaping."""
    if language not in SUPPORTED_LANGUAGES:
        language = DEFAULT_LANGUAGE
    ctx = {"site_url": settings.PUBLIC_BASE_URL, **context}
    with translation.override(language):
        text = get_template(f"notifications/messages/{language}/{template}.txt").template.render(
            Context(ctx, autoescape=False)
        )
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in ("[subject]", "[body]", "[sms]"):
            current = stripped[1:-1]
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    parts = {k: "\n".join(v).strip() for k, v in sections.items()}
    body = parts.get("body", "")
    return Rendered(subject=" ".join(parts.get("subject", "").split()), body=body, sms=parts.get("sms") or body)


# --- recording outcomes (called by the worker, each in its own short transaction) ---------


def outbox_mark_sent(row: Outbox, *, provider_id: str = "") -> None:
    """The transport accepted the message. Caller holds the row lock."""
    row.status = OutboxStatus.SENT
    row.sent_at = timezone.now()
    row.provider_id = provider_id[:64]
    row.attempts += 1
    row.last_error = ""
    row.claimed_by = ""
    row.claim_expires_at = None
    row.save(
        update_fields=["status", "sent_at", "provider_id", "attempts", "last_error", "claimed_by", "claim_expires_at"]
    )


def outbox_record_sent(row_id: int, *, worker_id: str, provider_id: str = "") -> bool:
    """The transport accepted the message (the send ran outside any transaction). Recorded only
    if ``worker_id`` still holds the claim; False if not (its lease lapsed and another took it)."""
    with transaction.atomic():
        row = (
            Outbox.objects.select_for_update()
            .filter(pk=row_id, status=OutboxStatus.SENDING, claimed_by=worker_id)
            .first()
        )
        if row is None:
            return False
        outbox_mark_sent(row, provider_id=provider_id)
        return True


def outbox_record_failure(row_id: int, *, worker_id: str, error: str, permanent: bool) -> Outbox | None:
    """A try failed: schedule the next one with backoff, or give up (permanent error or too many
    tries). Only the worker holding the claim may record it, so a lapsed lease cannot clobber."""
    with transaction.atomic():
        row = (
            Outbox.objects.select_for_update()
            .filter(pk=row_id, status=OutboxStatus.SENDING, claimed_by=worker_id)
            .first()
        )
        if row is None:
            return None
        row.attempts += 1
        row.last_error = error[:2000]
        row.claimed_by = ""
        row.claim_expires_at = None
        if permanent or row.attempts >= MAX_ATTEMPTS:
            row.status = OutboxStatus.FAILED
        else:
            row.status = OutboxStatus.PENDING
            row.next_attempt_at = timezone.now() + backoff(row.attempts)
        row.save(
            update_fields=["attempts", "last_error", "claimed_by", "claim_expires_at", "status", "next_attempt_at"]
        )
        log.warning("outbox %s %s (attempt %s): %s", row.pk, row.status, row.attempts, error)
        return row


def outbox_retry(rows: QuerySet[Outbox]) -> int:
    """Send failed or cancelled messages again now (admin action). Returns how many were requeued."""
    return rows.filter(status__in=[OutboxStatus.FAILED, OutboxStatus.CANCELLED]).update(
        status=OutboxStatus.PENDING,
        next_attempt_at=timezone.now(),
        attempts=0,
        last_error="",
        claimed_by="",
        claim_expires_at=None,
    )


def outbox_cancel(rows: QuerySet[Outbox]) -> int:
    """Stop messages that have not gone yet (admin action)."""
    return rows.filter(status=OutboxStatus.PENDING).update(status=OutboxStatus.CANCELLED)


# Twilio statuses after which the message will not arrive.
TWILIO_FINAL_FAILURES = frozenset({"failed", "undelivered"})


def outbox_mark_delivery(provider_id: str, status: str, error_code: str | int | None = None) -> bool:
    """Record a delivery report (Twilio's MessageStatus callback, relayed by the telephony app).
    Idempotent; returns False for an unknown provider id. A final failure marks the row failed
    with the code, so it shows in the admin and on the case, where it can be retried."""
    status = (status or "").strip().lower()[:20]
    with transaction.atomic():
        row = Outbox.objects.select_for_update().filter(provider_id=provider_id, channel=OutboxChannel.SMS).first()
        if not provider_id or row is None:
            return False
        row.delivery_status = status
        fields = ["delivery_status"]
        if status in TWILIO_FINAL_FAILURES and row.status == OutboxStatus.SENT:
            row.status = OutboxStatus.FAILED
            row.last_error = f"twilio {status}" + (f" error {error_code}" if error_code else "")
            fields += ["status", "last_error"]
        row.save(update_fields=fields)
    return True


# --- in-app notifications ---------------------------------------------------------------


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one (or, with None, all) of the user's notifications read. Returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def preference_save(*, user: User, enabled: Iterable[str], language: str) -> NotificationPreference:
    """Store which ``template:channel`` pairs the user wants; everything else is switched off."""
    enabled = set(enabled)
    all_pairs = [f"{t.value}:{c.value}" for t in STAFF_TEMPLATES for c in STAFF_CHANNELS]
    pref, _created = NotificationPreference.objects.get_or_create(user=user)
    pref.disabled = [p for p in all_pairs if p not in enabled]
    pref.language = language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
    pref.save(update_fields=["disabled", "language"])
    return pref


def page_visit_record(*, user: User, page: str, now: datetime | None = None) -> datetime | None:
    """Note that ``user`` looks at ``page`` now; returns when they looked before (None: never).
    Two queries; two tabs opening at once both see the earlier visit, never an error."""
    now = now or timezone.now()
    previous = PageVisit.objects.filter(user=user, page=page).values_list("seen_at", flat=True).first()
    if previous is not None:
        PageVisit.objects.filter(user=user, page=page).update(seen_at=now)
    else:  # the other tab's first visit may have won: it is the same moment, near enough
        PageVisit.objects.bulk_create([PageVisit(user=user, page=page, seen_at=now)], ignore_conflicts=True)
    return previous
