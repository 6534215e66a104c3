from pathlib import Path

from django.core.management.base import BaseCommand

from cases import integrity


class Command(BaseCommand):
    help = (
        "Write one audit checkpoint (every case's chain head and row digest, one digest and its HMAC) "
        "to AUDIT_CHECKPOINT_DIR. Run it daily (cron, or a scheduler); verify_audit checks the latest."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="Default: settings.AUDIT_CHECKPOINT_DIR.")

    def handle(self, *args, **opts):
        path = integrity.write_checkpoint(directory=Path(opts["dir"]) if opts["dir"] else None)
        self.stdout.write(self.style.SUCCESS(f"Checkpoint written: {path}"))
