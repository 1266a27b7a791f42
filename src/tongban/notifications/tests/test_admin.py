"""The outbox admin: masked recipients, no pickup code on any page, scope by jurisdiction,
and the 重新发送 / 确认已送达 actions going through the actions module."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tongban.core.errors import NotFound
from tongban.core.models import AuditEvent
from tongban.notifications.actions import confirm_delivered, resend_messages
from tongban.notifications.models import OutboxDelivery, OutboxMessage
from tongban.notifications.tests.conftest import queue

CHANGELIST = "admin:notifications_outboxmessage_changelist"


def _login(client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


def _failed(message: OutboxMessage, channel: str = "email") -> OutboxMessage:
    OutboxMessage.objects.filter(id=message.id).update(
        state="failed", attempts=8, last_error="SMTP down"
    )
    OutboxDelivery.objects.create(
        message=message,
        channel=channel,
        state="failed",
        reference=f"<r{message.id}@localhost>",
        last_error="down",
    )
    OutboxDelivery.objects.create(
        message=message, channel="sms", state="sent", reference=f"tb-{message.id}"
    )
    message.refresh_from_db()
    return message


def test_list_shows_state_and_masked_recipient_never_the_pickup_code(world, make_case, client):
    message = queue(make_case(), "ready_for_pickup", pickup_code="905172")
    _login(client, world.user("platform-admin"))
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "li****@example.test / 138****8000" in page
    assert "ready_for_pickup" in page and "待发送" in page
    assert "liming@example.test" not in page and "13800138000" not in page
    detail = client.get(
        reverse("admin:notifications_outboxmessage_change", args=[message.id])
    ).content.decode()
    assert "905172" not in detail and "******" in detail
    assert "13800138000" not in detail


def test_resend_action_requeues_failed_channels_only(world, make_case, client):
    message = _failed(queue(make_case()))
    admin = world.user("platform-admin")
    _login(client, admin)
    response = client.post(
        reverse(CHANGELIST), {"action": "resend", "_selected_action": [message.id]}, follow=True
    )
    assert response.status_code == 200 and "已重新排队 1 条通知" in response.content.decode()
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 0 and message.last_error == ""
    states = dict(message.deliveries.values_list("channel", "state"))
    assert states == {"email": "pending", "sms": "sent"}  # the SMS is not sent again
    audit = AuditEvent.objects.get(action="notification.resend", object_id=str(message.id))
    assert audit.actor == admin and audit.data == {"channels": ["email"]}


def test_actions_leave_messages_in_other_states_alone(world, make_case):
    admin = world.user("platform-admin")
    pending = queue(make_case())
    assert resend_messages(admin, [pending.id]) == 0
    assert confirm_delivered(admin, [pending.id]) == 0
    pending.refresh_from_db()
    assert pending.state == "pending"


def test_jurisdiction_admin_sees_only_cases_of_their_jurisdictions(world, make_case, client):
    ours = make_case(receiving="420100Z01", handling="420703400")  # 东湖 → 葛店
    handled_here = make_case(receiving="421102", handling="420100Z01")  # 黄州 → 东湖
    elsewhere = make_case(receiving="421102", handling="420205")  # 黄州 → 铁山
    queue(ours)
    queue(handled_here)
    theirs = queue(elsewhere)
    _login(client, world.user("420100Z01-admin"))
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert ours.number in page and handled_here.number in page
    assert elsewhere.number not in page
    detail = client.get(reverse("admin:notifications_outboxmessage_change", args=[theirs.id]))
    assert detail.status_code == 302  # not in the queryset: "does not exist", back to the list


def test_actions_outside_the_scope_change_nothing(world, make_case):
    theirs = _failed(queue(make_case(receiving="421102", handling="420205")))
    with pytest.raises(NotFound):
        resend_messages(world.user("420100Z01-admin"), [theirs.id])
    with pytest.raises(NotFound):
        resend_messages(world.user("420100Z01-clerk"), [theirs.id])
    theirs.refresh_from_db()
    assert theirs.state == "failed"
    assert resend_messages(world.user("421102-admin"), [theirs.id]) == 1


def test_outsiders_and_other_roles_see_no_outbox(world, make_case, client):
    queue(make_case())
    _login(client, world.user("420115-admin"))  # 江夏: no case of theirs
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200 and "0 待发通知" in page.content.decode()
    client.logout()
    _login(client, world.user("420100Z01-clerk"))
    assert client.get(reverse(CHANGELIST)).status_code == 403
    client.logout()
    anonymous = client.get(reverse(CHANGELIST))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


def test_nobody_adds_edits_or_deletes_messages_by_hand(world, make_case, client):
    message = queue(make_case())
    _login(client, world.user("platform-admin"))
    assert client.get(reverse("admin:notifications_outboxmessage_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:notifications_outboxmessage_delete", args=[message.id]), {"post": "yes"}
        ).status_code
        == 403
    )
    client.post(
        reverse("admin:notifications_outboxmessage_change", args=[message.id]),
        {"template": "changed"},
    )
    message.refresh_from_db()
    assert message.template == "accepted"
