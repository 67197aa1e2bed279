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


class CommitTimer:
    """Time spent in COMMIT itself: PostgreSQL checks the deferred foreign keys of every row written
    (Django declares them `DEFERRABLE INITIALLY DEFERRED`) and waits for the WAL to reach the disk."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> CommitTimer:
        original = connection.commit

        def timed() -> None:
            start = time.perf_counter()
            try:
                original()
            finally:
                self.seconds += time.perf_counter() - start

        connection.commit = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        del connection.commit


def run_ours(association: FanOutAssociation, event_id: int) -> Measure:
    """The fan-out task as a worker runs it: scope, one transaction, then the after-commit pushes."""
    with AfterCommitTimer() as after_commit, CommitTimer() as commit, measured() as measure:
        created = fan_out_event(event_id=event_id, association_id=association.association_id)
    measure.extra.update(
        rows=created,
        after_commit_seconds=after_commit.seconds,
        after_commit_callbacks=after_commit.callbacks,
        commit_seconds=commit.seconds,
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


def run_floor(event_id: int, table: str = "notifications_notification") -> Measure:
    """One statement writing the same rows: audience, preferences, follows and mutes in SQL; no
    quiet hours, daily cap or pause, no outbox emails, no pushes. What no fan-out can beat.

    `table`: where to write (`PREVIOUS_TABLE`: the same rows into the table as migration 0001 defined it)."""
    sql = FLOOR_SQL.replace("INSERT INTO notifications_notification ", f"INSERT INTO {table} ", 1)
    with CommitTimer() as commit, measured() as measure, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"event": event_id})
        rows = cursor.rowcount
    measure.extra.update(rows=rows, commit_seconds=commit.seconds)
    return measure


# The notifications table as notifications/migrations/0001_initial.py created it (before 0002 made it
# leaner), next to the real one: the floor is timed on both in the same run. Its foreign keys point to
# the real tables, deferred like Django's.
PREVIOUS_TABLE = "bench_v1.notifications_notification"
PREVIOUS_DEFINITION = [
    "DROP SCHEMA IF EXISTS bench_v1 CASCADE",
    "CREATE SCHEMA bench_v1",
    f"CREATE TABLE {PREVIOUS_TABLE} (LIKE public.notifications_notification INCLUDING DEFAULTS INCLUDING IDENTITY)",
    f"ALTER TABLE {PREVIOUS_TABLE} ADD PRIMARY KEY (id)",
    f"ALTER TABLE {PREVIOUS_TABLE} ADD UNIQUE (code)",
    f"ALTER TABLE {PREVIOUS_TABLE} ADD UNIQUE (event_id, recipient_id)",
    f"CREATE INDEX ON {PREVIOUS_TABLE} (association_id)",
    f"CREATE INDEX ON {PREVIOUS_TABLE} (digest_run_id)",
    f"CREATE INDEX ON {PREVIOUS_TABLE} (event_id)",
    f"CREATE INDEX ON {PREVIOUS_TABLE} (recipient_id)",
    f"CREATE INDEX ON {PREVIOUS_TABLE} (recipient_id, created_at DESC)",
    f"CREATE INDEX ON {PREVIOUS_TABLE} (recipient_id) WHERE read_at IS NULL",
    f"CREATE INDEX ON {PREVIOUS_TABLE} (recipient_id, created_at) WHERE digested_at IS NULL AND in_digest",
    *(
        f"ALTER TABLE {PREVIOUS_TABLE} ADD FOREIGN KEY ({column}) REFERENCES public.{target} (id) "
        "DEFERRABLE INITIALLY DEFERRED"
        for column, target in [
            ("association_id", "hub_association"),
            ("digest_run_id", "notifications_digestrun"),
            ("event_id", "notifications_event"),
            ("recipient_id", "hub_user"),
        ]
    ),
]


def create_previous_table() -> None:
    with connection.cursor() as cursor:
        for statement in PREVIOUS_DEFINITION:
            cursor.execute(statement)


def drop_previous_table() -> None:
    # Its foreign keys would stop the digest phase from emptying the real tables.
    with connection.cursor() as cursor:
        cursor.execute(PREVIOUS_DEFINITION[0])


def indexes_of(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", [table])
        return cursor.fetchone()[0]


def floor_anatomy(event_id: int, table: str) -> dict:
    """Where the floor's time goes, from `EXPLAIN (ANALYZE, WAL)` (untimed; rolled back).

    With the foreign keys checked at the end of the statement (`SET CONSTRAINTS ALL IMMEDIATE`)
    instead of at commit, the plan reports each check's time: the share of the foreign keys."""
    sql = FLOOR_SQL.replace("INSERT INTO notifications_notification ", f"INSERT INTO {table} ", 1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("EXPLAIN (ANALYZE, WAL, FORMAT JSON) " + sql, {"event": event_id})
        (plan,) = cursor.fetchone()[0]
        transaction.set_rollback(True)
    top = plan["Plan"]
    triggers = {trigger["Constraint Name"]: trigger["Time"] / 1000 for trigger in plan.get("Triggers", [])}
    return {
        "table": table,
        "indexes": indexes_of(table),
        "rows": top.get("Tuples Inserted", _inserted(top)),
        "execution_seconds": plan["Execution Time"] / 1000,
        "insert_seconds": top["Actual Total Time"] / 1000,
        "foreign_key_seconds": sum(triggers.values()),
        "foreign_keys": triggers,
        "wal_bytes": top.get("WAL Bytes", 0),
        "wal_records": top.get("WAL Records", 0),
    }


def _inserted(node: dict) -> int:
    for child in node.get("Plans", []):
        return child.get("Actual Rows", 0)
    return 0


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
    floor_previous: list[Measure] = field(default_factory=list)  # on the table as 0001 defined it
    anatomy: list[dict] = field(default_factory=list)
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
    create_previous_table()
    run_floor(publish(warm_up, "warm-up floor"))
    run_floor(publish(warm_up, "warm-up floor, previous table"), PREVIOUS_TABLE)

    results = []
    for association in associations:
        result = FanOutResult(members=association.members)
        for attempt in range(repeats[association.members]):
            event_id = publish(association, f"Décision {association.members} n°{attempt}")
            result.event_ids.append(event_id)
            result.ours.append(run_ours(association, event_id))
            result.floor.append(run_floor(publish(association, f"Plancher {association.members} n°{attempt}")))
            result.floor_previous.append(
                run_floor(publish(association, f"Plancher v1 {association.members} n°{attempt}"), PREVIOUS_TABLE)
            )
            ours, floor, previous = result.ours[-1], result.floor[-1], result.floor_previous[-1]
            log(
                f"fan-out {association.members:,}: ours {ours.extra['rows']:,} rows in {ours.seconds:.3f} s "
                f"({ours.statements} statements), floor {floor.extra['rows']:,} rows in {floor.seconds:.3f} s "
                f"(on the previous table: {previous.seconds:.3f} s)"
            )
        for table in ("notifications_notification", PREVIOUS_TABLE):
            result.anatomy.append(floor_anatomy(publish(association, f"Anatomie {association.members}"), table))
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
    drop_previous_table()

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
