from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("console/sla/", include("sla.urls_pages")),
    path("console/publication/", include("cases.public_board.staff_urls")),
    path("console/reports/", include("cases.public_board.report_urls")),
    path("console/", include("cases.console.urls")),
    path("api/v1/", include("cases.public_board.api_urls")),
    path("api/v1/", include("cases.api.urls")),
    path("api/v1/", include("sla.urls")),
    path("telephony/twilio/", include("telephony.urls")),
    path("telephony/", include("telephony.urls_desk")),
    path("notifications/", include("notifications.urls")),
    path("open311/v2/", include("cases.open311.urls")),
    path("board/", include("cases.public_board.urls")),
    path("stats/", include("cases.public_board.stats_urls")),
    path("", include("cases.portal.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
