"""``manage.py check --deploy`` is clean with production settings, and flags what is missing."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def run_deploy_check(**environment):
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **environment}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables():
    result = run_deploy_check(
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="makrx.example.com",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:////tmp/makrx-deploy-check.sqlite3"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_development_key_and_debug():
    result = run_deploy_check(DEBUG="true", ALLOWED_HOSTS="makrx.example.com")
    assert result.returncode != 0
    assert "security.W009" in result.stderr  # the built-in development SECRET_KEY
    assert "security.W018" in result.stderr  # DEBUG on
