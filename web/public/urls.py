"""The public board of published Q&A (/board/) and the public statistics (/stats/)."""

from django.urls import path

from . import views

board = [
    path("", views.board, name="list"),
    path("<str:tracking_no>/", views.board_item, name="item"),
]

stats = [path("", views.stats, name="index")]
