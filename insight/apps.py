from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = _("智能分析")

    def ready(self) -> None:
        from cases.audit import register_actions

        from . import receivers  # noqa: F401  (connects the joint-handling receiver)
        from .enums import JOINT_LINKED, JOINT_OPENED

        # Internal notes on the cases involved; the linked cases' answer is a resolve_directly event.
        register_actions({JOINT_OPENED: _("开启联合办理"), JOINT_LINKED: _("并入联合办理")})
