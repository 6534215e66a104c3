"""Console pages of the sla app, mounted at /console/sla/."""

from django.urls import path

from . import views

app_name = "sla_pages"
urlpatterns = [
    path("board/", views.board_page, name="board"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("cases/<str:tracking_no>/extension/", views.extension_request, name="extension_request"),
    path("supervision/<int:pk>/answer/", views.supervision_answer, name="supervision_answer"),
]
