"""Licence signing by a real `tongban run-worker` process on the database backend
(ADR 0121): the nudge enqueued on commit is picked up; and a worker killed with SIGKILL
after signing but before storing leaves no lost and no double-signed licence.

The kill is placed deterministically on PostgreSQL: the test holds the advisory lock of
the licence's audit chain (core.models._audit_chain_head), so the worker's storing
transaction waits inside, after its compare-and-set; the test sees it waiting in
pg_locks and kills it there."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction

from tongban.cases.actions import perform_case_action
from tongban.cases.actions.inputs import ActionInput
from tongban.licences.models import Licence
from tongban.testing.licences import make_case, use_test_pki
from tongban.testing.processes import WORKER, database_for_subprocess
from tongban.testing.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)


def _env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TONGBAN_VAR_DIR": str(tmp_path),
        "TONGBAN_PKI_DIR": str(settings.TONGBAN_PKI_DIR),
        "TONGBAN_PKI_PASSPHRASE": settings.TONGBAN_PKI_PASSPHRASE,
        # only the licence work: the other periodic jobs are not what is tested here
        "TONGBAN_JOB_INTERVALS": "refresh-stats=0,overdue-warnings=0,hall-jobs=0,"
        "audit-sign-heads=0,expire-agreements=0,prune-task-results=0",
        **extra,
    }


def _licence_row(sqlite_path: Path | None, licence_id: int) -> tuple[Any, ...]:
    sql = (
        "SELECT status, signing_attempts, length(pdf), "
        "(SELECT count(*) FROM core_auditevent WHERE action = 'licence.sign' "
        f"AND object_id = '{licence_id}'), "
        "(SELECT count(*) FROM notifications_outboxmessage WHERE template = 'result_issued') "
        f"FROM licences_licence WHERE id = {licence_id}"
    )
    if sqlite_path is not None:
        with contextlib.closing(sqlite3.connect(sqlite_path)) as db:
            return tuple(db.execute(sql).fetchone())
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


@pytest.fixture
def issued(settings, pki_files) -> Licence:
    world = build_world()
    use_test_pki(settings, pki_files)
    case = make_case(world, status="approved")
    with transaction.atomic():
        perform_case_action(
            world.user("420100Z01-officer"), case.number, "issue_result", ActionInput()
        )
    return Licence.objects.get(case=case)


def test_a_real_worker_signs_the_licence_after_commit(issued, tmp_path):
    assert issued.status == Licence.Status.SIGNING
    database_url, sqlite_path = database_for_subprocess(tmp_path)
    done = subprocess.run(
        [*WORKER, "--once"],
        env=_env(database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    status, attempts, pdf_length, signed, notices = _licence_row(sqlite_path, issued.pk)
    assert (status, attempts, signed, notices) == ("valid", 1, 1, 1)
    assert pdf_length > 1000


def test_a_worker_killed_mid_signing_leaves_exactly_one_signed_licence(issued, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the kill is placed with a PostgreSQL advisory lock")
    database_url, _ = database_for_subprocess(tmp_path)
    lock = f"audit:licences.licence:{issued.pk}"
    log = (tmp_path / "worker.log").open("w")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 92))", [lock])
    worker = subprocess.Popen(
        WORKER, env=_env(database_url, tmp_path), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 180
        while True:  # the worker has signed and waits to store: kill it there
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                )
                if cursor.fetchone()[0]:
                    break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "the worker never reached the store"
            time.sleep(0.1)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 92))", [lock])
        log.close()

    # the storing transaction died with the worker: signed nowhere, leased once
    assert _licence_row(None, issued.pk) == ("signing", 1, 0, 0, 0)

    # after the lease (here 1 s) the sweep hands it to the restarted worker
    time.sleep(1.5)
    restart = subprocess.run(
        [*WORKER, "--once"],
        env=_env(database_url, tmp_path, TONGBAN_LICENCE_SIGNING_LEASE_SECONDS="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert restart.returncode == 0, restart.stdout + restart.stderr
    status, attempts, pdf_length, signed, notices = _licence_row(None, issued.pk)
    assert (status, attempts, signed, notices) == ("valid", 2, 1, 1)
    assert pdf_length > 1000
    assert Licence.objects.filter(case_id=issued.case_id).count() == 1
