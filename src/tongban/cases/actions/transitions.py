"""Every move after submission: `perform_case_action`, the single entry point, and
`available_actions`, what a user may attempt now.

The transition table (cases/workflow.py) says which move is allowed from which status,
to which status, by which leg and role; the `_HANDLERS` (one per action, in the modules
of this package) check the move's own input and rules and return what to record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from tongban.accounts import credentials
from tongban.accounts.credentials import Credential, CredentialNotVerified
from tongban.accounts.models import User
from tongban.cases import deadlines
from tongban.cases.actions.acceptance import (
    _on_accept,
    _on_accept_with_commitment,
    _on_check,
    _on_refuse,
    _on_request_supplement,
    _on_supplement,
)
from tongban.cases.actions.common import (
    _append_event,
    _Context,
    _known_chain_head,
    _notify,
    _Outcome,
    _row_state,
    _save_changes,
    _signed_in,
    _take_chain_head,
    legs_of,
)
from tongban.cases.actions.decisions import (
    _on_approve,
    _on_deny,
    _on_extend,
    _on_issue_result,
    _on_pause,
    _on_resume,
    _on_terminate,
    _on_withdraw,
)
from tongban.cases.actions.delivery import _on_pickup, _on_print_licence, _on_ship, _on_sign_for
from tongban.cases.actions.inputs import ActionInput
from tongban.cases.actions.joint import (
    _complete_parent_if_ready,
    _end_open_parts,
    _on_complete,
    part_outcomes,
)
from tongban.cases.actions.originals import (
    _on_receive_originals,
    _on_receive_transfer,
    _on_return_originals,
    _on_transfer,
    inbound_states_annotations,
    originals_inbound_states,
    take_inbound_states,
)
from tongban.cases.models import (
    Case,
    CaseEvent,
    Shipment,
    Status,
)
from tongban.cases.selectors import CaseScope, case_scope, cases_in
from tongban.cases.workflow import (
    APPROVED_CODE,
    FINAL_STATES,
    PAPER_ACTIONS,
    TRANSITIONS,
    Action,
    Guard,
    Leg,
    ShipVariant,
    Transition,
    actions_from,
    find_transition,
    guard_holds,
    practice_code_for,
    variants_of,
)
from tongban.catalog.models import (
    DeliveryMethod,
    ItemImplementation,
    ServiceItem,
)
from tongban.core import prepared, versioned
from tongban.core.errors import Forbidden, IllegalTransition, Invalid, NotFound
from tongban.regions.calendar import shared_calendar
from tongban.regions.models import Jurisdiction


def _acting_leg(transition: Transition, legs: dict[Leg, set[str]]) -> tuple[Leg, str] | None:
    # the handling place acts first when a user holds roles on both legs
    for leg in (Leg.HANDLING, Leg.RECEIVING, Leg.APPLICANT):
        if leg not in transition.legs or leg not in legs:
            continue
        if leg == Leg.APPLICANT:
            return leg, "applicant"
        matching = legs[leg] & transition.roles
        if matching:
            return leg, sorted(matching)[0]
    return None


def available_actions(user: User | AnonymousUser, case: Case) -> list[str]:
    """Actions this user may attempt now (input-dependent rules are checked on submit)."""
    legs = legs_of(user, case)
    result: list[str] = []
    guards: dict[Guard, bool] = {}
    paper: list[set[str]] = []  # the states of the inbound originals, read once if asked
    for action in actions_from(case.status, case.mode):
        for variant in variants_of(action, case.status):
            transition = find_transition(action, case.status, variant)
            if transition is None or case.mode not in transition.modes:
                continue
            if _acting_leg(transition, legs) is None or action in result:
                continue
            guard = transition.guard
            if guard is not None and guard not in guards:
                guards[guard] = _guard_holds(case, guard, paper)
            if guard is None or guards[guard]:
                result.append(action)
    return result


def _guard_holds(case: Case, guard: Guard, paper: list[set[str]]) -> bool:
    if guard in (Guard.ORIGINALS_IN_TRANSIT, Guard.ORIGINALS_HELD):
        # both paper guards from one statement: the states the originals are in
        if not paper:
            paper.append(originals_inbound_states(case))
        wanted = (
            Shipment.State.IN_TRANSIT
            if guard == Guard.ORIGINALS_IN_TRANSIT
            else Shipment.State.SIGNED
        )
        return wanted in paper[0]
    return guard_holds(guard, part_outcomes(case).values())


@dataclass(frozen=True)
class Performed:
    """A move done: the case as it now stands and the event that records the move."""

    case: Case
    event: CaseEvent


def perform_case_action(
    actor: User | AnonymousUser, number: str, action: str, data: ActionInput
) -> Case:
    return perform(actor, number, action, data).case


def perform(
    actor: User | AnonymousUser,
    number: str,
    action: str,
    data: ActionInput,
    credential: Credential | None = None,
) -> Performed:
    """`perform_case_action`, answering the event too (the API's compact answer).

    `credential`: the API token that signed `actor` in, taken from the process's memory
    and not yet checked (ADR 0148). The lock statement checks it: if it finds no row,
    `CredentialNotVerified`, and nothing was read or changed."""
    user = _signed_in(actor)
    with transaction.atomic():
        case, version = _lock_case(user, number, action, credential)
        before = _row_state(case)
        variant = _variant_for(case, action, data)
        transition = find_transition(action, case.status, variant)
        if transition is None or case.mode not in transition.modes:
            raise IllegalTransition(
                _("Action “%(action)s” is not allowed in state “%(status)s”."),
                details={"status": case.status, "allowed": actions_from(case.status, case.mode)},
                params={"action": action, "status": Status(case.status).label},
            )
        acting = _acting_leg(transition, legs_of(user, case))
        if acting is None:
            raise Forbidden(
                _("Your role or jurisdiction may not perform this action on this case."),
                code="action_not_permitted",
            )
        leg, role = acting
        today = deadlines.local_today()
        cal = shared_calendar(case.handling_jurisdiction, version)
        handler = _HANDLERS[Action(action)]
        from_status = case.status
        outcome = handler(case, data, _Context(user, leg, role, today, cal, transition))
        case.status = transition.target
        case.practice_code = practice_code_for(
            transition,
            case.practice_code,
            accepted_with_commitment=transition.practice_code == APPROVED_CODE
            and _accepted_with_commitment(case),
        )
        if transition.action in PAPER_ACTIONS:
            pass  # a fact about the paper: the case's step and clock are as they were
        elif case.status in FINAL_STATES:
            deadlines.clear_dates_for_final_state(case)
        else:
            deadlines.refresh_dates(case, cal, today)
        jurisdiction_id = (
            case.receiving_jurisdiction_id
            if leg == Leg.RECEIVING
            else case.handling_jurisdiction_id
            if leg == Leg.HANDLING
            else None
        )
        # the event, the case row and the notification reach the database as one
        # statement (ADR 0141): none of their new keys is read before the commit
        with prepared.saves_together(*_WRITTEN_TOGETHER):
            event = _append_event(
                case,
                action,
                from_status,
                user,
                role,
                jurisdiction_id,
                case.practice_code,
                data.reason.strip(),
                outcome.event_data,
            )
            _save_changes(case, before)
            if case.status in FINAL_STATES and from_status not in FINAL_STATES:
                if case.parent_id is not None:
                    _complete_parent_if_ready(case.parent_id)
                _end_open_parts(case, action, data.reason.strip())
            if outcome.notify:
                extra = {"reason": data.reason.strip(), **outcome.notify_extra}
                if "due_date" not in extra and case.due_date is not None:
                    extra["due_date"] = case.due_date.isoformat()
                _notify(case, outcome.notify, **extra)
            for follow_up in outcome.after:
                follow_up()
    return Performed(case, event)


# the saves of a move that wait for each other (`prepared.saves_together`)
_WRITTEN_TOGETHER = ("cases.CaseEvent", "cases.Case", "notifications.OutboxMessage")


def _lock_queryset(shape: tuple[bool, bool, int], number: str, **scope: Any) -> QuerySet[Case]:
    """The lock statement of `_lock_case`, as the ORM writes it; prepared once per shape
    of the scope, whose ids are values like the number (`CaseScope.values`)."""
    # a part's end may complete its lead, and a lead's end ends its parts: the lead is
    # locked before the part, always in that order, so the two never wait on each other.
    # Both rows come from this one statement, the lead first: PostgreSQL locks the rows
    # of a SELECT … ORDER BY … FOR UPDATE in the order it returns them. The lead is not
    # scoped (a part's officer may not read its lead), and is only locked, never used.
    lead = Case.objects.filter(
        pk=Subquery(Case.objects.filter(number=number).values("parent_id")[:1])
    )
    return (
        (cases_in(CaseScope.of_shape(shape, scope)).filter(number=number) | lead)
        .select_for_update(of=("self",))
        .select_related("applicant")
        .annotate(
            master_version=versioned.version_subquery(),
            chain_head=CaseEvent.head_subquery(OuterRef("pk"), OuterRef("event_count")),
            # the paper guards of the answer and the moves' own "still in the post?"
            # (ADR 0143): two index probes here instead of a statement of their own
            **inbound_states_annotations(),
        )
        .order_by(F("parent_id").asc(nulls_first=True))
    )


def _approval_lock_queryset(
    shape: tuple[bool, bool, int], number: str, **scope: Any
) -> QuerySet[Case]:
    """The lock statement of a move whose practice code depends on a 容缺 acceptance:
    with that fact too. Only those moves pay for it (ADR 0143). The event, not a column:
    the case row keeps no trace of it once the deferred materials are made good."""
    return _lock_queryset(shape, number, **scope).annotate(
        had_accept_with_commitment=Exists(
            CaseEvent.objects.filter(case_id=OuterRef("pk"), action=Action.ACCEPT_WITH_COMMITMENT)
        )
    )


# compiled once per connection and shape of scope: building and compiling this statement
# was a quarter of an action's Python time (ADR 0137)
_LOCK = prepared.Prepared("case_lock", _lock_queryset)
_APPROVAL_LOCK = prepared.Prepared("case_lock_approval", _approval_lock_queryset)
_CHECKED_LOCK = prepared.Prepared("case_lock_checked", credentials.checked(_lock_queryset))
_CHECKED_APPROVAL_LOCK = prepared.Prepared(
    "case_lock_approval_checked", credentials.checked(_approval_lock_queryset)
)
_ASKS_COMMITMENT = frozenset(t.action for t in TRANSITIONS if t.practice_code == APPROVED_CODE)

# the attribute of a locked case that holds whether it was accepted with commitment
_COMMITMENT = "_tongban_accepted_with_commitment"


def _lock_case(
    actor: User, number: str, action: str = "", credential: Credential | None = None
) -> tuple[Case, int]:
    """The case row, locked and in the actor's scope (404 otherwise), in one statement
    with the master-data version, the head of its event chain, the states of its paper
    originals, for `action` what it needs besides, and, for a part of a joint case, the
    lock of its lead (ADR 0130, 0143). Its item, implementation and jurisdictions come
    from the per-process cache of that version (ADR 0119), not from a join. With a
    `credential`, the same statement checks it (ADR 0148): no row raises
    `CredentialNotVerified`, since the credential may be why."""
    approval = action in _ASKS_COMMITMENT
    scope = case_scope(actor)
    if credential is None:
        rows = scope.fetch(_APPROVAL_LOCK if approval else _LOCK, number=number)
    else:
        statement = _CHECKED_APPROVAL_LOCK if approval else _CHECKED_LOCK
        rows = statement.fetch(
            (scope.shape(), credential.shape()),
            number=number,
            **scope.values(),
            **credential.values(),
        )
    case = next((row for row in rows if row.number == number), None)
    if case is None and credential is not None:
        raise CredentialNotVerified
    if case is None:
        raise NotFound(_("No such case, or it is outside your scope."))
    row: Any = case
    _take_chain_head(case, row.chain_head)
    # Under READ COMMITTED, a lock statement that waited for the row returns the row as
    # the move that held it left it, but its subqueries read other tables (shipments,
    # events) as of the statement's start: without that move's writes. The chain head
    # tells: it is found for the row's event_count only if that move's event is visible.
    # Only then are the other reads kept; else each falls back to its own statement, as
    # on any case object that was not locked here.
    if _known_chain_head(case) is not None:
        take_inbound_states(case)
        if action in _ASKS_COMMITMENT:
            setattr(case, _COMMITMENT, bool(row.had_accept_with_commitment))
    version = row.master_version or 0
    case.item = versioned.row(ServiceItem, case.item_id, version)
    case.implementation = versioned.row(ItemImplementation, case.implementation_id, version)
    case.handling_jurisdiction = versioned.row(Jurisdiction, case.handling_jurisdiction_id, version)
    if case.receiving_jurisdiction_id is not None:
        case.receiving_jurisdiction = versioned.row(
            Jurisdiction, case.receiving_jurisdiction_id, version
        )
    return case, version


_EVENT_OF_ACTION = prepared.Prepared(
    "event_of_action",
    lambda key, case_id, action: CaseEvent.objects.filter(
        case_id=case_id, action=action
    ).values_list("pk")[:1],
)


def _has_event(case: Case, action: str) -> bool:
    return bool(_EVENT_OF_ACTION.fetch(None, case_id=case.pk, action=str(action)))


def _accepted_with_commitment(case: Case) -> bool:
    """Whether the case was ever accepted with commitment (容缺): as its lock read it, else
    one SELECT."""
    known: bool | None = getattr(case, _COMMITMENT, None)
    if known is not None:
        return known
    return _has_event(case, Action.ACCEPT_WITH_COMMITMENT)


def _variant_for(case: Case, action: str, data: ActionInput) -> str | None:
    if action != Action.SHIP:
        return None
    method = data.method or case.delivery_method
    if method == DeliveryMethod.WINDOW:
        # 就近取证: back to the receiving window when there is one
        return (
            ShipVariant.RECEIVING_WINDOW
            if case.receiving_jurisdiction_id
            else ShipVariant.HANDLING_WINDOW
        )
    if method in ShipVariant.__members__.values():
        return method
    raise Invalid(
        _("Unknown delivery method."),
        code="invalid_delivery_method",
        details={"allowed": [v.value for v in ShipVariant]},
    )


_HANDLERS: dict[Action, Callable[[Case, ActionInput, _Context], _Outcome]] = {
    Action.CHECK: _on_check,
    Action.REQUEST_SUPPLEMENT: _on_request_supplement,
    Action.SUPPLEMENT: _on_supplement,
    Action.TRANSFER: _on_transfer,
    Action.RECEIVE_TRANSFER: _on_receive_transfer,
    Action.RECEIVE_ORIGINALS: _on_receive_originals,
    Action.RETURN_ORIGINALS: _on_return_originals,
    Action.ACCEPT: _on_accept,
    Action.ACCEPT_WITH_COMMITMENT: _on_accept_with_commitment,
    Action.REFUSE: _on_refuse,
    Action.PAUSE: _on_pause,
    Action.RESUME: _on_resume,
    Action.EXTEND: _on_extend,
    Action.APPROVE: _on_approve,
    Action.DENY: _on_deny,
    Action.ISSUE_RESULT: _on_issue_result,
    Action.SHIP: _on_ship,
    Action.SIGN_FOR: _on_sign_for,
    Action.PICKUP: _on_pickup,
    Action.PRINT_LICENCE: _on_print_licence,
    Action.COMPLETE: _on_complete,
    Action.WITHDRAW: _on_withdraw,
    Action.TERMINATE: _on_terminate,
}
