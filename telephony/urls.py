"""Twilio webhooks, mounted at /telephony/twilio/ (API.md: paths are a promise to Twilio)."""

from django.urls import path

from . import views

app_name = "telephony"

urlpatterns = [
    path("voice/incoming/", views.voice_incoming, name="voice_incoming"),
    path("voice/wait/", views.voice_wait, name="voice_wait"),
    path("voice/queue/", views.voice_queue, name="voice_queue"),
    path("voice/gather/", views.voice_gather, name="voice_gather"),
    path("voice/status/", views.voice_status, name="voice_status"),
    path("voice/recording/", views.voice_recording, name="voice_recording"),
    path("voice/survey/", views.voice_survey, name="voice_survey"),
    path("sms/incoming/", views.sms_incoming, name="sms_incoming"),
    path("sms/status/", views.sms_status, name="sms_status"),
]
