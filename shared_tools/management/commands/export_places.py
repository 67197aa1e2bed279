from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser, OutputWrapper

from shared_tools.places.selectors import PlaceFilters, places_list
from shared_tools.places.standard import write_places


class _Raw:
    """Writes through the command's stdout without the newline it adds: the CSV writer ends rows."""

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, ending="")


class Command(BaseCommand):
    help = "Write the places as a CSV file in the national standard's format (to standard output or --output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="file to write (default: standard output)")
        parser.add_argument("--department", default="", help="only this département (37, 2A, 971...)")

    def handle(self, *args: Any, **options: Any) -> None:
        places = places_list(PlaceFilters(department=options["department"]))
        if options["output"] is None:
            write_places(places.iterator(chunk_size=500), _Raw(self.stdout))
            return
        with options["output"].open("w", encoding="utf-8", newline="") as out:
            write_places(places.iterator(chunk_size=500), out)
        self.stdout.write(f"{places.count()} places written to {options['output']}.")
