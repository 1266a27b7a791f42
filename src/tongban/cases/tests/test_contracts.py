"""The case action contracts the API and the web share (ADR 0106): which actions exist
(cases.workflow.performable_action) and which cannot be undone (IRREVERSIBLE_ACTIONS)."""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.cases.workflow import IRREVERSIBLE_ACTIONS, PERFORMABLE_ACTIONS, Action
from tongban.stats.tests.helpers import make_case, walk

OFFICER = "420100Z01-officer"


@pytest.fixture
def pending(world):
    """A proxy case waiting for acceptance at 东湖 (check, transfer, receive_transfer)."""
    return walk(make_case(world), steps=3)


def _web(world, username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(world.user(username))
    return client


def _page_code(response) -> str | None:
    html = response.content.decode()
    if 'data-code="' in html:
        return html.split('data-code="', 1)[1].split('"', 1)[0]
    return None


@pytest.mark.parametrize("name", ["teleport", "submit"])
def test_an_unknown_action_is_the_same_404_on_the_api_and_the_web(world, api, pending, name):
    answer = api(OFFICER).act(pending.number, name)
    assert answer.status_code == 404 and answer.json()["code"] == "unknown_action"
    assert set(answer.json()["details"]["allowed"]) == set(PERFORMABLE_ACTIONS)
    for method in ("get", "post"):
        page = getattr(_web(world, OFFICER), method)(f"/cases/{pending.number}/act/{name}/")
        assert page.status_code == 404 and _page_code(page) == "unknown_action"
    pending.refresh_from_db()
    assert pending.status == "pending_acceptance"


def test_actions_outside_the_scope_and_unauthenticated(world, api, pending):
    outsider = "420703400-officer"  # 葛店: neither leg of the case
    answer = api(outsider).act(pending.number, "accept")
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert _web(world, outsider).post(f"/cases/{pending.number}/act/accept/").status_code == 404
    assert api(None).act(pending.number, "accept").status_code == 401
    anonymous = _web(world, None).post(f"/cases/{pending.number}/act/accept/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    pending.refresh_from_db()
    assert pending.status == "pending_acceptance"


def test_irreversible_actions_are_flagged_on_the_api_and_warned_on_the_web(world, api, pending):
    detail = api(OFFICER).get(f"/cases/{pending.number}").json()
    available = detail["available_actions"]
    assert {"accept", "refuse"} <= set(available)
    assert detail["irreversible_actions"] == [a for a in available if a in IRREVERSIBLE_ACTIONS]
    # 受理 commits the handling place as much as a refusal does (issue 15 §5); asking
    # for the missing materials can be followed by anything
    assert {"refuse", "accept"} <= set(detail["irreversible_actions"])
    assert "request_supplement" not in detail["irreversible_actions"]
    web = _web(world, OFFICER)
    for action in ("refuse", "accept", "request_supplement"):
        dialog = web.get(f"/cases/{pending.number}/act/{action}/").content.decode()
        assert ('class="warning-note"' in dialog) is (action in IRREVERSIBLE_ACTIONS)


def test_every_performable_action_has_a_dialog():
    from tongban.cases.actions import ACTION_FIELDS

    assert set(ACTION_FIELDS) == set(PERFORMABLE_ACTIONS)
    assert Action.SUBMIT not in PERFORMABLE_ACTIONS
    assert set(PERFORMABLE_ACTIONS) >= IRREVERSIBLE_ACTIONS
