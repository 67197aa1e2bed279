"""Daily summaries: select who is due, claim their runs, beside a single GROUP BY; then send some.

`claim_digests` is what the hourly beat task does: `due_digests` (one grouped query over the
notifications waiting for a summary, then each member's slot in their time zone, in Python),
one bulk insert of the `DigestRun` rows (the exactly-once key), and the list of unsent runs.
The floor is the grouped query alone, fetched, with nothing decided nor written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from notifications import services

from .counters import Measure, measured
from .data import vacuum
from .environment import log
from .fanout import run_memory

GROUP_BY_FLOOR = """
SELECT recipient_id, min(created_at), count(*)
FROM notifications_notification
WHERE in_digest AND digested_at IS NULL AND read_at IS NULL AND created_at <= %s
GROUP BY recipient_id
"""


def run_floor(now: datetime) -> Measure:
    with measured() as measure, connection.cursor() as cursor:
        cursor.execute(GROUP_BY_FLOOR, [now])
        measure.extra["rows"] = len(cursor.fetchall())
    return measure


def run_selection(now: datetime) -> Measure:
    with measured() as measure:
        measure.extra["rows"] = len(services.due_digests(now=now))
    return measure


def run_claim(now: datetime) -> tuple[Measure, list[int]]:
    with measured() as measure:
        run_ids = services.claim_digests(now=now)
    measure.extra["rows"] = len(run_ids)
    return measure, run_ids


def run_emails(run_ids: list[int]) -> Measure:
    """`send_digest` (the task's body) for each run: lock, read the items, render, SMTP, mark sent."""
    with measured() as measure:
        sent = sum(services.send_digest(run_id=run_id) for run_id in run_ids)
    measure.extra["rows"] = sent
    return measure


@dataclass
class DigestResult:
    members: int
    notifications: int
    floor: list[Measure] = field(default_factory=list)
    selection: list[Measure] = field(default_factory=list)
    claim: Measure | None = None
    emails: Measure | None = None
    memory: dict = field(default_factory=dict)
    sink: dict = field(default_factory=dict)


def run(members: int, notifications: int, email_sample: int, repeats: int, now: datetime) -> DigestResult:
    result = DigestResult(members=members, notifications=notifications)
    run_floor(now)  # warm-up: the table and its indexes into the caches, for both sides
    for _attempt in range(repeats):
        result.floor.append(run_floor(now))
        result.selection.append(run_selection(now))
        log(
            f"digests: floor {result.floor[-1].extra['rows']:,} in {result.floor[-1].seconds:.3f} s, "
            f"selection {result.selection[-1].extra['rows']:,} in {result.selection[-1].seconds:.3f} s"
        )
    log("digests: memory run (claim, rolled back)")
    result.memory = run_memory({"scenario": "digest", "now": now.isoformat()})
    # The memory run's claim was rolled back: its dead rows would sit in the unique index that the
    # timed claim checks, a cost no real claim pays. (VACUUM alone: a checkpoint here would make the
    # claim write every page it touches in full to the WAL, a cost the floor, run before, did not pay.)
    vacuum("notifications_digestrun")
    claim, run_ids = run_claim(now)
    result.claim = claim
    log(f"digests: claimed {claim.extra['rows']:,} in {claim.seconds:.3f} s ({claim.statements} statements)")
    assert len(run_ids) > email_sample, "not enough claimed summaries for the email sample"
    run_emails(run_ids[:1])  # warm-up: templates, translations, the first SMTP connection
    result.emails = run_emails(run_ids[1 : email_sample + 1])
    log(f"digests: {result.emails.extra['rows']:,} emails in {result.emails.seconds:.3f} s")
    return result
