"""The portal's captcha: distorted letters in an image (django-simple-captcha), nothing a script
can read off the page.

Why an image and not ALTCHA's proof of work: the portal must work without JavaScript (a citizen
on an old phone or with scripts off can still write), it needs nothing from outside at run time,
and a proof of work only slows a script down while an image has to be read. The library draws
the image (``/captcha/image/<key>/``) and keeps the challenge in its ``CaptchaStore`` table; the
check is here so that it can tell the citizen *why* an answer was refused and so that a
challenge is claimed atomically: it is used up on the first attempt, right or wrong, and of two
submissions racing with one key only one gets through.

``CAPTCHA_TEST_MODE`` (a setting, off by default, refused in production) accepts the answer
``passed`` for tests that cannot read an image; the challenge is used up all the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from captcha.models import CaptchaStore
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

TEST_MODE_ANSWER = "passed"


@dataclass(frozen=True)
class Challenge:
    key: str
    image_url: str
    answer: str  # for tests and nothing else: never rendered

    @property
    def token(self) -> str:  # the form's field is still called captcha_token
        return self.key


class CaptchaError(Exception):
    """The reason the captcha was refused, already phrased for the citizen."""


def new_challenge() -> Challenge:
    key = CaptchaStore.generate_key()
    answer = CaptchaStore.objects.values_list("response", flat=True).get(hashkey=key)
    return Challenge(key=key, image_url=reverse("captcha-image", kwargs={"key": key}), answer=answer)


def verify(key: str, answer: str) -> None:
    """Accept a correct, fresh, unused answer; otherwise raise ``CaptchaError`` saying why."""
    key = (key or "").strip()
    given = (answer or "").strip().lower()
    store = CaptchaStore.objects.filter(hashkey=key).first() if key else None
    if store is None:
        # Never issued, or already used (an attempt deletes it): the same to the citizen.
        raise CaptchaError(_("验证码无效或已使用过，请输入新图片中的字符。"))
    # The claim: only the request whose DELETE removed the row may go on.
    claimed, _detail = CaptchaStore.objects.filter(pk=store.pk).delete()
    CaptchaStore.remove_expired()
    if not claimed:
        raise CaptchaError(_("验证码无效或已使用过，请输入新图片中的字符。"))
    if store.expiration <= timezone.now():
        raise CaptchaError(_("验证码已过期（有效期10分钟），请输入新图片中的字符。"))
    if settings.CAPTCHA_TEST_MODE and given == TEST_MODE_ANSWER:
        return
    if not given or not constant_time_compare(given, store.response):
        raise CaptchaError(_("验证码不正确，请输入新图片中的字符。"))
