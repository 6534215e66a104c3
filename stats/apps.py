from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "统计"

    def ready(self) -> None:
        # Connects to cases.domain.case_changed after the sla app (INSTALLED_APPS order), so a
        # reply's clock has stopped when the rollups read it.
        from . import receivers  # noqa: F401
