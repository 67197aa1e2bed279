"""What the benchmark runs on: its own virtualenv, its own database, its own SMTP sink, the machine.

Nothing here imports Django: it runs before `django.setup()`, whose settings read the
environment this module prepares.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from . import ROOT

BENCH_VENV = ROOT / "var" / "bench-venv"
# Comparison packages: only in the benchmark's virtualenv, never in the project's dependencies.
# setuptools: django-notifications-hq 1.8.3 imports `distutils`, gone from Python 3.12's stdlib.
COMPARISON_PACKAGES = ["django-notifications-hq==1.8.3", "setuptools", "aiosmtpd==1.4.6"]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/asso_hub_bench"


_STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


# The benchmark's own virtualenv ---------------------------------------------------------------


def _requirements() -> list[str]:
    """The project's runtime dependencies (not the project itself: its `notifications` package
    would land in site-packages beside django-notifications-hq's, under the same name)."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    return [*dependencies, *COMPARISON_PACKAGES]


def bench_python() -> Path:
    return BENCH_VENV / "bin" / "python"


def ensure_bench_venv() -> Path:
    """Create var/bench-venv and install what it needs, once per set of requirements."""
    requirements = _requirements()
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:16]
    stamp = BENCH_VENV / f".installed-{digest}"
    python = bench_python()
    if stamp.exists() and python.exists():
        return python
    log(f"preparing the benchmark's virtualenv in {BENCH_VENV.relative_to(ROOT)} (once)")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *requirements], check=True)
    for old in BENCH_VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()
    return python


# The database ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    url: str
    name: str

    @property
    def maintenance_url(self) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))


def database(url: str) -> Database:
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        # The benchmark drops and recreates it: refuse anything that looks like real data.
        raise SystemExit(f"The benchmark drops its database; its name must contain 'bench' (got {name!r}).")
    return Database(url=url, name=name)


class RunLock:
    """One benchmark at a time per PostgreSQL server: a session advisory lock, held for the whole run.

    A second run would drop the first one's database under it (and share its two cores).
    """

    KEY = 0x61737362  # "assb"

    def __init__(self, db: Database) -> None:
        import psycopg

        try:
            self.connection = psycopg.connect(db.maintenance_url, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            raise SystemExit(
                f"PostgreSQL is not reachable at {db.maintenance_url} ({exc}).\n"
                "Start it (e.g. `pg_ctlcluster 15 main start`) or pass --database-url."
            ) from None
        acquired = self.connection.execute("SELECT pg_try_advisory_lock(%s)", [self.KEY]).fetchone()[0]
        if not acquired:
            log("another benchmark run holds the lock on this PostgreSQL server: waiting for it to finish")
            self.connection.execute("SELECT pg_advisory_lock(%s)", [self.KEY])

    def release(self) -> None:
        self.connection.close()  # ends the session, and the lock with it


def recreate_database(db: Database) -> None:
    import psycopg

    try:
        connection = psycopg.connect(db.maintenance_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise SystemExit(
            f"PostgreSQL is not reachable at {db.maintenance_url} ({exc}).\n"
            "Start it (e.g. `pg_ctlcluster 15 main start`) or pass --database-url."
        ) from None
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{db.name}"')


def drop_database(db: Database) -> None:
    import psycopg

    with psycopg.connect(db.maintenance_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')


# The environment the Django settings read -------------------------------------------------------


def prepare_environment(db: Database, smtp_port: int) -> None:
    """Production shape (DEBUG off: no query log), PostgreSQL, an in-memory channel layer and broker."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "hub.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "localhost",
            "DATABASE_URL": db.url,
            # Nothing consumes the tasks that publish() and fan_out() enqueue after commit.
            "CELERY_BROKER_URL": "memory://localhost/",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "LOG_LEVEL": "WARNING",
        }
    )
    # Pushes go to the in-memory channel layer (no Redis round trip per recipient).
    os.environ.pop("REDIS_URL", None)


# The SMTP sink --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """aiosmtpd, from the benchmark's virtualenv, counting what it accepts (`bench/smtp_sink.py`)."""

    def __init__(self, python: Path, port: int) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [str(python), "-P", str(ROOT / "bench" / "smtp_sink.py"), str(port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("The SMTP sink did not start.")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit("The SMTP sink did not start listening.")

    def stop(self) -> dict:
        if self.process.poll() is None:
            self.process.terminate()
        out, _err = self.process.communicate(timeout=20)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {}


# The machine ----------------------------------------------------------------------------------


class LoadSampler:
    """The 1-minute load average every few seconds during the run: other work on the machine shows here."""

    def __init__(self, every: float = 5.0) -> None:
        import threading

        self.samples: list[float] = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(every,), daemon=True)
        self._thread.start()

    def _sample(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {
            "start": self.samples[0],
            "mean": sum(self.samples) / len(self.samples),
            "max": max(self.samples),
            "end": os.getloadavg()[0],
        }


def code_state() -> str:
    """Which code was measured: the commit, and whether the apps measured had uncommitted changes."""
    described = os.environ.get("BENCH_CODE_DESCRIPTION")
    if described:
        return described
    git = shutil.which("git")
    if not git or not (ROOT / ".git").exists():
        return "unknown (not a git checkout)"

    def run(*args: str) -> str:
        return subprocess.run([git, *args], cwd=ROOT, capture_output=True, text=True).stdout

    commit = run("rev-parse", "--short", "HEAD").strip()
    dirty = [line[3:] for line in run("status", "--porcelain", "--", "notifications", "hub").splitlines() if line]
    if not dirty:
        return f"commit {commit}, notifications/ and hub/ as committed"
    files = ", ".join(dirty)
    return f"commit {commit} with uncommitted changes in {files}"


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    nproc = shutil.which("nproc")
    cores = subprocess.run([nproc], capture_output=True, text=True).stdout.strip() if nproc else str(os.cpu_count())
    return {
        "nproc": cores,
        "cpu": cpu,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
    }
