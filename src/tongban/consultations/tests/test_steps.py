"""Who may take which step on a consultation is answered once (`selectors.steps_for`,
`may_record`): the page offers exactly the forms of the steps the API then accepts, for
the owner, the jurisdiction it is forwarded to, readers, staff elsewhere, a platform
admin, an applicant and the anonymous."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from tongban.consultations import actions, selectors
from tongban.stats.tests.helpers import DONGHU, GEDIAN, HUANGZHOU, JIANGXIA, client_for

USERS = (
    f"{DONGHU}-clerk",
    f"{DONGHU}-head",
    f"{DONGHU}-supervisor",
    f"{HUANGZHOU}-clerk",
    f"{HUANGZHOU}-supervisor",
    f"{JIANGXIA}-clerk",
    "platform-admin",
    "applicant-1",
    None,
)
BODIES: dict[str, dict[str, object]] = {
    "forward": {"to_jurisdiction": GEDIAN, "note": "请协助答复"},
    "answer": {"answer": "可以,带身份证原件即可。"},
    "close": {"note": "来电人已无需答复"},
}


def _user(world, who):
    return world.user(who) if who else AnonymousUser()


def _api_accepts(client, url: str, body: dict) -> int:
    """The API's answer to the step, undone afterwards (the next step is tried on the same
    consultation)."""
    point = transaction.savepoint()
    try:
        return client.post(url, body, content_type="application/json").status_code
    finally:
        transaction.savepoint_rollback(point)


def _consultation(world, state: str):
    clerk = world.user(f"{DONGHU}-clerk")
    c = actions.record_consultation(
        clerk,
        jurisdiction=DONGHU,
        channel="hotline",
        topic="户口迁移",
        question="户口迁移需要哪些材料?",
        asker_name="李四",
        asker_phone="13987654321",
    )
    if state in ("forwarded", "answered"):
        actions.forward_consultation(clerk, c.pk, HUANGZHOU, "请协助")
    if state == "answered":
        actions.answer_consultation(world.user(f"{HUANGZHOU}-clerk"), c.pk, "已答复")
    c.refresh_from_db()
    return c


@pytest.mark.parametrize("state", ["open", "forwarded", "answered"])
@pytest.mark.parametrize("who", USERS)
def test_the_page_offers_the_steps_the_api_accepts(world, state, who):
    c = _consultation(world, state)
    steps = selectors.steps_for(_user(world, who), c)
    client = client_for(world.user(who) if who else None)
    page = client.get(f"/consultations/{c.pk}/")
    for step, body in BODIES.items():
        offered = getattr(steps, step)
        status = _api_accepts(client, f"/api/v1/consultations/{c.pk}/{step}", body)
        assert (status == 200) == offered, (step, status)
        if page.status_code == 200:
            assert (f'data-testid="form-{step}"' in page.content.decode()) == offered, step
    if who is None:
        assert page.status_code == 302 and not steps.any and not steps.contact
    elif who in (f"{JIANGXIA}-clerk", "applicant-1"):
        assert not steps.any and not steps.contact
        assert page.status_code in (403, 404)


@pytest.mark.parametrize("who", USERS)
def test_recording_is_offered_where_the_api_records(world, who):
    user = _user(world, who)
    may = selectors.may_record(user)
    client = client_for(world.user(who) if who else None)
    place = selectors.recording_places(user)[0].code if may else DONGHU
    body = {"jurisdiction": place, "channel": "window", "topic": "咨询", "question": "问题"}
    status = _api_accepts(client, "/api/v1/consultations", body)
    assert (status == 201) == may, status
    listed = client.get("/consultations/")
    if listed.status_code == 200:
        assert ('data-testid="record-link"' in listed.content.decode()) == may
    assert (client.get("/consultations/new/").status_code == 200) == may
