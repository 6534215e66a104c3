from django.urls import path

from . import views

app_name = "board"
urlpatterns = [
    path("", views.board, name="list"),
    path("<str:tracking_no>/", views.board_item, name="item"),
]
