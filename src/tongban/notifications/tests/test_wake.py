"""wake_worker after commit (PostgreSQL LISTEN/NOTIFY), and the run-worker command on
committed data."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from tongban.notifications.actions import NOTIFY_CHANNEL, queue_case_notification, wake_worker
from tongban.notifications.models import OutboxMessage
from tongban.notifications.worker import Worker, WorkerConfig


@pytest.fixture
def listener():
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL only; on SQLite the worker polls")
    import psycopg

    connection.ensure_connection()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute(f"LISTEN {NOTIFY_CHANNEL}")
        yield other


def _received(listener, timeout: float) -> int:
    return sum(1 for _ in listener.notifies(timeout=timeout, stop_after=1))


@pytest.mark.django_db(transaction=True)
def test_worker_is_woken_after_commit_and_not_after_rollback(make_case, listener):
    case = make_case()
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_case_notification(case, "accepted", {})
        raise RuntimeError("rolled back")
    assert _received(listener, 0.5) == 0

    with transaction.atomic():
        queue_case_notification(case, "accepted", {})
        assert _received(listener, 0.2) == 0  # not before the commit
    assert _received(listener, 10) == 1


def test_wake_worker_never_raises(db):
    wake_worker()
    with transaction.atomic():
        wake_worker()  # deferred to the commit on PostgreSQL, nothing on SQLite


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


@pytest.mark.django_db(transaction=True)
def test_a_waiting_worker_is_woken_by_a_commit(make_case, sms_log):
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL only; on SQLite the worker polls")
    case = make_case()
    worker = Worker(config=WorkerConfig(poll_seconds=600))
    worker.start()
    try:
        assert worker.listening
        assert worker.wait(0.2, threading.Event()) is False  # nothing to wake it yet
        with transaction.atomic():
            queue_case_notification(case, "accepted", {})
        assert worker.wait(30, threading.Event()) is True
    finally:
        worker.stop()
