"""The citizen portal, mounted at the site root."""

from django.urls import path

from cases.enums import Channel

from . import faq, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("write/", views.submit, {"channel": Channel.WEB}, name="write"),
    path("mailbox/", views.submit, {"channel": Channel.MAILBOX}, name="mailbox"),
    path("receipt/<str:token>/", views.receipt, name="receipt"),
    path("track/", views.track, name="track"),
    path("track/<str:token>/", views.case_detail, name="case"),
    path("track/<str:token>/feedback/", views.feedback, name="feedback"),
    path("faq/", faq.faq, name="faq"),
    path("track/<str:token>/supplement/", views.supplement, name="supplement"),
    path("track/<str:token>/urge/", views.urge, name="urge"),
]
