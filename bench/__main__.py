"""`make bench` (= `.venv/bin/python -m bench`): the notifications benchmark on PostgreSQL.

    .venv/bin/python -m bench            # full: 1,000 / 10,000 / 100,000 members; 100,000 digests of 1,000,000
    .venv/bin/python -m bench --quick    # about a minute: 1,000 / 10,000 members; 10,000 digests of 100,000

Creates (and drops at the end) the database `asso_hub_bench` on 127.0.0.1:5432, prepares
var/bench-venv (django-notifications-hq, aiosmtpd) on first use, prints a markdown table and
writes the report: docs/benchmarks.md for a full run, var/bench/benchmarks-quick.md for a quick
one (unless --output says otherwise). Raw figures go to var/bench/results[-quick].json.
See docs/benchmarks.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import signal
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from . import ROOT
from .environment import (
    DEFAULT_DATABASE_URL,
    LoadSampler,
    RunLock,
    SmtpSink,
    code_state,
    database,
    drop_database,
    ensure_bench_venv,
    free_port,
    log,
    machine,
    prepare_environment,
    recreate_database,
)

# Fan-out runs per size (the median is reported); one run of 100,000 already takes minutes.
FULL = {
    "sizes": [1_000, 10_000, 100_000],
    "repeats": {1_000: 3, 10_000: 3, 100_000: 1},
    "digest_members": 100_000,
    "email_sample": 2_000,
}
QUICK = {"sizes": [1_000, 10_000], "repeats": {1_000: 3, 10_000: 1}, "digest_members": 10_000, "email_sample": 200}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about a minute")
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE_URL, help="dropped and recreated (its name must contain 'bench')"
    )
    parser.add_argument("--output", type=Path, help="where to write the markdown report")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    return parser.parse_args(argv)


def command_line(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    python = Path(sys.executable)
    with contextlib.suppress(ValueError):
        python = python.relative_to(ROOT)
    return shlex.join([str(python), "-m", "bench", *args])


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> None:
    # SIGTERM as Ctrl-C: the `finally` below stops the sink and drops the database, and
    # subprocess.run kills the child it waits for.
    signal.signal(signal.SIGTERM, _interrupted)
    args = parse(argv)
    plan = QUICK if args.quick else FULL
    suffix = "-quick" if args.quick else ""
    default_output = ROOT / "var" / "bench" / "benchmarks-quick.md" if args.quick else ROOT / "docs" / "benchmarks.md"
    output = args.output or default_output
    results_path = ROOT / "var" / "bench" / f"results{suffix}.json"
    started = time.monotonic()
    db = database(args.database_url)
    python = ensure_bench_venv()
    port = free_port()
    sink = SmtpSink(python, port)
    prepare_environment(db, port)
    lock = RunLock(db)
    load = LoadSampler()
    code = code_state()
    created = False
    try:
        recreate_database(db)
        created = True
        results = _run(plan, python)
    finally:
        sink_stats = sink.stop()
        if created:
            from django.db import connections

            connections.close_all()
            if not args.keep_db:
                drop_database(db)
        lock.release()
    results["digests"]["sink"] = sink_stats
    results["run"] = {
        "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        "command": command_line(argv),
        "quick": args.quick,
        "wall_seconds": time.monotonic() - started,
        "code": code,
        "load_average": load.stop(),
        "machine": results.pop("machine"),
        "plan": plan,
        "repeats": {str(size): count for size, count in plan["repeats"].items()},
    }
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2, default=str))
    from .report import render, table

    print(table(results))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(results))
    log(f"done in {results['run']['wall_seconds']:.0f} s; report: {output}, figures: {results_path}")


def _run(plan: dict, python: Path) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from . import data, digests, fanout

    log("migrating")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    import django as django_module

    info = machine() | {
        "postgresql": pg_version,
        "shared_buffers": shared_buffers,
        "django": django_module.get_version(),
    }
    users_needed = max([*plan["sizes"], plan["digest_members"]])
    log(f"generating {users_needed:,} users and the fan-out associations")
    users = data.create_users(users_needed)
    warm_up = data.create_fan_out_association(users, 20, "warm-up")
    associations = [data.create_fan_out_association(users, n, f"fan-out-{n}") for n in plan["sizes"]]
    data.analyze(
        "hub_user",
        "hub_membership",
        "notifications_preference",
        "notifications_subscription",
        "notifications_notificationsettings",
    )
    fanout.hq_setup(python)
    fan_out = fanout.run(python, associations, warm_up, plan["repeats"])

    log(f"generating {plan['digest_members'] * data.EVENTS_PER_ASSOCIATION:,} notifications for the digests")
    generated = data.create_digest_data(users, plan["digest_members"])
    data.analyze(
        "notifications_notification",
        "notifications_event",
        "notifications_notificationsettings",
        "hub_membership",
        "notifications_digestrun",
    )
    digest = digests.run(
        members=generated.members,
        notifications=generated.notifications,
        email_sample=plan["email_sample"],
        repeats=3,
        now=timezone.now(),
    )
    return {
        "machine": info,
        "fan_out": [
            {
                "members": result.members,
                "ours": [asdict(m) for m in result.ours],
                "floor": [asdict(m) for m in result.floor],
                "floor_previous": [asdict(m) for m in result.floor_previous],
                "anatomy": result.anatomy,
                "hq": result.hq,
                "hq_autocommit": result.hq_autocommit,
                "memory": result.memory,
            }
            for result in fan_out
        ],
        "digests": {
            "members": digest.members,
            "notifications": digest.notifications,
            "unread": generated.unread_pending,
            "associations": generated.associations,
            "floor": [asdict(m) for m in digest.floor],
            "selection": [asdict(m) for m in digest.selection],
            "claim": asdict(digest.claim) if digest.claim else None,
            "emails": asdict(digest.emails) if digest.emails else None,
            "email_sample": plan["email_sample"],
            "memory": digest.memory,
        },
    }


if __name__ == "__main__":
    main()
