from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shared_tools.importers import SILL_FILE, CatalogueDataError
from shared_tools.services import import_sill


class Command(BaseCommand):
    help = (
        "Import the French State's recommended free software list (SILL 2020 CSV) into the tool catalogue. "
        "All or nothing; running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=SILL_FILE, help=f"CSV file to import (default: {SILL_FILE})")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = import_sill(path=options["file"])
        except CatalogueDataError as exc:
            raise CommandError(f"Nothing imported. {exc}") from exc
        self.stdout.write(report.render())
