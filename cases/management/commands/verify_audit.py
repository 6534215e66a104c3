from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from cases.selectors import verify_chain


class Command(BaseCommand):
    help = "Verify every case's hash-chained event history; name the first broken link of each broken chain."

    def add_arguments(self, parser):
        parser.add_argument("--case", help="Only this tracking number.")

    def handle(self, *args, **opts):
        qs = Case.objects.order_by("pk").values_list("pk", "tracking_no")
        if opts["case"]:
            qs = qs.filter(tracking_no=opts["case"])
        checked = broken = 0
        for pk, tracking_no in qs.iterator():
            ok, event, why = verify_chain(pk)
            checked += 1
            if not ok:
                broken += 1
                self.stderr.write(
                    f"BROKEN {tracking_no}: event seq={event.seq} (id={event.pk}, "
                    f"{event.transition} at {event.at.isoformat()}): {why}"
                )
        if broken:
            raise CommandError(f"{broken} of {checked} case histories are broken.")
        self.stdout.write(self.style.SUCCESS(f"All {checked} case histories verify."))
