"""Demo places: the standard's own example row and a few places in Indre-et-Loire (the demo
network's territory), in `demo-places-37.csv`. Both go through the importer, so they are validated
like any file, and a second run changes nothing (updates by the standard's `id`)."""

from __future__ import annotations

from pathlib import Path

from .services import import_places
from .standard import COMMAND_LIMITS, EXAMPLE_FILE

DEMO_FILE = Path(__file__).resolve().with_name("demo-places-37.csv")


def seed_demo_places() -> int:
    """Import the example and the demo places; returns how many places were created."""
    created = 0
    for path in (EXAMPLE_FILE, DEMO_FILE):
        created += import_places(user=None, content=path.read_bytes(), limits=COMMAND_LIMITS).created
    return created
