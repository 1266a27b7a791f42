"""The moves of the handling place after acceptance: 特别程序 (pause/resume), 延期
(extend), the decision (approve/deny), issuing the result, and the ends before a
decision (terminate, withdraw).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tongban.accounts.models import Applicant
from tongban.cases import deadlines
from tongban.cases.actions.common import _Context, _days, _need_reason, _now, _Outcome
from tongban.cases.actions.inputs import ActionInput
from tongban.cases.actions.joint import part_outcomes
from tongban.cases.application_forms import uscc_type_char
from tongban.cases.models import (
    Case,
    Status,
)
from tongban.cases.workflow import (
    Guard,
    Leg,
    PartOutcome,
)
from tongban.catalog.models import (
    FormKind,
    ItemImplementation,
    Mode,
)
from tongban.core.errors import Conflict


def _on_terminate(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    reason = _need_reason(data, _("The reason for termination"))
    outcomes = part_outcomes(case) if case.mode == Mode.JOINT else {}
    failed = [number for number, o in outcomes.items() if o == PartOutcome.FAILED]
    if ctx.transition.guard == Guard.PART_FAILED or failed:
        # 多地联办 ended as a whole: a part it cannot do without has failed (ADR 0094)
        if not failed:
            raise Conflict(
                _("No part of this joint case has failed: it cannot be ended as a whole."),
                code="no_failed_part",
            )
        return _Outcome(
            notify="terminated",
            event_data={"reason": reason, "as_a_whole": True, "failed_parts": failed},
        )
    deadline = (
        case.commitment_due
        if case.status == Status.ACCEPTED_CONDITIONALLY
        else (case.supplement_due)
    )
    if deadline is not None and ctx.today <= deadline:
        raise Conflict(
            _("The deadline (%(deadline)s) has not passed yet."),
            code="deadline_not_passed",
            params={"deadline": f"{deadline:%Y-%m-%d}"},
        )
    return _Outcome(notify="terminated", event_data={"reason": reason})


def _on_pause(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    reason = _need_reason(data, _("The special procedure"))
    case.paused_on = ctx.today
    return _Outcome(notify="paused", event_data={"reason": reason})


def _on_resume(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    paused_on = case.paused_on
    deadlines.add_paused_days(case, ctx.cal, ctx.today)
    return _Outcome(
        notify="resumed",
        event_data={
            "paused_on": paused_on.isoformat() if paused_on else None,
            "paused_working_days": case.paused_working_days,
        },
    )


def _on_extend(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    reason = _need_reason(data, _("The reason for the extension"))
    limit = deadlines.STATUTORY_EXTENSION["joint" if case.mode == Mode.JOINT else "default"]
    remaining = limit - case.extension_days
    if remaining <= 0:
        raise Conflict(_("The statutory extension is used up."), code="extension_exhausted")
    days = _days(data, remaining, 1, remaining, _("The days of extension"))
    case.extension_days += days
    return _Outcome(
        notify="extended", event_data={"days": days, "reason": reason}, notify_extra={"days": days}
    )


def _on_approve(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    event: dict[str, Any] = {}
    if case.item.form_kind == FormKind.SEAL_ENGRAVING:
        event = _seal_engraving_record(case)
    case.decided_at = _now()
    return _Outcome(notify="approved", event_data=event)


def _seal_engraving_record(case: Case) -> dict[str, Any]:
    """Seals are engraved (and filed with public security) for a registered enterprise:
    in a bundle, only once the lead case has issued the business licence."""
    # licences sits above cases: seals wait for the bundle's business licence
    from tongban.licences.models import Licence

    seals = list(case.form_data.get("seals") or [])
    if case.parent_id is None:
        holder = case.applicant
    else:
        licence = (
            # a licence still being signed already names its holder (ADR 0121)
            Licence.objects.filter(
                case_id=case.parent_id,
                status__in=[Licence.Status.SIGNING, Licence.Status.VALID],
            )
            .select_related("holder")
            .first()
        )
        if licence is None:
            raise Conflict(
                _("The business licence has not been issued yet: seals cannot be engraved."),
                code="licence_not_issued",
            )
        holder = licence.holder
    return {"seals": seals, "enterprise": {"name": holder.name, "uscc": holder.uscc}}


def _on_deny(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    _need_reason(data, _("The reason for denial"))
    case.decided_at = _now()
    return _Outcome(notify="denied")


def _on_issue_result(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    event: dict[str, Any] = {}
    if case.status == Status.APPROVED and (
        case.implementation.result_type == ItemImplementation.ResultType.LICENCE
    ):
        # licences sits above cases: approving a licence item issues it in this transaction
        from tongban.licences.actions import issue_licence_for_case

        holder = None
        # a case opened before the item took its form (or imported history) has none: its
        # applicant stays the holder, as it was when the case was opened
        if case.item.form_kind == FormKind.COMPANY_ESTABLISHMENT and case.form_data:
            holder = _establish_enterprise(case, ctx)
            event["enterprise"] = {"name": holder.name, "uscc": holder.uscc}
        licence = issue_licence_for_case(case, ctx.actor, holder=holder)
        event["licence"] = licence.identifier
        # the worker signs the licence after commit and tells the applicant when it can
        # be opened (ADR 0121): no notice of a licence that is not there yet
        return _Outcome(event_data=event)
    return _Outcome(notify="result_issued", event_data=event)


def _establish_enterprise(case: Case, ctx: _Context) -> Applicant:
    """The enterprise comes into being with its licence, registered in the handling place
    (its region code goes into the new 统一社会信用代码)."""
    from tongban.accounts.actions import register_established_enterprise

    form = case.form_data
    region = case.handling_jurisdiction.region
    return register_established_enterprise(
        ctx.actor,
        name=form["proposed_name"],
        region_code=region.code[:6],
        kind=uscc_type_char(form["enterprise_type"]),
        agent=case.applicant,
        address=form["address"],
    )


def _on_withdraw(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    if ctx.leg == Leg.RECEIVING:
        _need_reason(data, _("The reason for withdrawal (on the applicant's behalf)"))
    return _Outcome(notify="withdrawn", event_data={"on_behalf": ctx.leg == Leg.RECEIVING})
