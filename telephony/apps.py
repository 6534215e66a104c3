from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "telephony"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to cases.domain.case_changed)
