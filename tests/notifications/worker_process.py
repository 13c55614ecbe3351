"""Running Escalate's commands in other processes against a file SQLite database."""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(Path(sys.executable).with_name("escalate-manage"))


def environment(db: Path, **extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ESCALATE_")}
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "escalate.config.settings.test",
        "DATABASE_URL": f"sqlite:///{db}",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@functools.cache
def _template() -> Path:
    """A database made by ``escalate-manage migrate``, once per test session."""
    path = Path(tempfile.mkdtemp(prefix="escalate-worker-")) / "template.sqlite3"
    subprocess.run(  # noqa: S603 - our own console script
        [MANAGE, "migrate", "--noinput"],
        cwd=ROOT,
        env=environment(path),
        check=True,
        capture_output=True,
        timeout=120,
    )
    return path


def migrated_database(directory: Path) -> Path:
    """A fresh copy of the migrated database in ``directory``."""
    path = directory / "escalate.sqlite3"
    shutil.copyfile(_template(), path)
    return path


def run_python(code: str, env: dict[str, str], *args: str) -> str:
    """Run ``code`` (after ``django.setup()``) in a new process; its standard output."""
    prelude = "import django\ndjango.setup()\n"
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", prelude + code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db, timeout=20) as conn:
        return list(conn.execute(sql, params))
