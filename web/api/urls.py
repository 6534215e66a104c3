"""Everything under /api/v1/ (API.md): the cases API and the citizens' tracking API (namespace
``api``), deadlines, boards, extensions and supervision, the monthly report and the ranking, the
OpenAPI schema."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import answer, attachments, calendars, insight, kb, publication, reports, timers, views

cases = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("cases/", views.CaseListCreateView.as_view(), name="cases"),
    path("cases/<str:tracking_no>/", views.CaseDetailView.as_view(), name="case"),
    path("cases/<str:tracking_no>/attachments/", attachments.CaseAttachmentsView.as_view(), name="attachments"),
    path("cases/<str:tracking_no>/transitions/<str:name>/", views.CaseTransitionView.as_view(), name="transition"),
    path("cases/<str:tracking_no>/publication/", publication.PublicationView.as_view(), name="publication"),
    path(
        "cases/<str:tracking_no>/publication/publish/",
        publication.PublicationPublishView.as_view(),
        name="publication-publish",
    ),
    path(
        "cases/<str:tracking_no>/publication/withdraw/",
        publication.PublicationWithdrawView.as_view(),
        name="publication-withdraw",
    ),
    path("cases/<str:tracking_no>/reply-draft/", answer.ReplyDraftView.as_view(), name="reply-draft"),
    path(
        "cases/<str:tracking_no>/reply-draft/return/", answer.ReplyDraftReturnView.as_view(), name="reply-draft-return"
    ),
    path("cases/<str:tracking_no>/assist-opinions/", answer.AssistOpinionsView.as_view(), name="assist-opinions"),
    path("cases/<str:tracking_no>/reply-templates/", answer.ReplyTemplatesView.as_view(), name="reply-templates"),
    path("public/track/", views.PublicTrackView.as_view(), name="public-track"),
    path("public/feedback/", views.PublicFeedbackView.as_view(), name="public-feedback"),
    path("public/supplement/", views.PublicSupplementView.as_view(), name="public-supplement"),
    path("public/urge/", views.PublicUrgeView.as_view(), name="public-urge"),
]

urlpatterns = [
    path("reports/monthly/", reports.MonthlyReportView.as_view(), name="api-reports-monthly"),
    path("reports/ranking/", reports.RankingView.as_view(), name="api-reports-ranking"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("schema/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-schema-docs"),
    path("calendars/", calendars.CalendarListView.as_view(), name="sla-calendars"),
    path("calendars/<str:code>/deadline/", calendars.DeadlineView.as_view(), name="sla-deadline"),
    path("cases/<str:tracking_no>/extensions/", timers.ExtensionRequestView.as_view(), name="sla-extension-request"),
    path("extensions/<str:pk>/decision/", timers.ExtensionDecisionView.as_view(), name="sla-extension-decision"),
    path("cases/<str:tracking_no>/supervision/", timers.SupervisionIssueView.as_view(), name="sla-supervision-issue"),
    path("supervision/<str:pk>/answer/", timers.SupervisionAnswerView.as_view(), name="sla-supervision-answer"),
    path("boards/overdue/", timers.OverdueBoardView.as_view(), name="sla-board-overdue"),
    path("kb/articles/", kb.ArticleListView.as_view(), name="kb-articles"),
    path("kb/articles/<int:pk>/", kb.ArticleDetailView.as_view(), name="kb-article"),
    path("dispatch/suggest/", insight.DispatchSuggestView.as_view(), name="dispatch-suggest"),
    path("hotspots/", insight.HotspotListView.as_view(), name="hotspots"),
    path("hotspots/<str:pk>/joint/", insight.HotspotJointView.as_view(), name="hotspot-joint"),
]
