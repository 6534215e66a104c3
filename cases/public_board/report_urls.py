from django.urls import path

from . import staff_views

app_name = "reports"
urlpatterns = [path("", staff_views.monthly_report, name="monthly")]
