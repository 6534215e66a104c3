from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases import integrity


class Command(BaseCommand):
    help = (
        "Verify every case's audit chain (keyed and legacy events), its head on the case row, the "
        "row's audited columns, and the latest checkpoint(s); name the case and first bad link of each."
    )

    def add_arguments(self, parser):
        parser.add_argument("--case", help="Only this tracking number (checkpoints are not checked).")
        parser.add_argument(
            "--checkpoints", type=int, default=1, help="How many of the latest checkpoints to check (0: none)."
        )
        parser.add_argument("--checkpoint-dir", help="Default: settings.AUDIT_CHECKPOINT_DIR.")

    def handle(self, *args, **opts):
        checked, problems = integrity.verify_cases(opts["case"])
        checkpoints = []
        if not opts["case"]:
            directory = Path(opts["checkpoint_dir"]) if opts["checkpoint_dir"] else None
            checkpoints = integrity.latest_checkpoints(opts["checkpoints"], directory)
            for path in checkpoints:
                problems.extend(integrity.verify_checkpoint(path))
        for problem in problems:
            self.stderr.write(f"BROKEN {problem}")
        if problems:
            broken = len({p.case_id for p in problems if p.case_id is not None})
            message = f"{broken} of {checked} case histories are broken."
            if any(p.case_id is None for p in problems):
                message += " A checkpoint does not verify."
            raise CommandError(message)
        self.stdout.write(self.style.SUCCESS(f"All {checked} case histories verify."))
        if checkpoints:
            self.stdout.write(f"Checked against {len(checkpoints)} checkpoint(s), latest {checkpoints[0].name}.")
        elif not opts["case"] and opts["checkpoints"] > 0:
            self.stdout.write("No checkpoint found: run manage.py audit_checkpoint daily.")
