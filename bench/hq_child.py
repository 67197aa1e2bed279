"""django-notifications-hq 1.8.3's `notify.send`, timed in a process of its own.

Run by `bench.fanout` with the benchmark's virtualenv (var/bench-venv), as a script and with
`python -P` so that neither the script's folder nor the current directory comes first on
`sys.path`: `import notifications` must find django-notifications-hq in site-packages, not our
app of the same name in the repository root (which is appended last, for `hub` and `bench`).
It also changes to its virtualenv's directory: Celery's Django fix-up, loaded with hub's Celery
app, inserts the current directory first on `sys.path`.

    var/bench-venv/bin/python -P bench/hq_child.py setup
    var/bench-venv/bin/python -P bench/hq_child.py run '{"runs": [{"label": ..., "event_id": ..., "actor_id": ...}]}'

Prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # last: site-packages' `notifications` wins over ours
# Celery's Django fix-up (hub imports its Celery app) puts the current directory *first* on
# sys.path: work from the virtualenv's own directory, where no `notifications` package lies.
os.chdir(sys.prefix)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.hq_settings"


def _shim_index_together() -> None:
    """Django 5.1 removed `Meta.index_together`; django-notifications-hq 1.8.3 still declares it.

    Accept the option again (Django ignores it now); the index it asked for is created by hand
    in `setup()` so the table has the indexes the package's migrations would have built.
    """
    from django.db.models import options

    if "index_together" not in options.DEFAULT_NAMES:
        options.DEFAULT_NAMES = (*options.DEFAULT_NAMES, "index_together")


def _django() -> None:
    _shim_index_together()
    import django

    django.setup()
    import notifications

    origin = Path(notifications.__file__).resolve()
    if ROOT in origin.parents and "site-packages" not in origin.parts:
        raise SystemExit(f"hq_child imported our own notifications app ({origin}), not django-notifications-hq.")


def setup() -> dict:
    """Create the package's table in its own schema (not with its migrations: see docs/benchmarks.md)."""
    from django.db import connection

    from bench.hq_settings import HQ_SCHEMA
    from notifications.models import Notification

    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {HQ_SCHEMA} CASCADE")
        cursor.execute(f"CREATE SCHEMA {HQ_SCHEMA}")
    with connection.schema_editor() as editor:
        editor.create_model(Notification)
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        # What its migration 0008 (`index_together = ('recipient', 'unread')`) builds.
        cursor.execute(f'CREATE INDEX hq_recipient_unread ON {HQ_SCHEMA}."{table}" (recipient_id, unread)')
        cursor.execute(
            "SELECT schemaname FROM pg_tables WHERE tablename = %s ORDER BY schemaname", [Notification._meta.db_table]
        )
        schemas = [row[0] for row in cursor.fetchall()]
    return {"table": table, "schemas": schemas}


def run(spec: dict) -> dict:
    from django.db import transaction
    from django.db.models.expressions import RawSQL

    from bench.counters import measured, peak_rss_mb
    from hub.models import User
    from notifications.signals import notify

    results = []
    for item in spec["runs"]:
        actor = User.objects.get(pk=item["actor_id"])
        # The very recipients our fan-out reached for this event (our table, in `public`).
        recipients = User.objects.filter(
            pk__in=RawSQL(
                "SELECT recipient_id FROM public.notifications_notification WHERE event_id = %s", [item["event_id"]]
            )
        ).order_by("pk")
        # One transaction, like our fan-out; `"atomic": false` calls it as a view without ATOMIC_REQUESTS
        # would, in autocommit: each row commits (and waits for the disk) alone.
        atomic = item.get("atomic", True)
        with measured() as measure, transaction.atomic() if atomic else nullcontext():
            sent = notify.send(actor, recipient=recipients, verb="recorded a decision", description=item["label"])
        rows = sum(len(created or []) for _receiver, created in sent)
        results.append(
            {
                "label": item["label"],
                "atomic": atomic,
                "rows": rows,
                "seconds": measure.seconds,
                "statements": measure.statements,
                "sql_seconds": measure.sql_seconds,
            }
        )
    return {"runs": results, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    _django()
    command = sys.argv[1]
    if command == "setup":
        result = setup()
    elif command == "run":
        result = run(json.loads(sys.argv[2]))
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
