"""`make run` as a newcomer meets it: it starts, serves the demo, and stops on Ctrl-C.

It runs against whatever the environment names: SQLite and the embedded broker by default, or
PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (the second CI pass).
"""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make run exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def test_make_run_serves_the_demo_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {"VAR_DIR": str(tmp_path / "var"), "WEB_PORT": str(port)}
    log = (tmp_path / "make-run.log").open("w")
    process = subprocess.Popen(
        ["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_for(base + "/accounts/login/", process)
        output = (tmp_path / "make-run.log").read_text()
        assert f"http://127.0.0.1:{port}/" in output, "the URL is printed"
        assert "martine.leroux@demo.asso-hub.fr" in output, "the demo logins are printed"

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        home = opener.open(base + "/").read().decode()
        assert '<html lang="fr">' in home
        login_page = opener.open(base + "/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "username": "martine.leroux@demo.asso-hub.fr",
                "password": "asso-hub-demo",
            }
        ).encode()
        request = urllib.request.Request(base + "/accounts/login/", data=form, headers={"Referer": base + "/"})
        after_login = opener.open(request).read().decode()
        assert "Épicerie Solidaire du Lochois" in after_login
        association = opener.open(base + "/a/epicerie-solidaire-lochois/").read().decode()
        assert "Loches" in association
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            log.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("web, worker or beat still running 20 s after Ctrl-C")
