"""Play a whole hotline session against a running server with correctly signed webhooks.

    manage.py simulate_call                         # all scenarios against http://127.0.0.1:8000
    manage.py simulate_call --server http://10.0.0.5:8000 --caller +8613800138000
    manage.py simulate_call --only call sms
    manage.py simulate_call --only call --agent agent     # also press "answer" on agent's desk

The server must share TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL with this command (the
signature is computed on PUBLIC_BASE_URL + path, as Twilio would).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from telephony import simulate

SCENARIOS = ("call", "voicemail", "sms", "status", "survey")


class Command(BaseCommand):
    help = "Simulate Twilio: a hotline call, a voice message, an SMS, a status check, a keypad survey."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--server", default="http://127.0.0.1:8000", help="where to send the webhooks")
        parser.add_argument(
            "--public-base-url",
            default=settings.PUBLIC_BASE_URL,
            help="the URL Twilio signs (the server's PUBLIC_BASE_URL)",
        )
        parser.add_argument("--token", default=settings.TWILIO_AUTH_TOKEN, help="Twilio auth token")
        parser.add_argument("--caller", default="+8613800138000")
        parser.add_argument("--tracking-no", default="", help="case for the status check and the survey")
        parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
        parser.add_argument("--agent", default="", help="sign in as this agent and press answer on the desk")
        parser.add_argument("--password", default="demo12345", help="the agent's password")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["token"]:
            raise CommandError("No Twilio auth token (set TWILIO_AUTH_TOKEN or pass --token).")
        tw = simulate.Twilio(
            send=simulate.urllib_sender(opts["server"]),
            public_base_url=opts["public_base_url"],
            auth_token=opts["token"],
            log=lambda line: self.stdout.write("  " + line),
        )
        caller, tracking_no = opts["caller"], opts["tracking_no"]
        try:
            for name in opts["only"]:
                self.stdout.write(self.style.MIGRATE_HEADING(name))
                if name == "call":
                    answer = (
                        simulate.desk_answerer(opts["server"], opts["agent"], opts["password"], tw.log)
                        if opts["agent"]
                        else None
                    )
                    simulate.hotline_call(tw, caller, answer=answer)
                elif name == "voicemail":
                    simulate.voice_message(tw, caller)
                elif name == "sms":
                    reply = simulate.sms(tw, caller, "幸福路12号路灯不亮已经一周，晚上很危险，请尽快修复。")
                    found = re.search(r"流水号：(\d{13})", reply.text())
                    tracking_no = tracking_no or (found.group(1) if found else "")
                elif name == "status":
                    simulate.status_check(tw, caller, tracking_no or "2026010100001")
                elif name == "survey":
                    if not tracking_no:
                        self.stdout.write("  (no tracking number: pass --tracking-no of an answered case)")
                        continue
                    simulate.survey(tw, caller, tracking_no, "1")
        except OSError as exc:
            raise CommandError(f"Cannot reach {opts['server']}: {exc}") from exc
        self.stdout.write(self.style.SUCCESS("done"))
