"""The load benchmark: the ten busiest pages and endpoints on a large instance (issue 8, item 7).

    .venv/bin/python -m bench.load            # 1,000 associations, 50,000 members, 200,000 notifications
    .venv/bin/python -m bench.load --quick    # a tenth of that, fewer requests

Creates the database `asso_hub_bench_load` on 127.0.0.1:5432 (dropped at the end), fills it
(bench/load_data.py), starts uvicorn with production settings (DEBUG off, whitenoise, two workers)
and measures each target with ApacheBench (`ab`, Debian's apache2-utils) on loopback: p50 / p95
of the time to the full response, compared with a bare Django view on the same server measured
the same way in the same run; then the page weight: HTML (or JSON) + CSS + JS, gzip-compressed as
served. Writes var/quality/load.json (read by `python -m bench.quality`, which writes
docs/quality.md) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from . import ROOT
from .environment import LoadSampler, code_state, database, drop_database, free_port, log, machine, recreate_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/asso_hub_bench_load"
OUTPUT = ROOT / "var" / "quality" / "load.json"
TARGETS_P95_RATIO = 5.0
TARGET_WEIGHT_KB = 100.0


@dataclass
class Target:
    name: str
    path: str
    api: bool = False


@dataclass
class Measure:
    name: str
    path: str
    requests: int
    p50_ms: float
    p95_ms: float
    rps: float
    failed: int
    non_2xx: int
    weight_kb: float = 0.0
    weight_parts: dict[str, float] = field(default_factory=dict)


def targets(data: dict) -> list[Target]:
    """The ten pages and endpoints a member hits most: home, the association's daily pages, the badge."""
    slug = data["association"]
    found = [
        Target("Association home", f"/a/{slug}/"),
        Target("Stack", f"/a/{slug}/stack/"),
        Target("Proposals", f"/a/{slug}/proposals/"),
        Target("Proposal detail", f"/a/{slug}/proposals/{data['proposal']}/") if data.get("proposal") else None,
        Target("Decision register", f"/a/{slug}/register/"),
        Target("Inbox", "/notifications/"),
        Target("Tutorial library", "/tutorials/"),
        Target("Tool catalogue", "/tools/"),
        Target("API: unread count (badge)", "/api/v1/notifications/unread-count/", api=True),
        Target("API: proposals", f"/api/v1/associations/{slug}/proposals/", api=True),
    ]
    return [t for t in found if t is not None]


def server_env(db_url: str, var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.load_settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": db_url,
            "CELERY_BROKER_URL": "memory://localhost/",
            "EMAIL_URL": "smtp://127.0.0.1:1",  # never reached: the pages measured send nothing
            "VAR_DIR": str(var_dir),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("REDIS_URL", None)
    return env


def run(cmd: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    try:
        return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kwargs)
    except subprocess.CalledProcessError as exc:
        if exc.stderr:
            sys.stderr.write(exc.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}") from None


def wait_ready(base: str, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/bench/bare/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not start")


AB_PERCENT = re.compile(r"^\s*(\d+)%\s+(\d+)", re.MULTILINE)


def ab(url: str, requests: int, concurrency: int, headers: list[str], cookie: str | None) -> dict[str, float]:
    cmd = ["ab", "-q", "-n", str(requests), "-c", str(concurrency)]
    for header in headers:
        cmd += ["-H", header]
    if cookie:
        cmd += ["-C", cookie]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    percents = {int(p): float(ms) for p, ms in AB_PERCENT.findall(out)}
    failed = re.search(r"Failed requests:\s+(\d+)", out)
    non_2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    rps = re.search(r"Requests per second:\s+([\d.]+)", out)
    # ab reports whole milliseconds per percentile; the mean time per request adds a decimal.
    return {
        "p50": percents.get(50, float("nan")),
        "p95": percents.get(95, float("nan")),
        "rps": float(rps.group(1)) if rps else 0.0,
        "failed": int(failed.group(1)) if failed else 0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.urls.append(a["href"] or "")
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")


def weight(
    base: str, target: Target, headers: dict[str, str], cookies: dict[str, str]
) -> tuple[float, dict[str, float]]:
    """Bytes on the wire, gzip as served: the document plus every stylesheet and script it loads."""
    import httpx

    parts: dict[str, float] = {}
    with httpx.Client(base_url=base, headers={**headers, "Accept-Encoding": "gzip"}, cookies=cookies) as client:
        response = client.get(target.path)
        response.raise_for_status()
        parts["document"] = response.num_bytes_downloaded / 1024
        if not target.api:
            parser = _Assets()
            parser.feed(response.text)
            for url in dict.fromkeys(parser.urls):
                asset = client.get(urljoin(base + target.path, url))
                asset.raise_for_status()
                parts[url.rsplit("/", 1)[-1]] = asset.num_bytes_downloaded / 1024
    return sum(parts.values()), parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data, fewer requests")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="dropped and recreated")
    parser.add_argument("--requests", type=int, help="requests per target (default 400, quick 100)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    if not shutil.which("ab"):
        raise SystemExit("ApacheBench is needed: apt-get install apache2-utils")
    requests = args.requests or (100 if args.quick else 400)
    db = database(args.database_url)
    if "bench" not in db.name:
        raise SystemExit("the benchmark drops its database: its name must contain 'bench'")
    started = time.monotonic()
    sampler = LoadSampler()
    var_dir = ROOT / "var" / "bench-load"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(db.url, var_dir)
    python = sys.executable
    recreate_database(db)
    server = None
    try:
        log("migrating")
        run([python, "manage.py", "migrate", "--noinput", "-v0"], env)
        run([python, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        log("generating the dataset")
        data_env = {**env, "DJANGO_SETTINGS_MODULE": "hub.settings"}
        out = run(
            [python, "-m", "bench.load_data", *(["--quick"] if args.quick else [])],
            data_env,
            capture_output=True,
            text=True,
        )
        sys.stderr.write(out.stderr)
        data = json.loads(out.stdout.strip().splitlines()[-1])
        run(
            [
                python,
                "manage.py",
                "shell",
                "-c",
                "from django.db import connection; connection.cursor().execute('ANALYZE')",
            ],
            env,
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                python,
                "-m",
                "uvicorn",
                "hub.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        wait_ready(base)
        cookie = f"sessionid={data['session_cookie']}"
        page_headers = ["Accept-Language: fr"]
        api_headers = [f"Authorization: Token {data['token']}", "Accept: application/json"]
        chosen = targets(data)
        log("warming up")
        for target in chosen:
            ab(base + target.path, 20, 2, api_headers if target.api else page_headers, None if target.api else cookie)
        measures: list[Measure] = []
        bare_runs = []

        def bare_run() -> None:
            bare_runs.append(ab(base + "/bench/bare/", requests, args.concurrency, page_headers, None))

        bare_run()
        for target in chosen:
            log(f"measuring {target.name}")
            result = ab(
                base + target.path,
                requests,
                args.concurrency,
                api_headers if target.api else page_headers,
                None if target.api else cookie,
            )
            headers = (
                {"Authorization": f"Token {data['token']}", "Accept": "application/json"}
                if target.api
                else {"Accept-Language": "fr"}
            )
            total, parts = weight(base, target, headers, {} if target.api else {"sessionid": data["session_cookie"]})
            measures.append(
                Measure(
                    name=target.name,
                    path=target.path,
                    requests=requests,
                    p50_ms=result["p50"],
                    p95_ms=result["p95"],
                    rps=result["rps"],
                    failed=int(result["failed"]),
                    non_2xx=int(result["non_2xx"]),
                    weight_kb=round(total, 1),
                    weight_parts={k: round(v, 1) for k, v in parts.items()},
                )
            )
        bare_run()
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep_db:
            drop_database(db)
    bare = {
        "p50_ms": statistics.mean(r["p50"] for r in bare_runs),
        "p95_ms": statistics.mean(r["p95"] for r in bare_runs),
        "rps": statistics.mean(r["rps"] for r in bare_runs),
        "runs": bare_runs,
    }
    report = {
        "when": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        "quick": args.quick,
        "requests_per_target": requests,
        "concurrency": args.concurrency,
        "dataset": data["counts"],
        "bare": bare,
        "targets": [asdict(m) for m in measures],
        "machine": machine(),
        "code": code_state(),
        "load_average": sampler.stop(),
        "seconds": round(time.monotonic() - started, 1),
        "limits": {"p95_ratio": TARGETS_P95_RATIO, "weight_kb": TARGET_WEIGHT_KB},
    }
    output = OUTPUT.with_name("load-quick.json") if args.quick else OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(markdown(report))
    log(f"written {output.relative_to(ROOT)} in {report['seconds']:.0f} s")
    return 0


def ratio(value: float, bare: float) -> float:
    # ab's percentiles are whole milliseconds: a bare view under 1 ms counts as 1 ms.
    return value / max(bare, 1.0)


def markdown(report: dict) -> str:
    bare = report["bare"]
    lines = [
        f"Bare Django view on the same server: p50 {bare['p50_ms']:.0f} ms, p95 {bare['p95_ms']:.0f} ms "
        f"({bare['rps']:.0f} requests/s).",
        "",
        "| page or endpoint | p50 (ms) | p95 (ms) | p95 ÷ bare | req/s | errors | KB (gzip) | on target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in report["targets"]:
        r = ratio(m["p95_ms"], bare["p95_ms"])
        ok = (
            r <= report["limits"]["p95_ratio"]
            and m["weight_kb"] <= report["limits"]["weight_kb"]
            and not (m["failed"] or m["non_2xx"])
        )
        lines.append(
            f"| {m['name']} (`{m['path']}`) | {m['p50_ms']:.0f} | {m['p95_ms']:.0f} | {r:.1f}× | {m['rps']:.0f} | "
            f"{m['failed'] + m['non_2xx']} | {m['weight_kb']:.1f} | {'yes' if ok else '**no**'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
