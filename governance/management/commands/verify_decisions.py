"""Check the decision register's hash chain of every association (or of one).

Exit status 0 when every register holds, 1 when one is broken; each broken register is reported
with the first decision that breaks it, so `verify_decisions` can run from cron or CI.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from governance.register import verify_register
from hub.models import Association
from hub.tenancy import association_scope


class Command(BaseCommand):
    help = "Verify the tamper-evident decision register (hash chain) of each association."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--association", metavar="SLUG", help="Only this association.")

    def handle(self, *args: Any, **options: Any) -> None:
        associations = Association.objects.order_by("slug")
        if options["association"]:
            associations = associations.filter(slug=options["association"])
            if not associations.exists():
                raise CommandError(f"No association with the short name {options['association']!r}.")
        broken = 0
        with translation.override("en"):
            for association in associations:
                # One scope per association, as a task would.
                with association_scope(association):
                    result = verify_register(association)
                if result.ok:
                    self.stdout.write(
                        f"{association.slug}: OK, {result.checked} decision(s), latest hash {result.latest_hash}"
                    )
                    continue
                broken += 1
                self.stderr.write(
                    f"{association.slug}: BROKEN at decision #{result.broken_sequence} "
                    f"(code {result.broken_code}, “{result.broken_title}”): {result.reason}"
                )
        if broken:
            raise CommandError(f"{broken} register(s) failed verification.", returncode=1)
