from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shared_tools.importers import DEGOOGLISONS_FILE, CatalogueDataError
from shared_tools.services import import_degooglisons


class Command(BaseCommand):
    help = (
        "Import Framasoft's Dégooglisons Internet services (proprietary services and their free "
        "alternatives) into the tool catalogue. All or nothing; running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, default=DEGOOGLISONS_FILE, help=f"YAML file to import (default: {DEGOOGLISONS_FILE})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = import_degooglisons(path=options["file"])
        except CatalogueDataError as exc:
            raise CommandError(f"Nothing imported. {exc}") from exc
        self.stdout.write(report.render())
