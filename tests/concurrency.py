"""Race several jobs for real: each in its own thread and database connection, started together."""

import threading

from django.db import connection


def run_together(jobs, timeout=90):
    """Start every job at the same instant; returns ("ok", result) or ("error", exception) per job."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", job())
        except Exception as exc:  # noqa: BLE001 -- collected and asserted on by the caller
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results
