"""The planted world, built once per module inside a transaction that is rolled back at the end,
and the summary line that prints how many combinations the matrix checked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.db import transaction
from django.test.utils import override_settings

from .world import ROLES, World, finish, plant

COUNT_PROPERTY = "isolation_combinations"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> World:  # type: ignore[no-untyped-def]
    media = tmp_path_factory.mktemp("isolation-media")
    with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock(), transaction.atomic():
        planted = plant()
        finish(planted)
        yield planted
        transaction.set_rollback(True)


@pytest.fixture
def db_access(world, django_db_blocker):  # type: ignore[no-untyped-def]
    """Database access for one test of the module (each request then runs in its own savepoint)."""
    with django_db_blocker.unblock():
        yield


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    total = routes = 0
    by_outcome: dict[str, int] = {}
    for outcome in ("passed", "failed", "xfailed", "xpassed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "") != "call":
                continue
            for name, value in getattr(report, "user_properties", []):
                if name == COUNT_PROPERTY:
                    total += value
                    routes += 1
                    by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
    if routes:
        terminalreporter.write_line(
            f"tenant-isolation matrix: {total} combinations (route × method × role) checked over {routes} routes"
        )
        report_dir = os.environ.get("QUALITY_REPORT_DIR")
        if report_dir:
            # Read by `python -m bench.quality` for docs/quality.md; a failed route is one with a leak.
            Path(report_dir).mkdir(parents=True, exist_ok=True)
            summary = {
                "combinations": total,
                "routes": routes,
                "roles": len(ROLES),
                "leaks": by_outcome.get("failed", 0),
                "known_failures": by_outcome.get("xfailed", 0),
            }
            (Path(report_dir) / "matrix.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
