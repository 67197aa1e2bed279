"""Peak memory of one scenario, in a fresh process under tracemalloc (untimed: tracing is slow).

    python -m bench.memory '{"scenario": "fanout", "association_id": 3, "actor_id": 1, ...}'
    python -m bench.memory '{"scenario": "digest", "now": "2026-…"}'

Run by the benchmark with its environment (DATABASE_URL …). Prints one JSON document:
`tracemalloc_peak_mb` (Python allocations at their peak during the scenario, above what was
allocated before it) and `peak_rss_mb` (the process's resident high-water mark: interpreter,
Django, psycopg's C buffers and tracemalloc's own bookkeeping included, so an upper bound).
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc
import uuid
from datetime import datetime


def main() -> None:
    import django

    django.setup()
    from django.db import transaction

    from notifications import services
    from notifications.tasks import fan_out_event

    from .counters import peak_rss_mb
    from .data import FanOutAssociation
    from .fanout import publish

    spec = json.loads(sys.argv[1])
    if spec["scenario"] == "fanout":
        association = FanOutAssociation(
            association_id=spec["association_id"],
            members=spec["members"],
            actor_id=spec["actor_id"],
            target_code=uuid.UUID(spec["target_code"]),
        )
        event_id = publish(association, f"Mémoire {association.members}")

        def scenario() -> int:
            return fan_out_event(event_id=event_id, association_id=association.association_id)

    elif spec["scenario"] == "digest":
        now = datetime.fromisoformat(spec["now"])

        def scenario() -> int:
            # Rolled back: the timed claim that follows must find nothing claimed yet.
            with transaction.atomic():
                claimed = len(services.claim_digests(now=now))
                transaction.set_rollback(True)
            return claimed

    else:
        raise SystemExit(f"unknown scenario {spec['scenario']!r}")

    gc.collect()
    rss_before = peak_rss_mb()
    tracemalloc.start()
    baseline, _peak = tracemalloc.get_traced_memory()
    rows = scenario()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "rows": rows,
                "tracemalloc_peak_mb": (peak - baseline) / 1e6,
                "peak_rss_mb": peak_rss_mb(),
                "rss_before_mb": rss_before,
            }
        )
    )


if __name__ == "__main__":
    main()
