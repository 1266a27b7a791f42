"""多地联办: the parts (sub-cases) of a joint lead, opened on acceptance, their outcomes,
and how the lead completes once its parts have ended, or ends them when it ends
(ADR 0094).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from tongban.cases import deadlines, hooks
from tongban.cases.actions.common import (
    _append_event,
    _Context,
    _implementation,
    _next_case_number,
    _notify,
    _now,
    _Outcome,
)
from tongban.cases.actions.inputs import ActionInput, MaterialInput
from tongban.cases.actions.materials import _create_materials
from tongban.cases.application_forms import clean_form
from tongban.cases.models import Case, Status
from tongban.cases.workflow import (
    APPROVED_AFTER_COMMITMENT_CODE,
    APPROVED_CODE,
    FINAL_STATES,
    PART_INITIAL_STATE,
    PARTS_OPEN_ON,
    SUBMIT_PRACTICE_CODE,
    Action,
    PartOutcome,
    Transition,
    cascade_for,
    find_transition,
    guard_holds,
    part_outcome,
)
from tongban.catalog.models import (
    DeliveryMethod,
    FormKind,
    Material,
    Mode,
    ServiceItem,
)
from tongban.core.errors import Conflict
from tongban.regions.models import Jurisdiction

APPROVED_CODES = frozenset({APPROVED_CODE, APPROVED_AFTER_COMMITMENT_CODE})


def part_outcomes(case: Case) -> dict[str, PartOutcome]:
    """The outcome of each part of a joint lead, by sub-case number (empty otherwise).

    Whether a part was approved is read from its practice code, not from its events: the
    decision's code (11, or 12 after 容缺) stays with the case to its end, since the rows
    after a decision carry none, and a part handled on another node has the code its
    node's events brought but none of those events as its own (ADR 0134)."""
    if case.mode != Mode.JOINT or case.parent_id is not None:
        return {}  # only a joint lead has parts (`_open_subcases`): nothing to read
    parts = case.subcases.order_by("number").values_list("number", "status", "practice_code")
    return {number: part_outcome(status, code in APPROVED_CODES) for number, status, code in parts}


def _open_parts_on_acceptance(case: Case, ctx: _Context, outcome: _Outcome) -> None:
    if (
        ctx.transition.action in PARTS_OPEN_ON
        and case.mode == Mode.JOINT
        and case.parent_id is None
        and case.joint_parts
        and not case.subcases.exists()
    ):
        outcome.event_data["subcases"] = _open_subcases(case, ctx)


def _open_subcases(parent: Case, ctx: _Context) -> list[str]:
    numbers = []
    for part in parent.joint_parts:
        jurisdiction = Jurisdiction.objects.get(code=part["jurisdiction"])
        item = ServiceItem.objects.get(code=part["item"])
        implementation = _implementation(item, jurisdiction, ctx.today)
        sub = Case(
            number=_next_case_number(parent.handling_jurisdiction, ctx.today),
            item=item,
            implementation=implementation,
            mode=Mode.JOINT,
            channel=parent.channel,
            receiving_jurisdiction=parent.handling_jurisdiction,
            handling_jurisdiction=jurisdiction,
            agreement=parent.agreement,
            parent=parent,
            applicant=parent.applicant,
            submitted_by=ctx.actor,
            status=PART_INITIAL_STATE,
            practice_code=SUBMIT_PRACTICE_CODE,
            delivery_method=DeliveryMethod.ELECTRONIC,
            received_at=_now(),
            promised_days=implementation.promised_limit_days,
            promised_hours=implementation.promised_limit_hours,
            statutory_days=deadlines.statutory_days_for(Mode.JOINT, implementation),
            bundle=parent.bundle,
            form_data=_part_form(parent, item),
        )
        deadlines.refresh_dates(sub, deadlines.calendar_of(sub), ctx.today)
        sub.save()
        _create_materials(
            sub,
            implementation,
            [
                MaterialInput(material_id=m.pk)
                for m in implementation.materials.all()
                if m.requirement != Material.Requirement.OPTIONAL
            ],
        )
        _append_event(
            sub,
            Action.SUBMIT,
            "",
            ctx.actor,
            ctx.role,
            parent.handling_jurisdiction_id,
            SUBMIT_PRACTICE_CODE,
            data={"parent": parent.number, "mode": "joint"},
        )
        sub.save(update_fields=["event_count"])
        numbers.append(sub.number)
    return numbers


def _part_form(parent: Case, item: ServiceItem) -> dict[str, Any]:
    """A bundle part's form comes from the lead application (one form, filled once)."""
    if item.form_kind == FormKind.SEAL_ENGRAVING and parent.form_data.get("seals"):
        return clean_form(
            item.form_kind,
            {
                "enterprise_name": parent.form_data["proposed_name"],
                "seals": parent.form_data["seals"],
            },
        )
    return {}


def _on_complete(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    outcomes = part_outcomes(case)
    if not guard_holds(ctx.transition.guard, outcomes.values()):
        open_subcases = [n for n, o in outcomes.items() if o == PartOutcome.OPEN]
        raise Conflict(
            gettext_lazy("Joint sub-cases are still open."),
            code="subcases_open",
            details={"subcases": open_subcases},
        )
    case.completed_at = _now()
    event, extra = _joint_outcome(case, outcomes)
    return _Outcome(notify="completed", event_data=event, notify_extra=extra)


def _joint_outcome(
    case: Case, outcomes: dict[str, PartOutcome]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the completion of a joint lead records and tells the applicant: every part's
    outcome, and for a partial completion (部分办结) which parts failed and why."""
    if not outcomes:
        return {}, {}
    failed = [number for number, o in outcomes.items() if o == PartOutcome.FAILED]
    event: dict[str, Any] = {
        "parts": {number: o.value for number, o in outcomes.items()},
        "partial": bool(failed),
    }
    if not failed:
        return event, {}
    lines = []
    for sub in case.subcases.filter(number__in=failed).select_related(
        "item", "handling_jurisdiction"
    ):
        reason = _last_reason(sub)
        why = Status(sub.status).label if sub.status != Status.COMPLETED else "不予许可"
        lines.append(
            f"{sub.handling_jurisdiction.short_name}·{sub.item.name}({sub.number}):{why}"
            + (f",{reason}" if reason else "")
        )
    event["failed_parts"] = failed
    return event, {"failed_parts": lines}


def _last_reason(part: Case) -> str:
    """The latest reason recorded on a part: by this node, or by the node that handles
    the part (its refusal or denial is that node's event, ADR 0134)."""
    last = part.events.exclude(reason="").order_by("-seq").first()
    found = [(last.at, last.reason)] if last is not None else []
    found += [(e.at, e.reason) for e in hooks.peer_events(part) if e.reason]
    return max(found)[1] if found else ""


def _complete_parent_if_ready(parent_id: int) -> None:
    """The lead of a joint case completes by itself once its own result is delivered and
    every part has ended, recording the parts that failed (ADR 0094). The move is the
    table's `complete` row, performed by the system."""
    parent = Case.objects.select_for_update().select_related("item").get(pk=parent_id)
    transition = find_transition(Action.COMPLETE, parent.status)
    outcomes = part_outcomes(parent)
    if transition is None or not guard_holds(transition.guard, outcomes.values()):
        return
    from_status = parent.status
    event, extra = _joint_outcome(parent, outcomes)
    parent.status = transition.target
    if transition.practice_code is not None:
        parent.practice_code = transition.practice_code
    parent.completed_at = _now()
    deadlines.clear_dates_for_final_state(parent)
    _append_event(
        parent,
        Action.COMPLETE,
        from_status,
        None,
        "system",
        None,
        parent.practice_code,
        "全部联办子件已结束" + ("(部分办结)" if event.get("partial") else ""),
        {"automatic": True, **event},
    )
    parent.save()
    _notify(parent, "completed", **extra)


def _end_open_parts(lead: Case, action: str, reason: str) -> None:
    """A joint lead that has just been terminated or withdrawn as a whole ends its parts
    that are still undecided, with the same action, by the table's rows (ADR 0094). A
    part whose ending row belongs to a leg another node owns (the handling leg of a part
    handled there) is ended by that node, told through `hooks.lead_ended` (ADR 0134)."""
    if lead.mode != Mode.JOINT or lead.parent_id is not None:
        return
    for part in (
        lead.subcases.select_for_update(of=("self",))
        .select_related("item", "handling_jurisdiction", "receiving_jurisdiction")
        .exclude(status__in=FINAL_STATES)
        .order_by("pk")
    ):
        transition = cascade_for(action, lead.status, part.status)
        if transition is None:
            continue
        if not any(hooks.owns_leg(part, leg) for leg in transition.legs):
            hooks.lead_ended(part, action, lead.number, lead.status, reason)
            continue
        _end_part(part, transition, action, lead.number, lead.status, reason, None)


def _end_part(
    part: Case,
    transition: Transition,
    action: str,
    lead_number: str,
    lead_status: str,
    reason: str,
    jurisdiction_id: int | None,
) -> None:
    from_status = part.status
    part.status = transition.target
    if transition.practice_code is not None:
        part.practice_code = transition.practice_code
    deadlines.clear_dates_for_final_state(part)
    _append_event(
        part,
        action,
        from_status,
        None,
        "system",
        jurisdiction_id,
        part.practice_code,
        f"联办主件{lead_number}已{Status(lead_status).label}" + (f":{reason}" if reason else ""),
        {"automatic": True, "lead": lead_number},
    )
    part.save()


def end_part_for_lead(
    number: str, *, action: str, lead_number: str, lead_status: str, reason: str
) -> Case | None:
    """This node's part of a joint case whose lead, on another node, has just ended as a
    whole: ended as a local part would be, by the same table row, as the system acting for
    the part's handling leg (this node's), so the event replicates back to the lead's node
    like any move of that leg. A part already decided (or ended) is left as it is, as a
    local one is; None when the case is not here (ADR 0134)."""
    with transaction.atomic():
        part = (
            Case.objects.select_for_update(of=("self",))
            .select_related("item", "handling_jurisdiction", "receiving_jurisdiction")
            .filter(number=number, mode=Mode.JOINT)
            .first()
        )
        if part is None:
            return None
        transition = cascade_for(action, lead_status, part.status)
        if transition is not None:
            _end_part(
                part,
                transition,
                action,
                lead_number,
                lead_status,
                reason,
                part.handling_jurisdiction_id,
            )
    return part
