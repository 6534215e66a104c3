"""Included under /api/v1/: the monthly report and the OpenAPI schema (Swagger UI served offline)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import api

urlpatterns = [
    path("reports/monthly/", api.MonthlyReportView.as_view(), name="api-reports-monthly"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("schema/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-schema-docs"),
]
