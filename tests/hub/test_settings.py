"""Bad configuration stops start-up with a message that names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=base | env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_DEBUG": "ture"}, "DJANGO_DEBUG must be one of"),
        ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 60}, "DJANGO_ALLOWED_HOSTS must list"),
        (
            {"DJANGO_DEBUG": "1", "INVITATION_MAX_AGE_DAYS": "two weeks"},
            "INVITATION_MAX_AGE_DAYS must be a whole number",
        ),
    ],
)
def test_bad_settings_stop_start_up_with_a_clear_message(env, message, tmp_path):
    result = start(VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_start_with_the_required_variables(tmp_path):
    result = start(
        VAR_DIR=str(tmp_path), DJANGO_DEBUG="0", DJANGO_SECRET_KEY="s" * 60, DJANGO_ALLOWED_HOSTS="asso.example.org"
    )
    assert result.returncode == 0, result.stderr
