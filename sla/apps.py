from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"

    def ready(self) -> None:
        from cases.audit import register_actions

        from . import receivers  # noqa: F401  (connects to cases.domain.case_changed)
        from .enums import LEGACY_AUDIT_ACTIONS, LEGACY_PUBLIC_NOTE_ACTIONS, PUBLIC_AUDIT_ACTIONS, AuditAction

        register_actions({a.value: a.label for a in AuditAction if a in PUBLIC_AUDIT_ACTIONS},
                         public=True, public_note=True)
        register_actions({a.value: a.label for a in AuditAction if a not in PUBLIC_AUDIT_ACTIONS})
        register_actions({n: label for n, label in LEGACY_AUDIT_ACTIONS.items() if n in LEGACY_PUBLIC_NOTE_ACTIONS},
                         public=True, public_note=True, legacy=True)
        register_actions({n: label for n, label in LEGACY_AUDIT_ACTIONS.items()
                          if n not in LEGACY_PUBLIC_NOTE_ACTIONS}, legacy=True)
