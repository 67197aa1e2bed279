"""Helpers for the catalogue tests: the vendored data files and a snapshot of the catalogue tables."""

import pytest

from shared_tools.importers import DEGOOGLISONS_FILE, SILL_FILE
from shared_tools.models import Provenance, Tool, ToolRelation


def catalogue_state() -> dict:
    """Row counts of every catalogue table plus each tool's `updated_at`: equal snapshots mean
    an import wrote nothing."""
    return {
        "tools": Tool.objects.count(),
        "relations": ToolRelation.objects.count(),
        "provenance": Provenance.objects.count(),
        "category_links": Tool.categories.through.objects.count(),
        "updated_at": dict(Tool.objects.values_list("match_key", "updated_at")),
        "imported_at": sorted(Provenance.objects.values_list("pk", "imported_at")),
        "notes": sorted(ToolRelation.objects.values_list("pk", "note")),
    }


@pytest.fixture
def sill_text() -> str:
    return SILL_FILE.read_text(encoding="utf-8")


@pytest.fixture
def degooglisons_text() -> str:
    return DEGOOGLISONS_FILE.read_text(encoding="utf-8")
