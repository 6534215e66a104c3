"""SLA endpoints of the staff API, mounted at /api/v1/ (API.md "Deadlines", "Boards")."""

from django.urls import path

from . import api

urlpatterns = [
    path("calendars/", api.CalendarListView.as_view(), name="sla-calendars"),
    path("calendars/<str:code>/deadline/", api.DeadlineView.as_view(), name="sla-deadline"),
    # --- timers (slatimers) ---
]
