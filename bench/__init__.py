"""Benchmarks of the notifications app on PostgreSQL: a report, not a test (`make bench`).

Kept free of Django imports: `bench.hq_child` imports this package from the benchmark's own
virtualenv, where our `notifications` app must not be importable (see docs/benchmarks.md).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
