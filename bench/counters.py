"""Wall time, SQL statements (through `connection.execute_wrapper`) and peak memory.

Django's captured-queries list (`CaptureQueriesContext`, `connection.queries`) stops at 9,000
entries and needs DEBUG, which slows everything down; an execute wrapper sees every statement
whatever their number. Used by the main process and by `hq_child` (plain Django, no app import).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Measure:
    seconds: float = 0.0
    statements: int = 0
    sql_seconds: float = 0.0  # time spent inside the database driver's execute calls
    extra: dict[str, Any] = field(default_factory=dict)


class StatementCounter:
    """An execute wrapper: counts every statement (an `executemany` counts once) and its time."""

    def __init__(self, measure: Measure) -> None:
        self.measure = measure

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.measure.statements += 1
            self.measure.sql_seconds += time.perf_counter() - start


@contextmanager
def measured(connection: Any = None) -> Iterator[Measure]:
    """Time the block and count the statements it sends on `connection` (the default one)."""
    if connection is None:
        from django.db import connection as default_connection

        connection = default_connection
    measure = Measure()
    with connection.execute_wrapper(StatementCounter(measure)):
        start = time.perf_counter()
        try:
            yield measure
        finally:
            measure.seconds = time.perf_counter() - start


def peak_rss_mb() -> float:
    """This process's resident-set high-water mark, in MB (10^6 bytes).

    `VmHWM` from /proc/self/status, not `getrusage().ru_maxrss`: Linux carries ru_maxrss across
    fork/vfork and exec, so a child started by a big parent would report the parent's size.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
