from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"

    def ready(self) -> None:
        from cases.audit import register_actions

        from . import receivers  # noqa: F401  (connects to cases.domain.case_changed)
        from .enums import LEGACY_AUDIT_ACTIONS, PUBLIC_AUDIT_ACTIONS, AuditAction

        register_actions({a: a.label for a in AuditAction if a in PUBLIC_AUDIT_ACTIONS}, public=True, public_note=True)
        register_actions({a: a.label for a in AuditAction if a not in PUBLIC_AUDIT_ACTIONS})
        # The old names, for stored events only. A stored ``extension_decided`` that is public (a
        # grant) keeps showing its note, the new deadline, as it always did.
        old = dict(LEGACY_AUDIT_ACTIONS)
        register_actions(
            {"extension_decided": old.pop("extension_decided")}, public=True, public_note=True, legacy=True
        )
        register_actions(old, legacy=True)
