"""Delivery through a real local SMTP server and the log SMS provider: once after commit,
nothing after a rollback, retries with back-off, giving up, permanent and temporary
refusals, a lost reply, and what reaches the logs."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tongban.accounts.models import Applicant
from tongban.notifications.actions import (
    confirm_delivered,
    queue_case_notification,
    resend_messages,
    wake_worker,
)
from tongban.notifications.models import OutboxDelivery, OutboxMessage
from tongban.notifications.tests.conftest import live_foreign_worker, queue

M = OutboxMessage.State
D = OutboxDelivery.State


def _deliveries(message: OutboxMessage) -> dict[str, OutboxDelivery]:
    return {d.channel: d for d in OutboxDelivery.objects.filter(message=message)}


def test_queued_message_is_delivered_once_after_commit(
    make_case, smtp_server, make_worker, sms_log, django_capture_on_commit_callbacks
):
    case = make_case()
    with django_capture_on_commit_callbacks() as callbacks:
        message = queue(case, "accepted", due_date=dt.date(2025, 3, 13))
    # delivery starts only after the caller's commit: SQLite nudges then; on PostgreSQL
    # the outbox row's trigger announces it at the commit, and the request sends nothing
    # (ADR 0144)
    assert callbacks == ([] if connection.vendor == "postgresql" else [wake_worker])
    assert message.applicant_id == case.applicant_id
    assert message.context["due_date"] == "2025-03-13"

    worker = make_worker()
    stats = worker.run_once()
    assert (stats.processed, stats.sent) == (1, 1)

    message.refresh_from_db()
    assert message.state == M.SENT and message.attempts == 1 and message.sent_at
    deliveries = _deliveries(message)
    assert deliveries["email"].state == D.SENT and deliveries["sms"].state == D.SENT

    [mail] = smtp_server.messages
    assert mail["To"] == "liming@example.test"
    assert mail["Message-ID"] == deliveries["email"].reference
    # (Django folds encoded subjects after "Subject:", hence the strip)
    assert mail["Subject"].strip() == f"【通办】您的申请已受理:{case.number}"
    body = mail.get_content()
    assert "尊敬的李明" in body and "承诺办结日期:2025-03-13" in body
    assert sms_log.read_text(encoding="utf-8").count(deliveries["sms"].reference) == 1

    # a second pass finds nothing to do: nothing is sent twice
    assert worker.run_once().processed == 0
    assert len(smtp_server.messages) == 1
    assert len(sms_log.read_text(encoding="utf-8").splitlines()) == 1


def test_nothing_is_queued_or_sent_when_the_transaction_rolls_back(
    make_case, smtp_server, make_worker, django_capture_on_commit_callbacks
):
    case = make_case()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue_case_notification(case, "accepted", {"case_number": case.number})
        raise RuntimeError("the case change failed")
    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert make_worker().run_once().processed == 0
    assert smtp_server.messages == []


def test_mail_server_down_retries_with_exponential_backoff_then_succeeds(
    make_case, smtp_down, make_worker, sms_log
):
    message = queue(make_case())
    worker = make_worker(max_attempts=5, backoff_seconds=60)
    t0 = timezone.now()

    assert worker.run_once(now=t0).retrying == 1
    message.refresh_from_db()
    assert message.state == M.PENDING and message.attempts == 1
    assert message.next_attempt_at == t0 + dt.timedelta(seconds=60)
    deliveries = _deliveries(message)
    assert deliveries["email"].state == D.PENDING
    assert "connect" in deliveries["email"].last_error.lower()
    assert deliveries["sms"].state == D.SENT  # the other channel is not held back
    assert message.last_error

    # not due yet: nothing happens
    assert worker.run_once(now=t0 + dt.timedelta(seconds=59)).processed == 0

    t1 = t0 + dt.timedelta(seconds=60)
    worker.run_once(now=t1)
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at == t1 + dt.timedelta(seconds=120)  # doubled

    server = smtp_down()  # the mail server comes back
    stats = worker.run_once(now=t1 + dt.timedelta(seconds=120))
    assert stats.sent == 1
    message.refresh_from_db()
    assert message.state == M.SENT and message.attempts == 3 and message.last_error == ""
    assert server.message_ids() == [_deliveries(message)["email"].reference]
    # the SMS went out in the first round and was never repeated
    assert len(sms_log.read_text(encoding="utf-8").splitlines()) == 1


def test_gives_up_after_max_attempts_and_resend_queues_it_again(
    world, make_case, smtp_down, make_worker, sms_log
):
    message = queue(make_case())
    worker = make_worker(max_attempts=3, backoff_seconds=10)
    now = timezone.now()
    for _ in range(3):
        worker.run_once(now=now)
        now += dt.timedelta(hours=1)
    message.refresh_from_db()
    assert message.state == M.FAILED and message.attempts == 3
    email = _deliveries(message)["email"]
    assert email.state == D.FAILED and "放弃" in email.last_error
    assert worker.run_once(now=now + dt.timedelta(days=1)).processed == 0

    admin = world.user("platform-admin")
    assert resend_messages(admin, [message.id]) == 1
    message.refresh_from_db()
    assert message.state == M.PENDING and message.attempts == 0
    server = smtp_down()
    assert worker.run_once(now=timezone.now() + dt.timedelta(seconds=1)).sent == 1
    assert len(server.messages) == 1
    assert len(sms_log.read_text(encoding="utf-8").splitlines()) == 1  # sms not resent
    from tongban.core.models import AuditEvent

    assert AuditEvent.objects.filter(
        action="notification.resend", object_id=str(message.id)
    ).exists()


def test_permanent_refusal_fails_at_once_and_masks_the_address(make_case, smtp_server, make_worker):
    smtp_server.rcpt_reply = "550 5.1.1 <liming@example.test>: mailbox unavailable"
    message = queue(make_case())
    make_worker().run_once()
    message.refresh_from_db()
    email = _deliveries(message)["email"]
    assert email.state == D.FAILED and message.state == M.FAILED and message.attempts == 1
    assert "550" in email.last_error and "li****@example.test" in email.last_error
    assert "liming@example.test" not in email.last_error + message.last_error
    assert smtp_server.messages == []


def test_temporary_refusal_at_end_of_data_is_retried_not_in_doubt(
    make_case, smtp_server, make_worker
):
    smtp_server.data_reply = "451 4.3.0 try again later"
    message = queue(make_case())
    worker = make_worker()
    now = timezone.now()
    worker.run_once(now=now)
    message.refresh_from_db()
    assert message.state == M.PENDING and _deliveries(message)["email"].state == D.PENDING
    assert smtp_server.messages == []

    smtp_server.data_reply = None
    worker.run_once(now=now + dt.timedelta(minutes=5))
    message.refresh_from_db()
    assert message.state == M.SENT and len(smtp_server.messages) == 1


def test_lost_reply_is_in_doubt_never_resent_and_confirmed_by_an_operator(
    settings, world, make_case, smtp_server, make_worker
):
    # the server keeps the message but its "250" never arrives: the worker cannot know
    settings.EMAIL_TIMEOUT = 1
    smtp_server.block_data_on = 1
    message = queue(make_case(), "ready_for_pickup", pickup_code="736251")
    worker = make_worker()
    stats = worker.run_once()
    smtp_server.release.set()
    assert stats.in_doubt == 1
    message.refresh_from_db()
    email = _deliveries(message)["email"]
    assert message.state == M.IN_DOUBT and email.state == D.IN_DOUBT
    assert email.reference in email.last_error  # what the operator looks for
    assert message.context["pickup_code"] == "736251"  # kept until it surely arrived

    # never resent automatically, however often the worker runs
    assert worker.run_once(now=timezone.now() + dt.timedelta(days=1)).processed == 0
    assert smtp_server.message_ids() == [email.reference]

    assert confirm_delivered(world.user("platform-admin"), [message.id]) == 1
    message.refresh_from_db()
    assert message.state == M.SENT
    assert message.context["pickup_code"] == "******"
    assert _deliveries(message)["email"].state == D.SENT


def test_pickup_code_reaches_the_applicant_but_no_log(
    make_case, smtp_server, make_worker, sms_log, caplog
):
    caplog.set_level(logging.DEBUG)
    message = queue(make_case(), "ready_for_pickup", pickup_code="482913")
    make_worker().run_once()

    [mail] = smtp_server.messages
    assert "取件码:482913" in mail.get_content()
    log = sms_log.read_text(encoding="utf-8")
    assert "482913" not in log and "13800138000" not in log
    assert "138****8000" in log and "取件码******" in log
    # everything Tongban logged (the test SMTP server's own log is not ours)
    everything_logged = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("tongban")
    )
    assert "482913" not in everything_logged
    assert "13800138000" not in everything_logged and "liming@example.test" not in everything_logged
    message.refresh_from_db()
    assert message.state == M.SENT and message.context["pickup_code"] == "******"


def test_channels_without_an_address_are_skipped(
    world, make_case, smtp_server, make_worker, sms_log
):
    sms_only = queue(make_case(applicant="other"))  # 王芳 has a mobile, no e-mail
    nobody = Applicant.objects.create(kind="person", name="赵六", id_number="110101199003070011")
    case = make_case()
    case.applicant = nobody
    case.save()
    unreachable = queue(case)
    make_worker().run_once()

    sms_only.refresh_from_db()
    unreachable.refresh_from_db()
    assert sms_only.state == M.SENT
    assert {c: d.state for c, d in _deliveries(sms_only).items()} == {
        "email": D.SKIPPED,
        "sms": D.SENT,
    }
    assert unreachable.state == M.FAILED and "联系方式" in unreachable.last_error
    assert smtp_server.messages == []
    assert len(sms_log.read_text(encoding="utf-8").splitlines()) == 1


def test_orphans_of_a_dead_worker_are_recovered(make_case, smtp_server, make_worker, sms_log):
    """A worker died with e-mail not yet handed over and SMS handed over without answer:
    the e-mail is retried, the SMS is left for an operator (it may have gone out)."""
    message = queue(make_case())
    OutboxMessage.objects.filter(id=message.id).update(
        claimed_by="1234567", claimed_at=timezone.now(), attempts=1
    )
    OutboxDelivery.objects.create(
        message=message,
        channel="email",
        state=D.SENDING,
        worker="1234567",
        reference="<dead.1@localhost>",
    )
    OutboxDelivery.objects.create(
        message=message, channel="sms", state=D.CONFIRMING, worker="1234567", reference="tb-dead-1"
    )
    worker = make_worker()
    stats = worker.run_once()
    assert stats.recovered == 1 and stats.in_doubt == 1
    message.refresh_from_db()
    deliveries = _deliveries(message)
    assert deliveries["email"].state == D.SENT and deliveries["sms"].state == D.IN_DOUBT
    assert message.state == M.IN_DOUBT and message.claimed_by == ""
    assert smtp_server.message_ids() == ["<dead.1@localhost>"]
    assert not sms_log.exists()


def test_claims_of_a_living_worker_are_left_alone(make_case, smtp_server, make_worker):
    message = queue(make_case())
    OutboxMessage.objects.filter(id=message.id).update(claimed_by="7654321", attempts=1)
    OutboxDelivery.objects.create(
        message=message,
        channel="email",
        state=D.SENDING,
        worker="7654321",
        reference="<alive.1@localhost>",
    )
    worker = make_worker()
    with live_foreign_worker("7654321"):
        stats = worker.run_once()
        assert stats.recovered == 0 and stats.processed == 0
        assert OutboxDelivery.objects.get(message=message, channel="email").state == D.SENDING
    # once that worker is gone its message is taken over
    assert worker.run_once().recovered == 1
    assert smtp_server.message_ids() == ["<alive.1@localhost>"]


def test_a_crash_loop_message_is_given_up(make_case, smtp_server, make_worker):
    """Claiming counts as an attempt, so a message that kills every worker that touches it
    ends as failed instead of looping for ever."""
    message = queue(make_case())
    OutboxMessage.objects.filter(id=message.id).update(claimed_by="1111", attempts=3)
    OutboxDelivery.objects.create(
        message=message,
        channel="email",
        state=D.SENDING,
        worker="1111",
        reference="<poison@localhost>",
    )
    make_worker(max_attempts=3).run_once()
    message.refresh_from_db()
    assert message.state == M.FAILED
    assert smtp_server.messages == []
