from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to cases.domain.case_changed)
