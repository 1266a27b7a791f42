from __future__ import annotations

from collections.abc import Callable, Iterable

from tongban.cases.actions.transitions import _HANDLERS
from tongban.cases.models import Status
from tongban.cases.workflow import (
    FINAL_STATES,
    INITIAL_STATE,
    PAPER_ACTIONS,
    PART_INITIAL_STATE,
    PARTS_OPEN_ON,
    TRANSITIONS,
    Action,
    Guard,
    PartOutcome,
    Transition,
    actions_from,
    cascade_for,
    find_transition,
    guard_holds,
    part_outcome,
)
from tongban.catalog.models import Mode


def test_every_action_has_rows_and_a_handler():
    in_table = {t.action for t in TRANSITIONS}
    assert in_table == set(Action) - {Action.SUBMIT}
    assert set(_HANDLERS) == in_table


def test_final_states_have_no_way_out():
    # only the paper's arrival and return are recorded after the end, and they leave
    # the status as it is
    for state in FINAL_STATES:
        assert set(actions_from(state)) == PAPER_ACTIONS
    for t in TRANSITIONS:
        if t.source in FINAL_STATES or t.action in PAPER_ACTIONS:
            assert t.target == t.source and t.action in PAPER_ACTIONS
            assert t.practice_code is None  # the case keeps its status code


def test_receiving_the_file_and_the_paper_are_separate_rows():
    transfer = find_transition("receive_transfer", Status.IN_TRANSFER)
    assert transfer is not None and transfer.guard is None
    for state in (Status.IN_TRANSFER, Status.PENDING_ACCEPTANCE, Status.ACCEPTED):
        paper = find_transition("receive_originals", state)
        assert paper is not None and paper.guard == Guard.ORIGINALS_IN_TRANSIT
    # nothing is posted before the transfer
    assert find_transition("receive_originals", Status.CHECKED) is None
    assert find_transition("return_originals", Status.REFUSED) is not None


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
    # ADR 0093: extend has no code of its own; 4 where the case is not received
    assert codes[("extend", "accepted")] is None
    assert codes[("terminate", "supplement_at_receipt")] == 4
    assert codes[("terminate", "supplement_before_acceptance")] == 4
    assert codes[("terminate", "accepted_conditionally")] == 15
    assert 8 not in codes.values()


# ---------------------------------------------------------------------------------------
# 多地联办 (ADR 0094): from every combination of the lead's and its parts' states, every
# case can still end. The model is the table itself plus workflow.py's joint rules (the
# guards, the cascade and the opening of parts), i.e. exactly what cases/actions/ asks.

Rule = Callable[[Guard | None, Iterable[PartOutcome]], bool]
Part = tuple[str, bool]  # (status, approved: the part's decision was 准予许可)
Joint = tuple[str, tuple[Part, ...] | None]  # (lead status, parts; None until opened)


def _joint_rows(status: str) -> list[Transition]:
    rows = [t for t in TRANSITIONS if t.source == status and Mode.JOINT in t.modes]
    # rows that only record a fact (the paper, an extension) cannot change who can end
    return [t for t in rows if t.target != t.source]


def _outcomes(parts: tuple[Part, ...] | None) -> list[PartOutcome]:
    return [part_outcome(status, approved) for status, approved in parts or ()]


def _auto_complete(lead: str, parts: tuple[Part, ...] | None, rule: Rule) -> str:
    complete = find_transition(Action.COMPLETE, lead)
    if parts and complete is not None and rule(complete.guard, _outcomes(parts)):
        return complete.target
    return lead


def _successors(state: Joint, size: int, rule: Rule) -> set[Joint]:
    lead, parts = state
    found: set[Joint] = set()
    for t in _joint_rows(lead):
        if not rule(t.guard, _outcomes(parts)):
            continue
        new_parts = parts
        if t.action in PARTS_OPEN_ON and parts is None:
            new_parts = ((PART_INITIAL_STATE, False),) * size
        if new_parts is not None:
            ended = []
            for status, approved in new_parts:
                cascade = cascade_for(t.action, t.target, status)
                ended.append((cascade.target, approved) if cascade else (status, approved))
            new_parts = tuple(ended)
        found.add((t.target, new_parts))
    for index, (status, approved) in enumerate(parts or ()):
        for t in _joint_rows(status):
            if not rule(t.guard, []):  # a part has no parts of its own
                continue
            if t.action == Action.APPROVE:
                approved = True
            elif t.action == Action.DENY:
                approved = False
            assert parts is not None
            new_parts = (*parts[:index], (t.target, approved), *parts[index + 1 :])
            found.add((_auto_complete(lead, new_parts, rule), new_parts))
    return found


def _is_end(state: Joint) -> bool:
    lead, parts = state
    return lead in FINAL_STATES and all(status in FINAL_STATES for status, _ in parts or ())


def _explore(
    starts: set[Joint], size: int, rule: Rule = guard_holds
) -> tuple[set[Joint], dict[Joint, set[Joint]]]:
    seen = set(starts)
    frontier = list(starts)
    edges: dict[Joint, set[Joint]] = {}
    while frontier:
        state = frontier.pop()
        edges[state] = _successors(state, size, rule)
        for following in edges[state] - seen:
            seen.add(following)
            frontier.append(following)
    return seen, edges


def _can_end(seen: set[Joint], edges: dict[Joint, set[Joint]]) -> set[Joint]:
    back: dict[Joint, set[Joint]] = {s: set() for s in seen}
    for state, followers in edges.items():
        for following in followers:
            back[following].add(state)
    good = {s for s in seen if _is_end(s)}
    frontier = list(good)
    while frontier:
        for earlier in back[frontier.pop()] - good:
            good.add(earlier)
            frontier.append(earlier)
    return good


def _stuck(seen: set[Joint], edges: dict[Joint, set[Joint]]) -> list[Joint]:
    return sorted(seen - _can_end(seen, edges), key=str)


def test_every_reachable_joint_state_can_end_with_one_or_two_parts():
    for size in (1, 2):
        seen, edges = _explore({(Status.RECEIVED, None)}, size)
        assert len(seen) > 100  # the walk really went through the table
        assert not _stuck(seen, edges)[:5], f"{size} part(s): no way to an end from these"
        # every outcome of the parts is really reached: success, failure, and both
        outcomes = {tuple(sorted(_outcomes(p))) for _, p in seen if p}
        assert (PartOutcome.FAILED,) * size in outcomes
        assert (PartOutcome.SUCCEEDED,) * size in outcomes


def test_every_combination_of_lead_and_part_states_can_end():
    """Stronger than reachability: any lead state after acceptance with any two part
    states (approved or not), whether or not the workflow would produce it."""
    after_acceptance = {t.target for t in TRANSITIONS if t.action in PARTS_OPEN_ON}
    opened: set[str] = set(after_acceptance)
    frontier = list(opened)
    while frontier:  # every lead state that comes after the parts are opened
        for t in _joint_rows(frontier.pop()):
            if t.target not in opened:
                opened.add(t.target)
                frontier.append(t.target)
    part_states: list[Part] = [(s.value, approved) for s in Status for approved in (False, True)]
    starts: set[Joint] = {
        (lead, (a, b)) for lead in opened for a in part_states for b in part_states
    }
    seen, edges = _explore(starts, 2)
    assert not _stuck(seen, edges)[:5]


def test_the_old_rule_would_have_been_caught():
    """The property is not vacuous: with `complete` waiting for every part to succeed
    and no way to end the lead as a whole (the rule before ADR 0094), a refused part
    leaves the lead stuck for ever."""

    def old_rule(guard: Guard | None, parts: Iterable[PartOutcome]) -> bool:
        if guard == Guard.PARTS_ENDED:
            return all(o == PartOutcome.SUCCEEDED for o in parts)
        return guard != Guard.PART_FAILED

    seen, edges = _explore({(Status.RECEIVED, None)}, 1, old_rule)
    stuck = _stuck(seen, edges)
    assert (Status.DELIVERED, ((Status.REFUSED, False),)) in stuck
