"""Fan-out of one event: our task, django-notifications-hq's `notify.send`, and an `INSERT … SELECT` floor.

All three write the same recipients: ours decides them (audience, preferences, follows, mutes);
the floor repeats that decision in SQL; `notify.send` gets the very users ours reached.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

from hub.tenancy import association_scope
from notifications import events
from notifications.registry import get as get_kind
from notifications.tasks import fan_out_event

from . import ROOT
from .counters import Measure, measured
from .data import TARGET_KIND, FanOutAssociation
from .environment import log

KIND = "decision.recorded"  # governance's, to all members; category "decisions"


def publish(association: FanOutAssociation, title: str) -> int:
    """Record an event as a service would (its fan-out task goes to the in-memory broker, unconsumed)."""
    with association_scope(association.association_id), transaction.atomic():
        event = events.publish(
            kind=KIND,
            association_id=association.association_id,
            actor_id=association.actor_id,
            target_kind=TARGET_KIND,
            target_code=association.target_code,
            title=title,
            data={},
        )
    return event.pk


class AfterCommitTimer:
    """Time spent in the transaction's after-commit callbacks (the websocket pushes, the task enqueues).

    Wraps this connection's `run_and_clear_commit_hooks`, which Django calls once the outermost
    atomic block has committed, whatever the callbacks are: the breakdown stays right when the
    push code changes.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.callbacks = 0

    def __enter__(self) -> AfterCommitTimer:
        original = connection.run_and_clear_commit_hooks

        def timed() -> None:
            self.callbacks += len(connection.run_on_commit)
            start = time.perf_counter()
            try:
                original()
            finally:
                self.seconds += time.perf_counter() - start

        connection.run_and_clear_commit_hooks = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        del connection.run_and_clear_commit_hooks  # back to the class's method


def run_ours(association: FanOutAssociation, event_id: int) -> Measure:
    """The fan-out task as a worker runs it: scope, one transaction, then the after-commit pushes."""
    with AfterCommitTimer() as after_commit, measured() as measure:
        created = fan_out_event(event_id=event_id, association_id=association.association_id)
    measure.extra.update(
        rows=created, after_commit_seconds=after_commit.seconds, after_commit_callbacks=after_commit.callbacks
    )
    return measure


FLOOR_SQL = """
INSERT INTO notifications_notification (code, association_id, event_id, recipient_id, category, created_at,
                                        route, in_digest)
SELECT gen_random_uuid(), m.association_id, e.id, m.user_id, e.category, e.created_at,
       CASE COALESCE(p.mode, 'digest') WHEN 'in_app' THEN 'in_app' WHEN 'immediate' THEN 'immediate'
                                       ELSE 'digest' END,
       COALESCE(p.mode, 'digest') NOT IN ('in_app', 'immediate')
FROM notifications_event AS e
JOIN hub_membership AS m ON m.association_id = e.association_id AND m.is_active
JOIN hub_user AS u ON u.id = m.user_id AND u.is_active
LEFT JOIN notifications_preference AS p
       ON p.association_id = m.association_id AND p.user_id = m.user_id AND p.category = e.category
LEFT JOIN notifications_subscription AS s
       ON s.association_id = m.association_id AND s.user_id = m.user_id
      AND s.target_kind = e.target_kind AND s.target_code = e.target_code
WHERE e.id = %(event)s
  AND m.user_id IS DISTINCT FROM e.actor_id
  AND s.state IS DISTINCT FROM 'mute'
  AND (COALESCE(p.mode, 'digest') <> 'off' OR s.state = 'follow')
ON CONFLICT DO NOTHING
"""


def run_floor(event_id: int) -> Measure:
    """One statement writing the same rows: audience, preferences, follows and mutes in SQL; no
    quiet hours, daily cap or pause, no outbox emails, no pushes. What no fan-out can beat."""
    with measured() as measure, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {"event": event_id})
        rows = cursor.rowcount
    measure.extra["rows"] = rows
    return measure


def run_hq(python: Path, runs: list[dict]) -> dict:
    """django-notifications-hq in its own process (`bench/hq_child.py`), with the benchmark's virtualenv."""
    completed = subprocess.run(
        [str(python), "-P", str(ROOT / "bench" / "hq_child.py"), "run", json.dumps({"runs": runs})],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit("django-notifications-hq's run failed (its output is above).")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def hq_setup(python: Path) -> dict:
    completed = subprocess.run(
        [str(python), "-P", str(ROOT / "bench" / "hq_child.py"), "setup"], capture_output=True, text=True, cwd=ROOT
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit("django-notifications-hq's table could not be created (its output is above).")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_memory(spec: dict) -> dict:
    """The untimed run under tracemalloc, in a fresh process (`bench/memory.py`)."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.memory", json.dumps(spec)], capture_output=True, text=True, cwd=ROOT
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit("The memory run failed (its output is above).")
    return json.loads(completed.stdout.strip().splitlines()[-1])


@dataclass
class FanOutResult:
    members: int
    ours: list[Measure] = field(default_factory=list)
    floor: list[Measure] = field(default_factory=list)
    hq: list[dict] = field(default_factory=list)  # in one transaction (the comparison the targets use)
    hq_autocommit: list[dict] = field(default_factory=list)  # its default outside a transaction
    memory: dict = field(default_factory=dict)
    event_ids: list[int] = field(default_factory=list)

    @staticmethod
    def _median(measures: list) -> Measure | dict:
        key = (lambda m: m.seconds) if isinstance(measures[0], Measure) else (lambda m: m["seconds"])
        ordered = sorted(measures, key=key)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def hq_median(self) -> dict:
        return self._median(self.hq)  # type: ignore[return-value]


def run(
    python: Path, associations: list[FanOutAssociation], warm_up: FanOutAssociation, repeats: dict[int, int]
) -> list[FanOutResult]:
    assert get_kind(KIND).category == "decisions"
    # Warm-up: imports, templates, prepared plans, content types, on both sides.
    warm_event = publish(warm_up, "warm-up")
    run_ours(warm_up, warm_event)
    run_floor(publish(warm_up, "warm-up floor"))

    results = []
    for association in associations:
        result = FanOutResult(members=association.members)
        for attempt in range(repeats[association.members]):
            event_id = publish(association, f"Décision {association.members} n°{attempt}")
            result.event_ids.append(event_id)
            result.ours.append(run_ours(association, event_id))
            result.floor.append(run_floor(publish(association, f"Plancher {association.members} n°{attempt}")))
            ours, floor = result.ours[-1], result.floor[-1]
            log(
                f"fan-out {association.members:,}: ours {ours.extra['rows']:,} rows in {ours.seconds:.3f} s "
                f"({ours.statements} statements), floor {floor.extra['rows']:,} rows in {floor.seconds:.3f} s"
            )
        log(f"fan-out {association.members:,}: memory run")
        result.memory = run_memory(
            {
                "scenario": "fanout",
                "association_id": association.association_id,
                "actor_id": association.actor_id,
                "target_code": str(association.target_code),
                "members": association.members,
            }
        )
        results.append(result)

    log("django-notifications-hq: notify.send to the same recipients")
    runs = [{"label": "warm-up", "event_id": warm_event, "actor_id": warm_up.actor_id}]
    for association, result in zip(associations, results, strict=True):
        for event_id in result.event_ids:
            for atomic in (True, False):
                runs.append(
                    {
                        "label": f"{association.members}",
                        "event_id": event_id,
                        "actor_id": association.actor_id,
                        "atomic": atomic,
                    }
                )
    hq = run_hq(python, runs)
    for result in results:
        mine = [run for run in hq["runs"] if run["label"] == str(result.members)]
        for run in mine:
            run["peak_rss_mb"] = hq["peak_rss_mb"]
        result.hq = [run for run in mine if run["atomic"]]
        result.hq_autocommit = [run for run in mine if not run["atomic"]]
        autocommit = result._median(result.hq_autocommit)
        log(
            f"notify.send {result.members:,}: {result.hq_median['rows']:,} rows in {result.hq_median['seconds']:.3f} s"
            f" (autocommit: {autocommit['seconds']:.3f} s)"
        )
    return results
