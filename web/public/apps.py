from django.apps import AppConfig


class WebPublicConfig(AppConfig):
    name = "web.public"
    label = "web_public"
