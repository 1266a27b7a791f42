"""Helpers of the tests that start a real `tongban run-worker` process beside the test
(kill -9 and restart tests of the notification worker and of licence signing)."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from pathlib import Path

from django.db import connection

WORKER = [sys.executable, "-m", "tongban.cli", "run-worker"]


def database_for_subprocess(tmp_path: Path, name: str = "worker") -> tuple[str, Path | None]:
    """A DATABASE_URL another process can open with what this test wrote: on SQLite a
    copy of the test's in-memory or file database under `tmp_path` (also returned, for
    reading it back), on PostgreSQL the test database itself (the test must commit,
    `django_db(transaction=True)`)."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        path = tmp_path / f"{name}.sqlite3"
        with contextlib.closing(sqlite3.connect(path)) as copy:
            connection.connection.backup(copy)
        return f"sqlite:///{path}", path
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}", None
