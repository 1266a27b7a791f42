"""wake_worker after commit (a nudge on the job queue, ADR 0121), and the run-worker
command on committed data."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django_tasks_db.models import DBTaskResult

from tongban.core import jobs
from tongban.notifications.actions import queue_case_notification, wake_worker
from tongban.notifications.models import OutboxMessage

DELIVER = "tongban.notifications.tasks.deliver_notifications"


def _nudges() -> int:
    return DBTaskResult.objects.filter(task_path=DELIVER, status="READY").count()


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="PostgreSQL announces instead: test_a_new_message_is_announced_at_commit",
)
@pytest.mark.django_db(transaction=True)
def test_worker_is_nudged_after_commit_and_not_after_rollback(make_case):
    case = make_case()
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_case_notification(case, "accepted", {})
        raise RuntimeError("rolled back")
    assert _nudges() == 0

    with transaction.atomic():
        queue_case_notification(case, "accepted", {})
        assert _nudges() == 0  # not before the commit
    assert _nudges() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_new_message_is_announced_at_commit_and_the_listener_nudges(
    make_case, django_capture_on_commit_callbacks
):
    """ADR 0144: the outbox row's trigger notifies in the writing transaction, PostgreSQL
    delivers that at the commit (never for a rollback), and the worker's listener nudges
    the delivery pass; the writer itself registers nothing to do after its commit."""
    case = make_case()
    listener = jobs.Listener()
    try:
        assert listener.wait(0) == set()
        # connecting nudged once, for what was committed before the LISTEN held
        assert _nudges() == 1
        DBTaskResult.objects.all().delete()

        with pytest.raises(RuntimeError), transaction.atomic():
            queue_case_notification(case, "accepted", {})
            raise RuntimeError("rolled back")
        assert listener.wait(0.5) == set()

        with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
            queue_case_notification(case, "accepted", {})
            queue_case_notification(case, "completed", {})
            assert listener.wait(0.2) == set()  # not before the commit
        assert callbacks == []
        assert listener.wait(10) == {"notifications"}
        assert _nudges() == 1
        # two messages in one transaction: one announcement
        assert listener.wait(0.2) == set()
    finally:
        listener.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_listener_whose_connection_broke_connects_anew(make_case):
    listener = jobs.Listener()
    try:
        listener.wait(0)
        with connection.cursor() as cursor:  # the database ends the listener's session
            # only this test database's: a parallel test run's listeners are its own
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE %s AND datname = current_database() "
                "AND pid <> pg_backend_pid()",
                [f"LISTEN {jobs.CHANNEL}%"],
            )
        with pytest.raises(DatabaseError):
            listener.wait(2)
        DBTaskResult.objects.all().delete()
        # the next wait connects again, and nudges for what it may have missed meanwhile
        with transaction.atomic():
            queue_case_notification(make_case(), "accepted", {})
        listener.wait(0)
        assert _nudges() == 1
    finally:
        listener.close()


@pytest.mark.django_db(transaction=True)
def test_a_lost_nudge_is_made_good_by_the_worker(make_case, smtp_server, sms_log, capsys):
    """The process died between commit and enqueue: no task, only the outbox row. The
    worker's notification sweep delivers it all the same."""
    case = make_case()
    with transaction.atomic():
        message = queue_case_notification(case, "accepted", {})
    DBTaskResult.objects.all().delete()
    call_command("run_worker", "--once")
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert len(smtp_server.messages) == 1


def test_wake_worker_never_raises(db):
    wake_worker()
    with transaction.atomic():
        wake_worker()


@pytest.mark.django_db(transaction=True)
def test_run_worker_once_delivers_what_is_due(make_case, smtp_server, sms_log, capsys):
    case = make_case()
    with transaction.atomic():
        message = queue_case_notification(
            case,
            "completed",
            {"case_number": case.number, "item_name": "企业设立登记", "status_label": "已办结"},
        )
    call_command("run_worker", "--once")
    assert "sent=1" in capsys.readouterr().out
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert len(smtp_server.messages) == 1 and sms_log.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_listening_worker_delivers_a_new_message_without_waiting_for_its_poll(
    make_case, smtp_server, tmp_path
):
    """A real `tongban run-worker` that looks at the queue only every 120 s and sweeps
    the outbox only hourly: once it is idle, a committed message reaches it through the
    announcement alone, long before either."""
    import os
    import subprocess
    import time

    from tongban.core.models import ScheduledJob
    from tongban.testing.processes import WORKER, database_for_subprocess

    database_url, _path = database_for_subprocess(tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TONGBAN_VAR_DIR": str(tmp_path),
        "TONGBAN_EMAIL_HOST": "127.0.0.1",
        "TONGBAN_EMAIL_PORT": str(smtp_server.port),
        "TONGBAN_NOTIFY_POLL_SECONDS": "3600",
        "TONGBAN_SMS_PROVIDER": "tongban.notifications.sms.LogSmsProvider",
    }
    worker = subprocess.Popen(
        [*WORKER, "--poll", "120"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        # idle: its first round ran the sweep, and it is listening
        while (
            not ScheduledJob.objects.filter(
                name="notifications", last_finished_at__isnull=False
            ).exists()
            or not _listening()
        ):
            assert worker.poll() is None and time.monotonic() < deadline, "worker never idled"
            time.sleep(0.2)
        case = make_case()
        with transaction.atomic():
            message = queue_case_notification(case, "accepted", {})
        sent = time.monotonic()
        while not smtp_server.messages:
            assert worker.poll() is None, "the worker died"
            # far below the 120 s poll and the hourly sweep: only the announcement can
            assert time.monotonic() - sent < 60, "the announcement did not wake the worker"
            time.sleep(0.1)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=60)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT, output


def _listening() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query = %s "
            "AND datname = current_database()",
            [f"LISTEN {jobs.CHANNEL}"],
        )
        return bool(cursor.fetchone()[0])
