from django.urls import path

from . import staff_views

app_name = "publication"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("<str:tracking_no>/", staff_views.edit, name="edit"),
    path("<str:tracking_no>/withdraw/", staff_views.withdraw, name="withdraw"),
]
