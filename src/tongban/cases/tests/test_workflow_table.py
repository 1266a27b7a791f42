from __future__ import annotations

from tongban.cases import actions
from tongban.cases.models import Status
from tongban.cases.workflow import (
    FINAL_STATES,
    INITIAL_STATE,
    TRANSITIONS,
    Action,
    actions_from,
    find_transition,
)


def test_every_action_has_rows_and_a_handler():
    in_table = {t.action for t in TRANSITIONS}
    assert in_table == set(Action) - {Action.SUBMIT}
    assert set(actions._HANDLERS) == in_table


def test_final_states_have_no_way_out():
    for state in FINAL_STATES:
        assert actions_from(state) == []


def test_every_state_is_reachable_and_can_end():
    reachable = set(INITIAL_STATE.values())
    frontier = list(reachable)
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if t.source == state and t.target not in reachable:
                reachable.add(t.target)
                frontier.append(t.target)
    assert reachable == set(Status)
    for state in set(Status) - FINAL_STATES:
        assert actions_from(state), f"{state} is a dead end"


def test_unknown_moves_are_absent():
    assert find_transition("approve", Status.RECEIVED) is None
    assert find_transition("complete", Status.ACCEPTED) is None
    assert find_transition("ship", Status.RESULT_ISSUED) is None  # a variant is required
    assert find_transition("ship", Status.RESULT_ISSUED, "post") is not None


def test_practice_codes_follow_the_vendor_interface():
    codes = {(t.action.value, t.source.value): t.practice_code for t in TRANSITIONS}
    assert codes[("accept", "pending_acceptance")] == 3
    assert codes[("refuse", "pending_acceptance")] == 5
    assert codes[("request_supplement", "pending_acceptance")] == 6
    assert codes[("supplement", "supplement_before_acceptance")] == 7
    assert codes[("pause", "accepted")] == 9
    assert codes[("resume", "paused")] == 10
    assert codes[("deny", "accepted")] == 13
    assert codes[("withdraw", "received")] == 2
    assert codes[("withdraw", "accepted")] == 14
