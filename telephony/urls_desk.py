"""Staff-side telephony pages and actions, mounted at /telephony/."""

from django.urls import path

from . import views_desk

app_name = "telephony_desk"

urlpatterns = [
    path("desk/calls/<str:call_sid>/answer/", views_desk.call_answer, name="answer"),
    path("desk/calls/<str:call_sid>/link/", views_desk.call_link, name="link"),
    path("desk/cases/<str:tracking_no>/survey-call/", views_desk.survey_call, name="survey_call"),
    path("desk/stats/", views_desk.desk_stats, name="stats"),
    path("desk/dissatisfied/", views_desk.dissatisfied, name="dissatisfied"),
    path("desk/calls/report/", views_desk.calls_report, name="report"),
]
