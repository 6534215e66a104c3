from django.apps import AppConfig


class WebConsoleConfig(AppConfig):
    name = "web.console"
    label = "web_console"

    def ready(self) -> None:
        from web import signout  # noqa: F401  (connects to user_logged_out)
        from web.api import authentication  # noqa: F401  (token and user changes end remembered tokens)
