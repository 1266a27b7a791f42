"""The case state machine: ONE explicit table of every allowed move.

A row says: this `action`, from this `source` state (and, for `ship`, this delivery
`variant`), leads to `target`; it may be performed by these legs of the case (the
receiving place's staff, the handling place's staff, the applicant) with these roles,
in these modes; and it is recorded under this practice status code (domain notes §3,
the full mapping with its reasons is ADR 0093). A row without a code (`None`) has no code
of its own: the case keeps the code it has (延期 changes no status; the result, delivery
and completion steps keep the code of the decision, 11 / 12 / 13).

Nothing else assigns Case.status. A move that is not in the table raises
IllegalTransition; a move that is in the table but not for this user raises Forbidden.
Action-specific input checks and side effects live in cases/actions/.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongban.accounts.models import Role
from tongban.cases.models import CaseMaterial, Status
from tongban.catalog.models import Mode
from tongban.core.errors import Invalid, NotFound, StrOrPromise


class Leg(StrEnum):
    RECEIVING = "receiving"  # staff of the receiving jurisdiction (收件地)
    HANDLING = "handling"  # staff of the handling jurisdiction (办理地)
    APPLICANT = "applicant"  # the applicant's own portal account (or the enterprise's agent)


class Action(StrEnum):
    SUBMIT = "submit"
    CHECK = "check"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT = "supplement"
    TRANSFER = "transfer"
    RECEIVE_TRANSFER = "receive_transfer"
    RECEIVE_ORIGINALS = "receive_originals"
    RETURN_ORIGINALS = "return_originals"
    ACCEPT = "accept"
    ACCEPT_WITH_COMMITMENT = "accept_with_commitment"
    REFUSE = "refuse"
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    APPROVE = "approve"
    DENY = "deny"
    ISSUE_RESULT = "issue_result"
    SHIP = "ship"
    SIGN_FOR = "sign_for"
    PICKUP = "pickup"
    PRINT_LICENCE = "print_licence"
    COMPLETE = "complete"
    WITHDRAW = "withdraw"
    TERMINATE = "terminate"


# The label of each action in the UI, translated by gettext (the English is in the
# catalogue); the context keeps them apart from status labels with the same Chinese text
# (不予受理 the action is "Refuse", the status "Refused").
ACTION_LABELS: dict[str, StrOrPromise] = {
    "submit": pgettext_lazy("case action", "提交申请"),
    "check": pgettext_lazy("case action", "形式审查与身份核验通过"),
    "request_supplement": pgettext_lazy("case action", "一次性告知补正"),
    "supplement": pgettext_lazy("case action", "补正材料"),
    "transfer": pgettext_lazy("case action", "材料流转"),
    "receive_transfer": pgettext_lazy("case action", "接收电子材料"),
    "receive_originals": pgettext_lazy("case action", "签收纸质原件"),
    "return_originals": pgettext_lazy("case action", "退还纸质原件"),
    "accept": pgettext_lazy("case action", "受理"),
    "accept_with_commitment": pgettext_lazy("case action", "容缺受理"),
    "refuse": pgettext_lazy("case action", "不予受理"),
    "pause": pgettext_lazy("case action", "暂停计时(特别程序)"),
    "resume": pgettext_lazy("case action", "恢复计时"),
    "extend": pgettext_lazy("case action", "延期"),
    "approve": pgettext_lazy("case action", "准予许可"),
    "deny": pgettext_lazy("case action", "不予许可"),
    "issue_result": pgettext_lazy("case action", "出证"),
    "ship": pgettext_lazy("case action", "寄递/送达结果"),
    "sign_for": pgettext_lazy("case action", "签收"),
    "pickup": pgettext_lazy("case action", "窗口领取"),
    "print_licence": pgettext_lazy("case action", "异地打照(窗口打印证照)"),
    "complete": pgettext_lazy("case action", "办结"),
    "withdraw": pgettext_lazy("case action", "撤回申请"),
    "terminate": pgettext_lazy("case action", "终止办理"),
}


class ShipVariant(StrEnum):
    POST = "post"  # by post to the applicant
    RECEIVING_WINDOW = "receiving_window"  # to the receiving window for pickup (就近取证)
    HANDLING_WINDOW = "handling_window"  # the result waits at the handling place's window
    ELECTRONIC = "electronic"  # 网络送达


class Guard(StrEnum):
    """A condition on the case's other records that a row needs besides its state. The
    predicates over a joint case's parts are below (pure, shared with the property test);
    the ones over shipments are evaluated in cases/actions/."""

    PARTS_ENDED = "parts_ended"  # a joint lead: every part has ended
    PART_FAILED = "part_failed"  # a joint lead: at least one part has failed
    ORIGINALS_IN_TRANSIT = "originals_in_transit"  # paper originals are on their way here
    ORIGINALS_HELD = "originals_held"  # paper originals are here and not yet returned


@dataclass(frozen=True)
class Transition:
    action: Action
    source: Status
    target: Status
    legs: frozenset[Leg]
    roles: frozenset[str]
    modes: frozenset[str]
    # None: the move records a fact without a practice status of its own (the case keeps
    # its code), e.g. the paper originals' arrival
    practice_code: int | None
    variant: str | None = None
    guard: Guard | None = None


ALL_MODES = frozenset(Mode.values)
WINDOW_MODES = frozenset({Mode.PROXY, Mode.JOINT})
JOINT = frozenset({Mode.JOINT})
CLERK = frozenset({Role.CLERK})
OFFICER = frozenset({Role.OFFICER, Role.HEAD})
HEAD = frozenset({Role.HEAD})
RECEIVING = frozenset({Leg.RECEIVING})
HANDLING = frozenset({Leg.HANDLING})
APPLICANT_OR_RECEIVING = frozenset({Leg.APPLICANT, Leg.RECEIVING})
ANYONE_ON_THE_CASE = frozenset({Leg.APPLICANT, Leg.RECEIVING, Leg.HANDLING})

S = Status
A = Action
# 11 办结 (approved); a case accepted with commitment (容缺) ends under 12 instead
APPROVED_CODE = 11
APPROVED_AFTER_COMMITMENT_CODE = 12


def _row(
    action: Action,
    source: Status,
    target: Status,
    legs: frozenset[Leg],
    roles: frozenset[str],
    code: int | None,
    modes: frozenset[str] = ALL_MODES,
    variant: str | None = None,
    guard: Guard | None = None,
) -> Transition:
    return Transition(action, source, target, legs, roles, modes, code, variant, guard)


# the paper originals travel by post after `transfer` and may arrive, or be sent back,
# whatever the case has become meanwhile (even refused or withdrawn: they still go back)
PAPER_STATES = tuple(
    s for s in Status if s not in (Status.RECEIVED, Status.SUPPLEMENT_AT_RECEIPT, Status.CHECKED)
)
# a joint lead may be ended as a whole, before its own decision, when a part has failed;
# the same rows end the still-undecided parts when their lead ends (ADR 0094)
JOINT_TERMINATE_STATES = (
    Status.PENDING_ACCEPTANCE,
    Status.ACCEPTED,
    Status.SUPPLEMENT_IN_REVIEW,
    Status.PAUSED,
)


# fmt: off
TRANSITIONS: tuple[Transition, ...] = (
    # receiving place (异地代收): formal and identity check, one-time notice, transfer
    _row(A.CHECK, S.RECEIVED, S.CHECKED, RECEIVING, CLERK, 1, WINDOW_MODES),
    _row(A.REQUEST_SUPPLEMENT, S.RECEIVED, S.SUPPLEMENT_AT_RECEIPT, RECEIVING, CLERK, 6, WINDOW_MODES),  # noqa: E501
    _row(A.SUPPLEMENT, S.SUPPLEMENT_AT_RECEIPT, S.RECEIVED, APPLICANT_OR_RECEIVING, CLERK, 7, WINDOW_MODES),  # noqa: E501
    _row(A.TRANSFER, S.CHECKED, S.IN_TRANSFER, RECEIVING, CLERK, 1, WINDOW_MODES),
    # the electronic file arrives: the paper originals are a delivery of their own
    _row(A.RECEIVE_TRANSFER, S.IN_TRANSFER, S.PENDING_ACCEPTANCE, HANDLING, OFFICER, 1, WINDOW_MODES),  # noqa: E501
    *(
        _row(A.RECEIVE_ORIGINALS, source, source, HANDLING, OFFICER, None, WINDOW_MODES, guard=Guard.ORIGINALS_IN_TRANSIT)  # noqa: E501
        for source in PAPER_STATES
    ),
    *(
        _row(A.RETURN_ORIGINALS, source, source, HANDLING, OFFICER, None, WINDOW_MODES, guard=Guard.ORIGINALS_HELD)  # noqa: E501
        for source in PAPER_STATES
    ),
    # handling place (属地审批): acceptance
    _row(A.REQUEST_SUPPLEMENT, S.PENDING_ACCEPTANCE, S.SUPPLEMENT_BEFORE_ACCEPTANCE, HANDLING, OFFICER, 6),  # noqa: E501
    _row(A.SUPPLEMENT, S.SUPPLEMENT_BEFORE_ACCEPTANCE, S.PENDING_ACCEPTANCE, ANYONE_ON_THE_CASE, CLERK | OFFICER, 7),  # noqa: E501
    _row(A.ACCEPT, S.PENDING_ACCEPTANCE, S.ACCEPTED, HANDLING, OFFICER, 3),
    _row(A.ACCEPT_WITH_COMMITMENT, S.PENDING_ACCEPTANCE, S.ACCEPTED_CONDITIONALLY, HANDLING, OFFICER, 3),  # noqa: E501
    _row(A.REFUSE, S.PENDING_ACCEPTANCE, S.REFUSED, HANDLING, OFFICER, 5),
    # 容缺: made good, or terminated when the commitment deadline has passed
    _row(A.SUPPLEMENT, S.ACCEPTED_CONDITIONALLY, S.ACCEPTED, ANYONE_ON_THE_CASE, CLERK | OFFICER, 7),  # noqa: E501
    _row(A.TERMINATE, S.ACCEPTED_CONDITIONALLY, S.TERMINATED, HANDLING, OFFICER, 15),
    # not made good before acceptance: the case is not received (4 不受理), no refusal decision
    _row(A.TERMINATE, S.SUPPLEMENT_BEFORE_ACCEPTANCE, S.TERMINATED, HANDLING, OFFICER, 4),
    _row(A.TERMINATE, S.SUPPLEMENT_AT_RECEIPT, S.TERMINATED, RECEIVING, CLERK, 4, WINDOW_MODES),
    # 多地联办: the lead ends as a whole when a part it cannot do without has failed
    *(
        _row(A.TERMINATE, source, S.TERMINATED, HANDLING, OFFICER, 15, JOINT, guard=Guard.PART_FAILED)  # noqa: E501
        for source in JOINT_TERMINATE_STATES
    ),
    # review
    _row(A.REQUEST_SUPPLEMENT, S.ACCEPTED, S.SUPPLEMENT_IN_REVIEW, HANDLING, OFFICER, 6),
    _row(A.SUPPLEMENT, S.SUPPLEMENT_IN_REVIEW, S.ACCEPTED, ANYONE_ON_THE_CASE, CLERK | OFFICER, 7),
    _row(A.PAUSE, S.ACCEPTED, S.PAUSED, HANDLING, OFFICER, 9),
    _row(A.RESUME, S.PAUSED, S.ACCEPTED, HANDLING, OFFICER, 10),
    _row(A.EXTEND, S.ACCEPTED, S.ACCEPTED, HANDLING, HEAD, None),
    _row(A.APPROVE, S.ACCEPTED, S.APPROVED, HANDLING, OFFICER, APPROVED_CODE),  # 12 after 容缺
    _row(A.DENY, S.ACCEPTED, S.DENIED, HANDLING, OFFICER, 13),
    _row(A.ISSUE_RESULT, S.APPROVED, S.RESULT_ISSUED, HANDLING, OFFICER, None),
    _row(A.ISSUE_RESULT, S.DENIED, S.RESULT_ISSUED, HANDLING, OFFICER, None),
    # delivery (结果寄递 / 就近取证 / 网络送达)
    _row(A.SHIP, S.RESULT_ISSUED, S.IN_DELIVERY, HANDLING, OFFICER, None, variant=ShipVariant.POST),
    _row(A.SHIP, S.RESULT_ISSUED, S.TO_WINDOW, HANDLING, OFFICER, None, WINDOW_MODES, ShipVariant.RECEIVING_WINDOW),  # noqa: E501
    _row(A.SHIP, S.RESULT_ISSUED, S.AWAITING_PICKUP, HANDLING, OFFICER, None, variant=ShipVariant.HANDLING_WINDOW),  # noqa: E501
    _row(A.SHIP, S.RESULT_ISSUED, S.DELIVERED, HANDLING, OFFICER, None, variant=ShipVariant.ELECTRONIC),  # noqa: E501
    _row(A.SIGN_FOR, S.IN_DELIVERY, S.DELIVERED, frozenset({Leg.APPLICANT, Leg.HANDLING}), OFFICER, None),  # noqa: E501
    _row(A.SIGN_FOR, S.TO_WINDOW, S.AWAITING_PICKUP, RECEIVING, CLERK, None, WINDOW_MODES),
    # 异地打照 (就近取证): the receiving window prints the paper licence from the signed
    # e-licence instead of waiting for the post; the applicant then picks it up there
    _row(A.PRINT_LICENCE, S.RESULT_ISSUED, S.AWAITING_PICKUP, RECEIVING, CLERK, None, WINDOW_MODES),
    _row(A.PICKUP, S.AWAITING_PICKUP, S.DELIVERED, frozenset({Leg.RECEIVING, Leg.HANDLING}), CLERK | OFFICER, None),  # noqa: E501
    _row(A.COMPLETE, S.DELIVERED, S.COMPLETED, HANDLING, OFFICER, None, guard=Guard.PARTS_ENDED),
    # withdrawal by the applicant (or the receiving clerk on the applicant's behalf):
    # 撤件 (2) before acceptance, 撤回 (14) after
    *(
        _row(A.WITHDRAW, source, S.WITHDRAWN, APPLICANT_OR_RECEIVING, CLERK, 2)
        for source in (
            S.RECEIVED, S.SUPPLEMENT_AT_RECEIPT, S.CHECKED, S.IN_TRANSFER,
            S.PENDING_ACCEPTANCE, S.SUPPLEMENT_BEFORE_ACCEPTANCE,
        )
    ),
    *(
        _row(A.WITHDRAW, source, S.WITHDRAWN, APPLICANT_OR_RECEIVING, CLERK, 14)
        for source in (S.ACCEPTED, S.ACCEPTED_CONDITIONALLY, S.SUPPLEMENT_IN_REVIEW, S.PAUSED)
    ),
)
# fmt: on

FINAL_STATES = frozenset({S.COMPLETED, S.REFUSED, S.WITHDRAWN, S.TERMINATED})
# moves that cannot be undone: a decision (受理 or not, 准予 / 不予许可), the end of the
# case, or a hand-over to someone else (the file to the handling place, the licence issued,
# the result sent): the table has no row back from any of them. Every surface that offers
# one warns before it is performed and asks for an explicit confirmation (issue 15 §5)
IRREVERSIBLE_ACTIONS = frozenset(
    {
        A.REFUSE,
        A.DENY,
        A.APPROVE,
        A.WITHDRAW,
        A.TERMINATE,
        A.COMPLETE,
        A.ACCEPT,
        A.ACCEPT_WITH_COMMITMENT,
        A.TRANSFER,
        A.ISSUE_RESULT,
        A.SHIP,
        A.PRINT_LICENCE,
    }
)
# the irreversible moves that end or refuse what the applicant asked for: the pages set
# them apart from the everyday ones and never make them the primary button
DESTRUCTIVE_ACTIONS = frozenset({A.REFUSE, A.DENY, A.WITHDRAW, A.TERMINATE})
# moves that are a choice (withdrawing, ending, pausing, extending, printing the licence
# instead of waiting for the post) or a fact about the paper rather than the next step of
# the work: a case whose only moves for someone are these is not waiting for them
# ("待我处理", `awaiting_states`)
ELECTIVE_ACTIONS = frozenset(
    {
        A.WITHDRAW,
        A.TERMINATE,
        A.PAUSE,
        A.EXTEND,
        A.PRINT_LICENCE,
        A.RECEIVE_ORIGINALS,
        A.RETURN_ORIGINALS,
    }
)
# the applicant owes these; staff may record them when the materials come, but the case
# waits for the applicant, not for them
APPLICANTS_MOVES = frozenset({A.SUPPLEMENT})


class Stage(StrEnum):
    """A few stages that group the 24 states for the queue's filter (issue 15 §6)."""

    INTAKE = "intake"
    ACCEPTANCE = "acceptance"
    REVIEW = "review"
    RESULT = "result"
    ENDED = "ended"


STAGES: dict[Stage, tuple[Status, ...]] = {
    Stage.INTAKE: (S.RECEIVED, S.SUPPLEMENT_AT_RECEIPT, S.CHECKED, S.IN_TRANSFER),
    Stage.ACCEPTANCE: (S.PENDING_ACCEPTANCE, S.SUPPLEMENT_BEFORE_ACCEPTANCE),
    Stage.REVIEW: (S.ACCEPTED, S.ACCEPTED_CONDITIONALLY, S.SUPPLEMENT_IN_REVIEW, S.PAUSED),
    Stage.RESULT: (
        S.APPROVED,
        S.DENIED,
        S.RESULT_ISSUED,
        S.IN_DELIVERY,
        S.TO_WINDOW,
        S.AWAITING_PICKUP,
        S.DELIVERED,
    ),
    Stage.ENDED: (S.COMPLETED, S.REFUSED, S.WITHDRAWN, S.TERMINATED),
}
STAGE_LABELS: dict[str, StrOrPromise] = {
    Stage.INTAKE: pgettext_lazy("case stage", "收件与流转"),
    Stage.ACCEPTANCE: pgettext_lazy("case stage", "待受理"),
    Stage.REVIEW: pgettext_lazy("case stage", "审查中"),
    Stage.RESULT: pgettext_lazy("case stage", "决定与送达"),
    Stage.ENDED: pgettext_lazy("case stage", "已结束"),
}


def statuses_of_stage(stage: str | None) -> list[str]:
    """The states of a stage named in a list filter; empty: no stage (422 otherwise)."""
    if not stage:
        return []
    if stage not in STAGES:
        raise Invalid(
            _("Unknown stage."),
            code="invalid_filter",
            details={"field": "stage", "allowed": [s.value for s in Stage]},
        )
    return [s.value for s in STAGES[Stage(stage)]]


# moves that record a fact about the paper and leave the status as it is: the only rows
# from a final state
PAPER_ACTIONS = frozenset({A.RECEIVE_ORIGINALS, A.RETURN_ORIGINALS})
# states in which the promised-limit clock runs (due_date is meaningful)
CLOCK_STATES = frozenset({S.ACCEPTED, S.ACCEPTED_CONDITIONALLY, S.SUPPLEMENT_IN_REVIEW})
# materials the applicant still owes: asked for by a one-time notice (补正) or promised
# under 容缺受理; `supplement` makes them good
OUTSTANDING_MATERIAL_STATES = frozenset({CaseMaterial.State.MISSING, CaseMaterial.State.DEFERRED})
# initial state by mode: a 全程网办 case skips the receiving-place steps
INITIAL_STATE = {Mode.ONLINE: S.PENDING_ACCEPTANCE, Mode.PROXY: S.RECEIVED, Mode.JOINT: S.RECEIVED}
SUBMIT_PRACTICE_CODE = 1

_INDEX: dict[tuple[str, str, str | None], Transition] = {}
for _t in TRANSITIONS:
    _key = (_t.action.value, _t.source.value, _t.variant)
    if _key in _INDEX:  # pragma: no cover - a table typo must fail at import, not in production
        raise RuntimeError(f"duplicate transition {_key}")
    _INDEX[_key] = _t


def practice_code_for(
    transition: Transition, current: int, *, accepted_with_commitment: bool = False
) -> int:
    """The practice code a move records: its own, or (None) the case's current one; an
    approval of a case accepted with commitment is 12 rather than 11."""
    if transition.practice_code is None:
        return current
    if transition.practice_code == APPROVED_CODE and accepted_with_commitment:
        return APPROVED_AFTER_COMMITMENT_CODE
    return transition.practice_code


# what /cases/{number}/actions/{action} may name, on the API and on the case page alike;
# a case is submitted through its own endpoint and form
PERFORMABLE_ACTIONS = tuple(a for a in Action if a != Action.SUBMIT)


def performable_action(name: str) -> Action:
    """The action a request names in its path. An unknown name is a path that does not
    exist: 404 `unknown_action` on every surface."""
    if name not in PERFORMABLE_ACTIONS:
        raise NotFound(
            _("Unknown action."),
            code="unknown_action",
            details={"allowed": [a.value for a in PERFORMABLE_ACTIONS]},
        )
    return Action(name)


def is_irreversible(action: str) -> bool:
    return action in IRREVERSIBLE_ACTIONS


def is_destructive(action: str) -> bool:
    return action in DESTRUCTIVE_ACTIONS


def awaiting_states(leg: Leg, roles: Iterable[str]) -> frozenset[str]:
    """The states in which a case waits for this leg with these roles: the table has a
    next step (not an elective move) they may perform. A joint lead whose parts are still
    open shows as delivered-and-waiting although `complete` waits for its parts. The
    "待我处理" view and its count ask this, so the table stays the one authority."""
    held = frozenset(roles)
    if leg == Leg.APPLICANT:
        return frozenset(
            t.source.value
            for t in TRANSITIONS
            if leg in t.legs and t.action not in ELECTIVE_ACTIONS
        )
    return frozenset(
        t.source.value
        for t in TRANSITIONS
        if leg in t.legs and t.action not in ELECTIVE_ACTIONS | APPLICANTS_MOVES and t.roles & held
    )


def find_transition(action: str, source: str, variant: str | None = None) -> Transition | None:
    return _INDEX.get((action, source, variant))


def transitions_from(source: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == source]


def actions_from(source: str, mode: str | None = None) -> list[str]:
    seen: list[str] = []
    for t in transitions_from(source):
        if (mode is None or mode in t.modes) and t.action.value not in seen:
            seen.append(t.action.value)
    return seen


def variants_of(action: str, source: str) -> Iterable[str | None]:
    return [t.variant for t in TRANSITIONS if t.action == action and t.source == source]


# ---------------------------------------------------------------------------------------
# 多地联办 (ADR 0094): the lead and its parts. Pure functions over statuses, used by
# cases/actions/ and by the property test over every combination of states.


class PartOutcome(StrEnum):
    OPEN = "open"
    SUCCEEDED = "succeeded"  # completed after 准予许可
    FAILED = "failed"  # refused, denied, withdrawn or terminated


# the lead's acceptance opens one sub-case per part, at the part's handling place
PARTS_OPEN_ON = frozenset({Action.ACCEPT, Action.ACCEPT_WITH_COMMITMENT})
PART_INITIAL_STATE = S.PENDING_ACCEPTANCE
# the lead ended as a whole by one of these actions ends its open parts with the same
# action, where the table has that move for the part's state (undecided parts); a part
# already decided is left to deliver its result and complete on its own
CASCADING_ACTIONS = frozenset({Action.TERMINATE, Action.WITHDRAW})


def part_outcome(status: str, approved: bool) -> PartOutcome:
    """`approved`: the part's decision was 准予许可 (a completed part may carry a denial)."""
    if status not in FINAL_STATES:
        return PartOutcome.OPEN
    if status == S.COMPLETED and approved:
        return PartOutcome.SUCCEEDED
    return PartOutcome.FAILED


def guard_holds(guard: Guard | None, parts: Iterable[PartOutcome]) -> bool:
    """The joint guards; a case without parts has every part ended and none failed."""
    if guard == Guard.PARTS_ENDED:
        return all(outcome != PartOutcome.OPEN for outcome in parts)
    if guard == Guard.PART_FAILED:
        return any(outcome == PartOutcome.FAILED for outcome in parts)
    return True


def cascade_for(action: str, lead_target: str, part_status: str) -> Transition | None:
    """The move that ends an open part when its lead has just ended by `action`."""
    if action not in CASCADING_ACTIONS or lead_target not in FINAL_STATES:
        return None
    if part_status in FINAL_STATES:
        return None
    transition = find_transition(action, part_status)
    if transition is None or Mode.JOINT not in transition.modes:
        return None
    return transition
