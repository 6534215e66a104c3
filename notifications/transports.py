"""How a message leaves: e-mail (Django's backend), SMS (Twilio or the console), in-app.

A transport's ``send(row)`` returns the provider's id (may be empty) or raises
``PermanentDeliveryError`` (retrying cannot help: bad number, unsubscribed, bad address);
any other exception is temporary and the worker retries with backoff. The worker calls it
outside any transaction, and every network transport has a timeout (``EMAIL_TIMEOUT``,
``TWILIO_TIMEOUT``), so a silent server costs a bounded wait and a retry, not a hung worker.
"""

from __future__ import annotations

import logging
import smtplib
from collections import deque
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email

from . import events
from .enums import OutboxChannel
from .models import Notification, Outbox
from .outbox import render_message

log = logging.getLogger(__name__)

# Twilio error codes that no retry can fix.
TWILIO_PERMANENT_CODES = frozenset(
    {
        21211,  # invalid 'To' number
        21214,  # 'To' number cannot be reached
        21610,  # recipient replied STOP (unsubscribed)
        21612,  # cannot route to this number
        21614,  # 'To' is not a mobile number
    }
)


class PermanentDeliveryError(Exception):
    """Retrying will not help; the row fails at once."""


class Transport(Protocol):
    def send(self, row: Outbox) -> str: ...


class EmailTransport:
    def send(self, row: Outbox) -> str:
        try:
            validate_email(row.address)
        except ValidationError:
            raise PermanentDeliveryError(f"invalid e-mail address {row.address!r}") from None
        msg = render_message(row.template, row.context, row.language)
        try:
            EmailMessage(
                subject=msg.subject,
                body=msg.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[row.address],
                headers={"X-Casecenter-Outbox": str(row.pk)},
            ).send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"recipient refused: {exc.recipients}") from exc
        return ""


class ConsoleSMSTransport:
    """Development default: prints the SMS and remembers the last ones (for tests and demos)."""

    sent: deque[tuple[str, str]] = deque(maxlen=200)

    def send(self, row: Outbox) -> str:
        text = render_message(row.template, row.context, row.language).sms
        self.sent.append((row.address, text))
        log.info("SMS to %s: %s", row.address, text)
        return f"console-{row.pk}"


def twilio_client():
    """A Twilio REST client whose every request gives up after ``settings.TWILIO_TIMEOUT``
    seconds (the library's default is to wait forever). For SMS here and calls in telephony."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    return Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT),
    )


class TwilioSMSTransport:
    _client = None

    @classmethod
    def client(cls):
        if cls._client is None:
            cls._client = twilio_client()
        return cls._client

    def send(self, row: Outbox) -> str:
        from twilio.base.exceptions import TwilioRestException

        text = render_message(row.template, row.context, row.language).sms
        to = row.address if row.address.startswith("+") else f"+86{row.address}"
        try:
            message = self.client().messages.create(
                to=to,
                from_=settings.TWILIO_FROM_NUMBER,
                body=text,
                status_callback=f"{settings.PUBLIC_BASE_URL}/telephony/twilio/sms/status/",
            )
        except TwilioRestException as exc:
            if exc.code in TWILIO_PERMANENT_CODES:
                raise PermanentDeliveryError(f"twilio error {exc.code}: {exc.msg}") from exc
            raise
        return message.sid


class InAppTransport:
    """A Notification row, and a live event to the user's own topic after commit. Idempotent: a
    retry after a worker died between creating it and recording the send finds the same row."""

    def send(self, row: Outbox) -> str:
        if row.recipient_id is None:
            raise PermanentDeliveryError("in-app message without a recipient")
        existing = Notification.objects.filter(outbox=row).first()
        if existing is not None:
            return f"inapp-{existing.pk}"
        msg = render_message(row.template, row.context, row.language)
        note = Notification.objects.create(
            user_id=row.recipient_id,
            case_id=row.case_id,
            template=row.template,
            title=msg.subject,
            body=msg.body,
            outbox=row,
        )
        events.publish(f"user.{row.recipient_id}", "notification.created", events.notification_payload(note))
        return f"inapp-{note.pk}"


def get_transport(channel: str) -> Transport:
    if channel == OutboxChannel.EMAIL:
        return EmailTransport()
    if channel == OutboxChannel.SMS:
        return TwilioSMSTransport() if settings.SMS_BACKEND == "twilio" else ConsoleSMSTransport()
    if channel == OutboxChannel.INAPP:
        return InAppTransport()
    raise PermanentDeliveryError(f"unknown channel {channel!r}")
