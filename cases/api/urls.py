"""The staff REST API and the citizens' tracking API, mounted at /api/v1/ (API.md)."""

from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("cases/", views.CaseListCreateView.as_view(), name="cases"),
    path("cases/<str:tracking_no>/", views.CaseDetailView.as_view(), name="case"),
    path("cases/<str:tracking_no>/transitions/<str:name>/", views.CaseTransitionView.as_view(), name="transition"),
    path("public/track/", views.PublicTrackView.as_view(), name="public-track"),
    path("public/feedback/", views.PublicFeedbackView.as_view(), name="public-feedback"),
]
