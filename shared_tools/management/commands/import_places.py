from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shared_tools.places.services import import_places
from shared_tools.places.standard import COMMAND_LIMITS, PlaceFileError


class Command(BaseCommand):
    help = (
        "Import digital-mediation places from a CSV file in the national standard (La MedNum / ANCT). "
        "All or nothing: every error is listed with its line; running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file in the standard's format")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            report = import_places(user=None, content=content, limits=COMMAND_LIMITS)
        except PlaceFileError as exc:
            for error in exc.errors:
                self.stderr.write(f"{path.name}: {error}")
            raise CommandError(f"Nothing imported: {len(exc.errors)} error(s) in {path}.") from exc
        self.stdout.write(
            f"{path.name}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged."
        )
