"""Helpers for the places tests: the standard's example row as a dict, CSV files built from rows,
and the places' state (equal snapshots mean an import wrote nothing)."""

import csv
import io

import pytest

from shared_tools.models import Place, PlaceServiceOffer
from shared_tools.places.standard import EXAMPLE_FILE, load_schema


def example_row() -> dict[str, str]:
    with EXAMPLE_FILE.open(encoding="utf-8", newline="") as handle:
        return next(csv.DictReader(handle))


def csv_bytes(rows: list[dict[str, str]], *, columns: list[str] | None = None, delimiter: str = ",") -> bytes:
    columns = columns if columns is not None else load_schema().names
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue().encode("utf-8")


def place_row(local_id: str, **values: str) -> dict[str, str]:
    """A valid row (the example's values) with another id and the given changes."""
    return {**example_row(), "id": local_id, **values}


def places_state() -> list:
    return sorted(
        (place.local_id, place.name, place.postcode, place.opening_hours, place.imported_at)
        for place in Place.objects.all()
    ) + sorted(PlaceServiceOffer.objects.values_list("place__local_id", "service", "pk"))


@pytest.fixture
def example_bytes() -> bytes:
    return EXAMPLE_FILE.read_bytes()
