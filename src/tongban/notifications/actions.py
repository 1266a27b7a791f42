"""Every change to the outbox. The case workflow calls `queue_case_notification` inside
its own transaction; operators resend or confirm messages from the admin."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from tongban.accounts.models import User
from tongban.core import jobs
from tongban.core.audit import record_audit
from tongban.core.errors import not_found
from tongban.notifications.models import OutboxDelivery, OutboxMessage
from tongban.notifications.redaction import redact_context
from tongban.notifications.selectors import readable_outbox_messages

logger = logging.getLogger("tongban.notifications")


def queue_case_notification(case: Any, template: str, context: dict[str, Any]) -> OutboxMessage:
    """Write a notification for the case's applicant in the caller's transaction; the
    worker is woken only after that transaction commits (nothing is sent for a change
    that rolls back). `context` must be JSON-able after DjangoJSONEncoder (dates become
    ISO strings); a `pickup_code` in it is kept in clear only until delivered."""
    data = dict(context)
    data.setdefault("case_number", case.number)
    return _queue(template, data, case=case, applicant_id=case.applicant_id)


def queue_applicant_notification(
    applicant: Any, template: str, context: dict[str, Any]
) -> OutboxMessage:
    """Like queue_case_notification, for a message about something other than a case (a
    closed consultation, an account registered with the applicant's ID number)."""
    return _queue(template, context, applicant=applicant)


def _queue(template: str, context: dict[str, Any], **recipient: Any) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        template=template,
        context=json.loads(json.dumps(dict(context), cls=DjangoJSONEncoder)),
        next_attempt_at=timezone.now(),
        **recipient,
    )
    _wake_after_commit()
    return message


def queue_staff_notification(
    user: User, case: Any, template: str, context: dict[str, Any]
) -> OutboxMessage:
    """Write a notification for a staff member (e.g. an overdue warning) in the caller's
    transaction; delivered by the same worker, to the user's e-mail and mobile."""
    data = json.loads(json.dumps(dict(context), cls=DjangoJSONEncoder))
    data.setdefault("case_number", case.number)
    message = OutboxMessage.objects.create(
        case=case,
        recipient=user,
        template=template,
        context=data,
        next_attempt_at=timezone.now(),
    )
    _wake_after_commit()
    return message


def _wake_after_commit() -> None:
    # on PostgreSQL the new outbox row announces itself: the table's trigger notifies in
    # this transaction, PostgreSQL delivers that at the commit, and the workers' listener
    # nudges (migration 0004, ADR 0144). The request then sends nothing after its commit.
    if not jobs.database_announces():
        transaction.on_commit(wake_worker, robust=True)


def wake_worker() -> None:
    """Nudge a worker (ADR 0121): enqueue a delivery pass unless one is waiting already
    (`jobs.nudge`, ADR 0137); registered with `transaction.on_commit`, so nothing is
    nudged for a change that rolls back. Best effort: never raises; a lost nudge costs
    one sweep interval (the outbox row is the truth, the `notifications` sweep finds it)."""
    # the task module imports the worker, which imports this module
    from tongban.notifications.tasks import deliver_notifications

    jobs.nudge(deliver_notifications)


def _locked_readable(
    actor: User | AnonymousUser, message_ids: Iterable[int]
) -> list[OutboxMessage]:
    ids = sorted({int(i) for i in message_ids})
    messages = list(
        readable_outbox_messages(actor).select_for_update(of=("self",)).filter(id__in=ids)
    )
    if len(messages) != len(ids):
        raise not_found("notification")
    return messages


def resend_messages(actor: User | AnonymousUser, message_ids: Iterable[int]) -> int:
    """重新发送: failed channels, and in-doubt channels the operator found undelivered, go
    back to the queue with fresh attempts. Channels already sent are never sent again.
    Messages in another state are left alone. Returns how many were re-queued."""
    count = 0
    with transaction.atomic():
        for message in _locked_readable(actor, message_ids):
            if message.state not in (OutboxMessage.State.FAILED, OutboxMessage.State.IN_DOUBT):
                continue
            channels = list(
                message.deliveries.filter(
                    state__in=[OutboxDelivery.State.FAILED, OutboxDelivery.State.IN_DOUBT]
                ).values_list("channel", flat=True)
            )
            message.deliveries.filter(channel__in=channels).update(
                state=OutboxDelivery.State.PENDING, worker="", last_error="", finished_at=None
            )
            message.state = OutboxMessage.State.PENDING
            message.attempts = 0
            message.next_attempt_at = timezone.now()
            message.last_error = ""
            message.save(update_fields=["state", "attempts", "next_attempt_at", "last_error"])
            record_audit(
                actor,
                "notification.resend",
                message,
                f"重新发送 {message.template}",
                {"channels": channels},
            )
            count += 1
        if count:
            transaction.on_commit(wake_worker, robust=True)
    return count


def confirm_delivered(actor: User | AnonymousUser, message_ids: Iterable[int]) -> int:
    """确认已送达: the operator found the in-doubt channel's reference (Message-ID) in the
    server's log, so it did arrive: mark it sent. Returns how many messages changed."""
    count = 0
    now = timezone.now()
    with transaction.atomic():
        for message in _locked_readable(actor, message_ids):
            if message.state != OutboxMessage.State.IN_DOUBT:
                continue
            channels = list(
                message.deliveries.filter(state=OutboxDelivery.State.IN_DOUBT).values_list(
                    "channel", flat=True
                )
            )
            message.deliveries.filter(channel__in=channels).update(
                state=OutboxDelivery.State.SENT, last_error="", finished_at=now
            )
            states = set(message.deliveries.values_list("state", flat=True))
            if OutboxDelivery.State.FAILED in states:
                message.state = OutboxMessage.State.FAILED
            else:
                message.state = OutboxMessage.State.SENT
                message.sent_at = now
                message.context = redact_context(message.context)
                message.last_error = ""
            message.save(update_fields=["state", "sent_at", "context", "last_error"])
            record_audit(
                actor,
                "notification.confirm",
                message,
                f"确认已送达 {message.template}",
                {"channels": channels},
            )
            count += 1
    return count
