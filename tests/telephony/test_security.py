"""Every Twilio webhook checks X-Twilio-Signature against the public URL; a bad one changes nothing."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from cases.models import Case
from telephony.models import Call, SmsMessage, WebhookReceipt

from .conftest import CALLER, PUBLIC, TOKEN

pytestmark = pytest.mark.django_db

SMS = {"MessageSid": "SM" + "1" * 32, "From": CALLER, "To": "+8610095100", "Body": "幸福路路灯不亮"}
CALL = {"CallSid": "CA" + "1" * 32, "From": CALLER, "To": "+8610095100", "CallStatus": "ringing"}


def _nothing_written() -> bool:
    return not (
        Call.objects.exists() or SmsMessage.objects.exists() or WebhookReceipt.objects.exists() or Case.objects.exists()
    )


@pytest.mark.parametrize(
    "path,params",
    [
        ("/telephony/twilio/voice/incoming/", CALL),
        ("/telephony/twilio/voice/status/", {**CALL, "CallStatus": "completed"}),
        ("/telephony/twilio/voice/gather/?step=menu&attempt=1", {**CALL, "Digits": "1"}),
        (
            "/telephony/twilio/voice/recording/",
            {**CALL, "RecordingSid": "RE" + "1" * 32, "RecordingUrl": "https://x/RE1"},
        ),
        ("/telephony/twilio/voice/queue/", {**CALL, "QueueResult": "hangup"}),
        ("/telephony/twilio/voice/survey/?case=2026112100001", CALL),
        ("/telephony/twilio/sms/incoming/", SMS),
        ("/telephony/twilio/sms/status/", {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}),
    ],
)
def test_every_webhook_refuses_a_missing_signature_and_writes_nothing(client, org, path, params):
    response = client.post(path, params)

    assert response.status_code == 403
    assert _nothing_written()


def test_a_wrong_signature_is_refused(client, org):
    response = client.post("/telephony/twilio/sms/incoming/", SMS, HTTP_X_TWILIO_SIGNATURE="bm90IGEgc2lnbmF0dXJl")

    assert response.status_code == 403
    assert _nothing_written()


def test_a_signature_made_with_another_token_is_refused(client, org):
    url = PUBLIC + "/telephony/twilio/sms/incoming/"
    signature = RequestValidator("someone-elses-token").compute_signature(url, SMS)

    response = client.post("/telephony/twilio/sms/incoming/", SMS, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 403
    assert _nothing_written()


def test_a_tampered_parameter_breaks_the_signature(client, org):
    url = PUBLIC + "/telephony/twilio/sms/incoming/"
    signature = RequestValidator(TOKEN).compute_signature(url, SMS)

    response = client.post(
        "/telephony/twilio/sms/incoming/", {**SMS, "Body": "改过的内容"}, HTTP_X_TWILIO_SIGNATURE=signature
    )

    assert response.status_code == 403
    assert _nothing_written()


def test_the_signature_is_checked_on_the_public_url_not_the_host_header(client, org):
    # Behind a proxy Django sees http://testserver; Twilio signed https://hotline.example.gov.cn.
    host_url = "http://testserver/telephony/twilio/sms/incoming/"
    signed_on_host = RequestValidator(TOKEN).compute_signature(host_url, SMS)
    signed_on_public = RequestValidator(TOKEN).compute_signature(PUBLIC + "/telephony/twilio/sms/incoming/", SMS)

    refused = client.post("/telephony/twilio/sms/incoming/", SMS, HTTP_X_TWILIO_SIGNATURE=signed_on_host)
    assert refused.status_code == 403
    assert _nothing_written()

    accepted = client.post(
        "/telephony/twilio/sms/incoming/",
        SMS,
        HTTP_X_TWILIO_SIGNATURE=signed_on_public,
        HTTP_X_FORWARDED_HOST="hotline.example.gov.cn",
    )
    assert accepted.status_code == 200
    assert Case.objects.count() == 1


def test_the_query_string_is_part_of_what_is_signed(client, org):
    signed = RequestValidator(TOKEN).compute_signature(
        PUBLIC + "/telephony/twilio/voice/gather/?step=menu&attempt=1", {**CALL, "Digits": "1"}
    )

    response = client.post(
        "/telephony/twilio/voice/gather/?step=track&attempt=1", {**CALL, "Digits": "1"}, HTTP_X_TWILIO_SIGNATURE=signed
    )

    assert response.status_code == 403


def test_no_auth_token_configured_refuses_everything(client, org, settings, tw):
    settings.TWILIO_AUTH_TOKEN = ""

    reply = tw.post("sms/incoming/", SMS)

    assert reply.status == 403
    assert _nothing_written()


def test_webhooks_answer_only_post(client, org):
    assert client.get("/telephony/twilio/voice/incoming/").status_code == 405


@pytest.mark.parametrize(
    "path,params",
    [
        ("voice/incoming/", {**CALL, "CallSid": "CA" + "x" * 5000}),
        ("voice/status/", {**CALL, "CallSid": "CA'; DROP TABLE telephony_call;--", "CallStatus": "completed"}),
        ("sms/incoming/", {**SMS, "MessageSid": "短信" * 20}),
        ("voice/recording/", {**CALL, "RecordingSid": "RE" + "1" * 200, "RecordingUrl": "https://x/RE1"}),
    ],
)
def test_a_garbled_sid_is_a_400_and_writes_nothing(tw, org, path, params):
    reply = tw.post(path, params)

    assert reply.status == 400
    assert _nothing_written()


def test_absurd_numbers_in_optional_parameters_are_ignored_not_fatal(tw, org, in_hours):
    tw.post("voice/incoming/", CALL)

    reply = tw.post("voice/status/", {**CALL, "CallStatus": "completed", "CallDuration": "9" * 40})

    assert reply.status == 200
    call = Call.objects.get()
    assert call.status == "completed" and call.duration is None
