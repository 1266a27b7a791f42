"""Who may take which step on a rectification task, and who may publish the monthly
summaries, is answered once (`selectors.task_steps_for`, `may_publish`): the page offers
exactly the forms of the steps the API then accepts, for the responsible jurisdiction's
roles, staff elsewhere, a platform admin, the applicant and the anonymous."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from tongban.ratings import actions, selectors
from tongban.stats.tests.helpers import DONGHU, HUANGZHOU, client_for, completed_case

USERS = (
    f"{DONGHU}-clerk",
    f"{DONGHU}-head",
    f"{DONGHU}-admin",
    f"{DONGHU}-supervisor",
    f"{HUANGZHOU}-head",
    f"{HUANGZHOU}-supervisor",
    "platform-admin",
    "applicant-1",
    None,
)
BODIES: dict[str, dict[str, object]] = {
    "callback": {"reached": True, "note": "已回访"},
    "resolve": {"outcome": "explained", "note": "已解释"},
    "appeal": {"reason": "评价与事实不符"},
    "review": {"decision": "reject", "note": "申诉不成立"},
}


def _user(world, who):
    return world.user(who) if who else AnonymousUser()


def _api_status(client, method: str, url: str, body: dict[str, object] | None = None) -> int:
    """The API's answer, undone afterwards (every step is tried on the same task)."""
    point = transaction.savepoint()
    try:
        if method == "get":
            return client.get(url).status_code
        return client.post(url, body or {}, content_type="application/json").status_code
    finally:
        transaction.savepoint_rollback(point)


def _task(world, *, anonymous: bool, appealed: bool, called_back: bool = False):
    case = completed_case(world)
    rating = actions.submit_rating(
        world.user("applicant-1"),
        case.number,
        level=1,
        comment="材料丢失",
        anonymous=anonymous,
        target_leg="handling",  # 东湖 is responsible
        indicators={"efficiency": 1, "competence": 2, "attitude": 1},
    )
    task = rating.rectification
    if called_back:
        actions.record_callback(world.user(f"{DONGHU}-clerk"), task.pk, reached=True, note="回访")
    if appealed:
        actions.appeal_rectification(world.user(f"{DONGHU}-head"), task.pk, reason="恶意差评")
    task.refresh_from_db()
    return task


@pytest.mark.parametrize(
    "anonymous,appealed,called_back",
    [(True, False, False), (False, False, True), (False, False, False), (True, True, False)],
)
@pytest.mark.parametrize("who", USERS)
def test_the_task_page_offers_the_steps_the_api_accepts(
    world, who, anonymous, appealed, called_back
):
    task = _task(world, anonymous=anonymous, appealed=appealed, called_back=called_back)
    steps = selectors.task_steps_for(_user(world, who), task)
    client = client_for(world.user(who) if who else None)
    page = client.get(f"/ratings/tasks/{task.pk}/")
    for step, body in BODIES.items():
        offered = getattr(steps, step)
        status = _api_status(
            client, "post", f"/api/v1/ratings/rectifications/{task.pk}/{step}", body
        )
        if step == "resolve" and offered and not anonymous and not called_back:
            # offered so that the page can say why: a named rating is called back first
            assert status == 409, status
        else:
            assert (status == 200) == offered, (step, status)
        if page.status_code == 200:
            assert (f'data-testid="form-{step}"' in page.content.decode()) == offered, step
    if who is None:
        assert page.status_code == 302 and not steps.any
    elif who in (f"{HUANGZHOU}-head", f"{HUANGZHOU}-supervisor", "applicant-1"):
        assert not steps.any and page.status_code in (403, 404)


@pytest.mark.parametrize("who", USERS)
def test_publishing_is_offered_to_whom_the_api_lets_publish(world, who):
    may = selectors.may_publish(_user(world, who))
    client = client_for(world.user(who) if who else None)
    status = _api_status(client, "post", "/api/v1/ratings/summaries", {"month": "2024-01"})
    assert (status == 201) == may, status
    page = client.get("/ratings/summaries/").content.decode()
    assert ('data-testid="publish-form"' in page) == may
    assert may == (who == "platform-admin")
