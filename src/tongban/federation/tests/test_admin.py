"""The operations pages: platform admins see peers and the message log and may resend;
staff of a jurisdiction and anonymous visitors may not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tongban.federation import actions
from tongban.federation.models import OutboundMessage


def _login(client: Any, user: Any) -> None:
    # the world's users are made without the admin-site flag; the role decides the rest
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)


@pytest.fixture
def refused(hubei: Path) -> OutboundMessage:
    message = actions.enqueue_message(
        peer="henan", kind="ping", jurisdiction="421102", case_ref="HB-A"
    )
    OutboundMessage.objects.filter(pk=message.pk).update(state="refused", error_code="replay")
    return message


@pytest.mark.django_db
def test_the_platform_admin_sees_peers_with_queue_depth(
    client: Any, world: Any, refused: OutboundMessage
) -> None:
    _login(client, world.user("platform-admin"))
    page = client.get("/admin/federation/peerstatus/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "henan" in text and "河南" in text
    assert 'state=refused">1<' in text


@pytest.mark.django_db
def test_the_platform_admin_resends_a_refused_message(
    client: Any, world: Any, refused: OutboundMessage
) -> None:
    _login(client, world.user("platform-admin"))
    response = client.post(
        "/admin/federation/outboundmessage/",
        {"action": "resend", "_selected_action": [refused.pk]},
    )
    assert response.status_code == 302
    refused.refresh_from_db()
    assert refused.state == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["420703400-admin", None])
def test_others_see_no_federation_pages(
    client: Any, world: Any, refused: OutboundMessage, who: str | None
) -> None:
    if who is not None:
        _login(client, world.user(who))
    for path in ("/admin/federation/peerstatus/", "/admin/federation/outboundmessage/"):
        response = client.get(path)
        assert response.status_code in (302, 403)
    response = client.post(
        "/admin/federation/outboundmessage/",
        {"action": "resend", "_selected_action": [refused.pk]},
    )
    refused.refresh_from_db()
    assert refused.state == "refused"
