from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html", redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("desk/", views.desk, name="desk"),
    path("desk/caller-history/", views.caller_history, name="caller_history"),
    path("queue/", views.queue, name="queue"),
    path("inbox/", views.inbox, name="inbox"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<str:tracking_no>/", views.case_detail, name="case"),
    path("cases/<str:tracking_no>/reveal/", views.case_reveal, name="case_reveal"),
    path("cases/<str:tracking_no>/actions/<str:action>/", views.case_action, name="case_action"),
]
