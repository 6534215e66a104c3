"""A captcha that works offline: a small sum in a signed, expiring, single-use token.

The token carries a random nonce and an HMAC of the answer (never the answer itself: a signed
value is readable, only tamper-proof). It is signed with ``TimestampSigner`` so it expires, and
its nonce is burnt in the cache on the first attempt, right or wrong, so an answer cannot be
guessed by replaying one token against a space of ~20 possible sums.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

MAX_AGE_SECONDS = 10 * 60
_SALT = "casecenter.portal.captcha"
_USED_PREFIX = "portal:captcha-used:"


@dataclass(frozen=True)
class Challenge:
    question: str
    token: str
    answer: int  # for tests and nothing else: never rendered


class CaptchaError(Exception):
    """The reason the captcha was refused, already phrased for the citizen."""


def _digest(nonce: str, answer: str) -> str:
    return salted_hmac(_SALT, f"{nonce}:{answer}").hexdigest()


def new_challenge() -> Challenge:
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    if secrets.randbelow(2):
        question, answer = f"{a} + {b} = ?", a + b
    else:
        a, b = max(a, b), min(a, b)  # never a negative result
        question, answer = f"{a} − {b} = ?", a - b
    nonce = secrets.token_urlsafe(12)
    token = signing.TimestampSigner(salt=_SALT).sign_object({"n": nonce, "h": _digest(nonce, str(answer))})
    return Challenge(question=question, token=token, answer=answer)


def verify(token: str, answer: str) -> None:
    """Accept a correct, fresh, unused answer; otherwise raise ``CaptchaError`` saying why."""
    try:
        data = signing.TimestampSigner(salt=_SALT).unsign_object(token or "", max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise CaptchaError(_("验证码已过期（有效期10分钟），请回答新的验证题。")) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise CaptchaError(_("验证码无效，请回答新的验证题。")) from None
    nonce = str(data.get("n", "")) if isinstance(data, dict) else ""
    if not nonce:
        raise CaptchaError(_("验证码无效，请回答新的验证题。"))
    # cache.add is atomic: of two submissions racing with one token, only one gets through.
    if not cache.add(_USED_PREFIX + nonce, 1, timeout=MAX_AGE_SECONDS + 60):
        raise CaptchaError(_("验证码已使用过，请回答新的验证题。"))
    try:
        given = int((answer or "").strip())
    except ValueError:  # "abc", "²" and the like: a wrong answer, not a crash
        given = None
    if given is None or not constant_time_compare(_digest(nonce, str(given)), str(data.get("h", ""))):
        raise CaptchaError(_("验证题答案不正确，请回答新的验证题。"))
