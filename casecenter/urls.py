"""The site's URL map: every edge lives in web/ (DESIGN.md §2); the Twilio webhooks in telephony/."""

from django.contrib import admin
from django.urls import include, path

from web import attachments
from web.api import urls as api
from web.console import urls as console
from web.public import urls as public

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("console/sla/", include((console.sla_pages, "sla_pages"))),
    path("console/publication/", include((console.publication_pages, "publication"))),
    path("console/reports/", include((console.report_pages, "reports"))),
    path("console/kb/", include((console.kb_pages, "kb_pages"))),
    path("console/insight/", include((console.insight_pages, "insight"))),
    path("console/", include((console.console, "console"))),
    path("telephony/", include((console.telephony_desk, "telephony_desk"))),
    path("notifications/", include((console.notification_pages, "notifications"))),
    path("api/v1/", include(api.urlpatterns)),
    path("api/v1/", include((api.cases, "api"))),
    path("telephony/twilio/", include("telephony.urls")),
    path("open311/v2/", include("web.open311.urls")),
    # Attachments only through the one checked download view; MEDIA_ROOT is never served.
    path("attachments/<int:pk>/", attachments.download, name="attachment"),
    path("captcha/", include("captcha.urls")),  # the portal captcha's images
    path("board/", include((public.board, "board"))),
    path("stats/", include((public.stats, "stats"))),
    path("", include("web.portal.urls")),
]
