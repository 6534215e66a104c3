from django.apps import AppConfig


class WebPortalConfig(AppConfig):
    name = "web.portal"
    label = "web_portal"
