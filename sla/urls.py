"""SLA endpoints of the staff API, mounted at /api/v1/ (API.md "Deadlines", "Boards")."""

from django.urls import path

from . import api, api_timers

urlpatterns = [
    path("calendars/", api.CalendarListView.as_view(), name="sla-calendars"),
    path("calendars/<str:code>/deadline/", api.DeadlineView.as_view(), name="sla-deadline"),
    # --- timers (slatimers) ---
    path("cases/<str:tracking_no>/extensions/", api_timers.ExtensionRequestView.as_view(), name="sla-extension-request"),
    path("extensions/<str:pk>/decision/", api_timers.ExtensionDecisionView.as_view(), name="sla-extension-decision"),
    path("cases/<str:tracking_no>/supervision/", api_timers.SupervisionIssueView.as_view(), name="sla-supervision-issue"),
    path("supervision/<str:pk>/answer/", api_timers.SupervisionAnswerView.as_view(), name="sla-supervision-answer"),
    path("boards/overdue/", api_timers.OverdueBoardView.as_view(), name="sla-board-overdue"),
]
