from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("工单")

    def ready(self) -> None:
        from . import refcache  # noqa: F401  (per-process reference data, invalidated by signals)
        from .audit import register_actions
        from .enums import PUBLIC_WITH_NOTE, PUBLIC_WITHOUT_NOTE, Transition
        from .publication import PUBLICATION_EDITED

        # The cases app's own names stay plain (``assign``): they are the API's events[].transition.
        labels = {t.value: t.label for t in Transition}
        register_actions({t: labels[t] for t in PUBLIC_WITH_NOTE}, public=True, public_note=True)
        register_actions({t: labels[t] for t in PUBLIC_WITHOUT_NOTE}, public=True)
        register_actions({t: label for t, label in labels.items() if t not in PUBLIC_WITH_NOTE | PUBLIC_WITHOUT_NOTE})
        register_actions({PUBLICATION_EDITED: _("编辑公开文本")})
        from .answer import ANSWER_ACTIONS

        register_actions(ANSWER_ACTIONS)
