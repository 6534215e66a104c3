"""Every staff page, mounted by casecenter/urls.py under /console/ (and the older /telephony/ and
/notifications/ prefixes, kept so bookmarks and the desk's scripts keep working). One list per URL
namespace; the namespaces are the names templates and tests reverse."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import answer, dispatch, insight, kb, notifications, publication, ranking, sla, telephony, views

console = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="console/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("desk/", views.desk, name="desk"),
    path("desk/caller-history/", views.caller_history, name="caller_history"),
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", dispatch.queue_bulk, name="queue_bulk"),
    path("cases/<str:tracking_no>/supervision/", dispatch.supervision_issue, name="supervision_issue"),
    path("inbox/", views.inbox, name="inbox"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<str:tracking_no>/", views.case_detail, name="case"),
    path("cases/<str:tracking_no>/reveal/", views.case_reveal, name="case_reveal"),
    path("cases/<str:tracking_no>/actions/<str:action>/", views.case_action, name="case_action"),
    path("cases/<str:tracking_no>/sheet/", answer.assignment_sheet, name="assignment_sheet"),
    path("leader/reports/", answer.leader_reports, name="leader_reports"),
]

sla_pages = [
    path("board/", sla.board_page, name="board"),
    path("extensions/<int:pk>/decide/", sla.extension_decide, name="extension_decide"),
    path("cases/<str:tracking_no>/extension/", sla.extension_request, name="extension_request"),
    path("supervision/<int:pk>/answer/", sla.supervision_answer, name="supervision_answer"),
]

publication_pages = [
    path("", publication.queue, name="queue"),
    path("<str:tracking_no>/", publication.edit, name="edit"),
    path("<str:tracking_no>/withdraw/", publication.withdraw, name="withdraw"),
]

report_pages = [
    path("", publication.monthly_report, name="monthly"),
    path("ranking/", ranking.ranking_page, name="ranking"),
]

telephony_desk = [
    path("desk/calls/<str:call_sid>/answer/", telephony.call_answer, name="answer"),
    path("desk/calls/<str:call_sid>/link/", telephony.call_link, name="link"),
    path("desk/cases/<str:tracking_no>/survey-call/", telephony.survey_call, name="survey_call"),
    path("desk/stats/", telephony.desk_stats, name="stats"),
    path("desk/status/", telephony.agent_status, name="agent_status"),
    path("desk/calls/<str:call_sid>/wrap-up/", telephony.call_wrap_up, name="wrap_up"),
    path("desk/dissatisfied/", telephony.dissatisfied, name="dissatisfied"),
    path("desk/calls/report/", telephony.calls_report, name="report"),
]

notification_pages = [
    path("", notifications.notification_list, name="list"),
    path("<int:pk>/read/", notifications.mark_read, name="mark_read"),
    path("<int:pk>/open/", notifications.open_case, name="open"),
    path("read-all/", notifications.mark_all_read, name="mark_all_read"),
    path("preferences/", notifications.preferences, name="preferences"),
]

kb_pages = [
    path("", kb.article_list, name="list"),
    path("new/", kb.article_create, name="create"),
    path("<int:pk>/", kb.article_detail, name="detail"),
    path("<int:pk>/edit/", kb.article_edit, name="edit"),
]

insight_pages = [
    path("hotspots/", insight.hotspots_page, name="hotspots"),
    path("hotspots/<int:pk>/", insight.hotspot_detail, name="hotspot"),
    path("hotspots/<int:pk>/joint/", insight.hotspot_joint, name="hotspot_joint"),
    path("hotspots/<int:pk>/dismiss/", insight.hotspot_dismiss_view, name="hotspot_dismiss"),
    path("wallboard/", insight.wallboard, name="wallboard"),
    path("suggest/<str:tracking_no>/", insight.case_suggestions, name="suggest"),
]
