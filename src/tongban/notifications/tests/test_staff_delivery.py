"""Staff notifications (overdue warnings, ADR 0093) travel through the same outbox and
worker as the applicants' ones, to the staff member's own e-mail and mobile."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from tongban.cases.actions import send_overdue_warnings
from tongban.notifications.models import OutboxDelivery, OutboxMessage

pytestmark = pytest.mark.django_db


def test_an_overdue_warning_reaches_the_supervisor_by_mail_and_not_the_applicant(
    world, make_case, smtp_server, make_worker, sms_log
):
    case = make_case()  # received at 420100Z01 for 420703400
    case.overdue_on = case.warn_on = dt.date(2025, 3, 10)
    case.save()
    supervisor = world.user("420703400-supervisor")
    supervisor.email, supervisor.phone = "jiandu@gedian.example.test", "13900000001"
    supervisor.save()
    with transaction.atomic():
        assert send_overdue_warnings(dt.date(2025, 3, 11)) == 1
    message = OutboxMessage.objects.get(recipient=supervisor)
    assert message.applicant_id is None and message.context["level"] == "red"

    make_worker().run_once()
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    deliveries = {d.channel: d.state for d in OutboxDelivery.objects.filter(message=message)}
    assert deliveries == {"email": "sent", "sms": "sent"}
    mails = [m for m in smtp_server.messages if m["To"] == "jiandu@gedian.example.test"]
    assert len(mails) == 1
    assert mails[0]["Subject"].strip() == f"【通办】超期红色预警:办件{case.number}"
    body = mails[0].get_content()
    assert "监督人员" in body and "已超过办理期限" in body
    # the applicant's address never receives a staff warning
    assert all(m["To"] != case.applicant.email for m in smtp_server.messages)
