"""Input normalisation shared by forms, the API and the webhooks."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from .exceptions import CaseValidationError

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")
_ID_NO = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

MAX_TITLE = 200
MAX_CONTENT = 5000


def normalize_phone(raw: str, *, field: str = "phone", required: bool = False) -> str:
    """Return a mainland mobile (13800138000) or landline (01012345678) number, or raise."""
    value = re.sub(r"[\s\-()（）]", "", raw or "")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    if not value:
        if required:
            raise CaseValidationError(_("请填写联系电话。"), fields={field: [_("请填写联系电话。")]})
        return ""
    if _MOBILE.match(value) or _LANDLINE.match(value):
        return value
    msg = _("电话号码格式不正确：应为11位手机号或带区号的固定电话。")
    raise CaseValidationError(msg, fields={field: [msg]})


def id_number_is_valid(value: str) -> bool:
    value = value.upper()
    if not _ID_NO.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def normalize_id_number(raw: str, *, field: str = "id_no") -> str:
    value = (raw or "").strip().upper()
    if not value:
        return ""
    if not id_number_is_valid(value):
        msg = _("身份证号码无效：应为18位且校验位正确。")
        raise CaseValidationError(msg, fields={field: [msg]})
    return value


def require_text(raw: object, *, field: str, label: str) -> str:
    """``raw`` as a text: None is empty; a number, list or object (from JSON), a text holding a
    NUL character or a lone surrogate (JSON's "\\ud800": no UTF-8 carries it) — neither of which
    PostgreSQL can store — is refused with the field named."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        msg = _("%(label)s须为文本。") % {"label": label}
        raise CaseValidationError(msg, fields={field: [msg]})
    if "\x00" in raw:
        msg = _("%(label)s含有不允许的空字符（NUL）。") % {"label": label}
        raise CaseValidationError(msg, fields={field: [msg]})
    if not raw.isascii():
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            msg = _("%(label)s含有无效的字符。") % {"label": label}
            raise CaseValidationError(msg, fields={field: [msg]}) from None
    return raw


def parse_moment(text: str, *, date_at: dt.time | None = None) -> dt.datetime | None:
    """An ISO 8601 datetime (naive = local time) as an aware datetime; with ``date_at`` a bare date
    too, at that local time. None for anything else, also for a well-formed but impossible value
    ("T25:00", "02-30", which make ``parse_datetime`` raise) and for a moment that has no UTC
    value, which the database needs (year 1 at +08:00, year 9999 at -14:00)."""
    try:
        day = parse_date(text) if date_at is not None else None
        moment = dt.datetime.combine(day, date_at) if day is not None else parse_datetime(text)
        if moment is None:
            return None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None
    return moment


def is_ascii_number(raw: str) -> bool:
    """``raw`` is a non-empty run of 0-9. (``str.isdigit()`` says yes to "²" and "①", which
    ``int()`` refuses, and to "１２", which is no id a client should send.)"""
    return raw.isascii() and raw.isdigit()


def clean_text(raw: object, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    value = require_text(raw, field=field, label=label).strip()
    if required and not value:
        msg = _("请填写%(label)s。") % {"label": label}
        raise CaseValidationError(msg, fields={field: [msg]})
    if len(value) > max_length:
        msg = _("%(label)s不能超过%(max)d个字符（现有%(n)d个）。") % {
            "label": label,
            "max": max_length,
            "n": len(value),
        }
        raise CaseValidationError(msg, fields={field: [msg]})
    return value


def mask_phone(value: str) -> str:
    if len(value) >= 7:
        return f"{value[:3]}****{value[-4:]}"
    return "****" if value else ""


def mask_id_number(value: str) -> str:
    if len(value) == 18:
        return f"{value[:6]}********{value[-4:]}"
    return "****" if value else ""


# Uploaded files are checked by cases.attachments (type by content and extension, size).
