"""Kill -9 the worker process in the middle of an SMTP conversation, restart it, and check
that every message reached the SMTP server exactly once.

The worker runs as a real subprocess (`tongban run-worker`) on the same database: on
PostgreSQL the test database itself (the test is transactional, so its rows are
committed); on SQLite a file copy of the in-memory test database, read back with the
stdlib driver afterwards.

Two places to die:
- before_handover: the server hangs at RCPT for the second message; the final "." was
  never sent, so the server kept nothing: the restarted worker sends it (exactly once);
- awaiting_reply: the server has stored the second message and hangs before its "250";
  the restarted worker must not send it again: the channel is left `in_doubt` for an
  operator (and it did arrive, once).
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tongban.notifications.tests.conftest import queue
from tongban.notifications.worker import ADVISORY_NAMESPACE
from tongban.testing.processes import WORKER, database_for_subprocess


def _query(sqlite_path: Path | None, sql: str) -> list[tuple[Any, ...]]:
    if sqlite_path is not None:
        with contextlib.closing(sqlite3.connect(sqlite_path)) as db:
            return db.execute(sql).fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def _wait_until_postgres_released(tokens: list[str]) -> None:
    """The killed worker's server session ends a moment after the process; its advisory
    lock goes with it. Wait for that (not a timing assertion: a bounded wait)."""
    deadline = time.monotonic() + 60
    for token in tokens:
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, int(token)]
                )
                if cursor.fetchone()[0]:
                    cursor.execute(
                        "SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, int(token)]
                    )
                    break
            assert time.monotonic() < deadline, "the killed worker's session never ended"
            time.sleep(0.2)


def _worker_env(database_url: str, var_dir: Path, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TONGBAN_VAR_DIR": str(var_dir),
        "TONGBAN_EMAIL_HOST": "127.0.0.1",
        "TONGBAN_EMAIL_PORT": str(smtp_port),
        "TONGBAN_EMAIL_TIMEOUT": "120",
        "TONGBAN_NOTIFY_POLL_SECONDS": "0.5",
        "TONGBAN_SMS_PROVIDER": "tongban.notifications.sms.LogSmsProvider",
    }


@pytest.mark.django_db(transaction=True)
def test_worker_loop_delivers_and_stops_cleanly_on_sigterm(make_case, smtp_server, tmp_path):
    message = queue(make_case(), "accepted")
    database_url, sqlite_path = database_for_subprocess(tmp_path, "crash")
    env = _worker_env(database_url, tmp_path, smtp_server.port)
    worker = subprocess.Popen(
        WORKER, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 90
        while not smtp_server.messages and worker.poll() is None:
            assert time.monotonic() < deadline, "the worker delivered nothing"
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "stopped" in output
    rows = _query(
        sqlite_path,
        f"SELECT state, claimed_by FROM notifications_outboxmessage WHERE id = {message.id}",
    )
    assert rows == [("sent", "")]
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stage", ["before_handover", "awaiting_reply"])
def test_killed_worker_never_loses_or_duplicates_a_message(stage, make_case, smtp_server, tmp_path):
    messages = [queue(make_case(), "accepted") for _ in range(3)]
    database_url, sqlite_path = database_for_subprocess(tmp_path, "crash")
    env = _worker_env(database_url, tmp_path, smtp_server.port)
    if stage == "before_handover":
        smtp_server.block_rcpt_on = 2
    else:
        smtp_server.block_data_on = 2

    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(WORKER, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not smtp_server.blocked.wait(90):
            pytest.fail(
                "the worker never reached the second message:\n"
                + (tmp_path / "worker.log").read_text()
            )
        if sqlite_path is not None:
            # SQLite: a second worker refuses to start while the first one lives
            rival = subprocess.run(
                [*WORKER, "--once"], env=env, capture_output=True, text=True, timeout=120
            )
            assert rival.returncode != 0
            assert "another notification worker is running" in rival.stderr
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
        smtp_server.release.set()
        log.close()

    claimed = [
        row[0]
        for row in _query(
            sqlite_path,
            "SELECT DISTINCT claimed_by FROM notifications_outboxmessage WHERE claimed_by <> ''",
        )
    ]
    assert len(claimed) == 1  # the dead worker's claim on the second message
    if sqlite_path is None:
        _wait_until_postgres_released(claimed)

    restart = subprocess.run(
        [*WORKER, "--once"], env=env, capture_output=True, text=True, timeout=180
    )
    assert restart.returncode == 0, restart.stdout + restart.stderr
    assert "recovered=1" in restart.stdout

    rows = _query(
        sqlite_path,
        "SELECT m.id, m.state, d.channel, d.state, d.reference "
        "FROM notifications_outboxmessage m JOIN "
        "notifications_outboxdelivery d ON d.message_id = m.id "
        "ORDER BY m.id, d.channel",
    )
    emails = {r[0]: r for r in rows if r[2] == "email"}
    sms = {r[0]: r for r in rows if r[2] == "sms"}
    ids = [m.id for m in messages]
    assert sorted(emails) == sorted(sms) == ids

    # every e-mail reached the SMTP server exactly once
    received = collections.Counter(smtp_server.message_ids())
    assert received == collections.Counter(r[4] for r in emails.values())
    # every SMS was handed to the provider exactly once
    sms_log = (tmp_path / "sms.log").read_text(encoding="utf-8")
    assert all(sms_log.count(r[4]) == 1 for r in sms.values())
    assert len(sms_log.splitlines()) == 3

    second = ids[1]
    if stage == "before_handover":
        assert {r[1] for r in rows} == {"sent"}
        assert {r[3] for r in rows} == {"sent"}
    else:
        assert emails[second][1:4] == ("in_doubt", "email", "in_doubt")
        assert sms[second][3] == "sent"
        assert all(emails[i][1] == "sent" for i in (ids[0], ids[2]))
