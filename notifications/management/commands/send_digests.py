"""Send the summary emails due now, as the hourly beat does (see `--help`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from notifications import services
from notifications.models import DigestFrequency


class Command(BaseCommand):
    help = (
        "Claim and send the summary emails due now (each person's latest summary time at or before "
        "now, in their time zone). Safe to run twice or alongside the beat: one email per person and period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period",
            choices=[DigestFrequency.DAILY, DigestFrequency.WEEKLY],
            help="Only daily or only weekly summaries.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Show who would receive a summary; send nothing.")
        parser.add_argument("--now", help="Act as if it were this ISO date-time (default: now).")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            parsed = parse_datetime(options["now"])
            if parsed is None or parsed.tzinfo is None:
                self.stderr.write("--now needs an ISO date-time with its offset, e.g. 2026-03-02T08:00+01:00")
                raise SystemExit(2)
            now = parsed
        frequency = options["period"]
        if options["dry_run"]:
            planned = services.due_digests(now=now, frequency=frequency)
            for digest in planned:
                self.stdout.write(f"{digest.period} user {digest.recipient_id}: up to {digest.items} item(s)")
            self.stdout.write(f"{len(planned)} summary email(s) due; nothing sent (dry run).")
            return
        run_ids = services.claim_digests(now=now, frequency=frequency)
        sent = failed = 0
        for run_id in run_ids:
            try:
                sent += services.send_digest(run_id=run_id, now=now)
            except Exception as exc:  # any mail backend failure: the run stays claimed for the next pass
                failed += 1
                self.stderr.write(f"Summary {run_id} failed ({exc}); the next run retries it.")
        self.stdout.write(
            f"{sent} summary email(s) sent, {len(run_ids) - sent - failed} with nothing new, {failed} failed."
        )
