"""wake_worker after commit (a nudge on the job queue, ADR 0121), and the run-worker
command on committed data."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from tongban.notifications.actions import queue_case_notification, wake_worker
from tongban.notifications.models import OutboxMessage

DELIVER = "tongban.notifications.tasks.deliver_notifications"


def _nudges() -> int:
    return DBTaskResult.objects.filter(task_path=DELIVER, status="READY").count()


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
