import unicodedata

from django.core.management.base import BaseCommand, CommandError

from cases import demo
from cases.enums import Role
from cases.models import User


def _width(text: str) -> int:
    # Chinese characters take two terminal columns; pad by display width so the table lines up.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class Command(BaseCommand):
    help = (
        "Create the demo users (password demo12345) and ~40 cases in every state, through the services. "
        "Idempotent: does nothing if the demo users exist. Refused when settings.DEMO_DATA_ALLOWED is False."
    )

    def handle(self, *args, **opts):
        try:
            counts = demo.create_demo_data()
        except demo.DemoDataRefused as exc:
            raise CommandError(str(exc)) from None
        if counts.get("skipped"):
            self.stdout.write("Demo users already exist; nothing created (delete the database to start over).")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {counts['users']} demo users and {counts['cases']} cases "
                    f"({counts['published']} published on the public board)."
                )
            )
        self._print_logins()

    def _print_logins(self) -> None:
        rows = [("username", "password", "role", "department", "name")]
        users = {
            u.username: u
            for u in User.objects.select_related("department").filter(
                username__in=[d.username for d in demo.DEMO_USERS]
            )
        }
        for spec in demo.DEMO_USERS:
            user = users.get(spec.username)
            if user is None:
                continue
            dept = user.department.code if user.department else "-"
            role = f"{user.role} ({Role(user.role).label})" if user.role in Role.values else user.role
            if user.is_superuser:
                role += " +superuser"
            rows.append((user.username, demo.DEMO_PASSWORD, role, dept, f"{user.last_name}{user.first_name}"))
        widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
        for n, row in enumerate(rows):
            cells = (v + " " * (w - _width(v)) for v, w in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
