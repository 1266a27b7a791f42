"""The moves around acceptance: 预审 (check), 一次性告知补正 (request_supplement),
补正 (supplement), 受理 (accept), 容缺受理 (accept_with_commitment), 不予受理 (refuse).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongban.cases import deadlines
from tongban.cases.actions.common import _Context, _days, _need_reason, _now, _Outcome, _require
from tongban.cases.actions.inputs import ActionInput
from tongban.cases.actions.joint import _open_parts_on_acceptance
from tongban.cases.actions.originals import _require_originals_if_needed
from tongban.cases.models import (
    Case,
    CaseMaterial,
    Status,
)
from tongban.cases.workflow import OUTSTANDING_MATERIAL_STATES
from tongban.catalog.models import (
    Material,
)
from tongban.core.errors import Conflict, Invalid
from tongban.core.prepared import Prepared

# check and accept ask them of every case: compiled once per connection (ADR 0142)
_MISSING_REQUIRED = Prepared(
    "materials_missing_required",
    lambda key, case_id: CaseMaterial.objects.filter(
        case_id=case_id,
        state=CaseMaterial.State.MISSING,
        material__requirement=Material.Requirement.REQUIRED,
    ).values_list("name"),
)
_OUTSTANDING_FOR_ACCEPTANCE = Prepared(
    "materials_outstanding_for_acceptance",
    lambda key, case_id: CaseMaterial.objects.filter(
        case_id=case_id,
        state__in=OUTSTANDING_MATERIAL_STATES,
        material__requirement__in=[
            Material.Requirement.REQUIRED,
            Material.Requirement.DEFERRABLE,
        ],
    ).values_list("name"),
)


def _on_check(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    missing = [name for (name,) in _MISSING_REQUIRED.fetch(None, case_id=case.pk)]
    if missing:
        raise Conflict(
            _("Required materials are missing: request a supplement first."),
            code="materials_incomplete",
            details={"missing": missing},
        )
    return _Outcome(notify="checked")


def _on_request_supplement(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    if not data.missing:
        raise Invalid(
            _("List every material to supplement."),
            code="missing_field",
            details={"field": "missing"},
        )
    materials = list(case.materials.filter(pk__in=data.missing))
    if len(materials) != len(set(data.missing)):
        raise Invalid(_("A listed material does not belong to the case."), code="unknown_material")
    if case.status == Status.PENDING_ACCEPTANCE:
        _refuse_late_supplement_notice(case, ctx)
    days = _days(data, deadlines.DEFAULT_SUPPLEMENT_DAYS, 1, 60, _("The supplement period"))
    case.supplement_due = ctx.cal.add_working_days(ctx.today, days)
    CaseMaterial.objects.filter(pk__in=[m.pk for m in materials]).update(
        state=CaseMaterial.State.MISSING
    )
    names = [m.name for m in materials]
    return _Outcome(
        notify="supplement_requested",
        event_data={
            "missing": names,
            "material_ids": sorted(set(data.missing)),
            "due": case.supplement_due.isoformat(),
        },
        notify_extra={"missing": names, "due_date": case.supplement_due.isoformat()},
    )


def _refuse_late_supplement_notice(case: Case, ctx: _Context) -> None:
    due = deadlines.supplement_notice_due(case, ctx.cal)
    if ctx.today > due:
        received = deadlines.receipt_day(case)
        raise Conflict(
            _(
                "No supplement notice was given within 5 working days of receipt (by "
                "%(due)s): by law the case counts as accepted from receipt (%(received)s). "
                "Accept it, then ask for a supplement during review."
            ),
            code="supplement_notice_late",
            details={"receipt_day": received.isoformat(), "notice_due": due.isoformat()},
            params={"due": f"{due:%Y-%m-%d}", "received": f"{received:%Y-%m-%d}"},
        )


def _start_acceptance_clock(case: Case, ctx: _Context, outcome: _Outcome) -> None:
    """Acceptance starts the count the next day, or, when the supplement notice was not
    given in time (行政许可法 §32), from the day of receipt."""
    deemed = (
        deadlines.deemed_accepted_from(case, ctx.cal, ctx.today)
        if case.status == Status.PENDING_ACCEPTANCE
        else None
    )
    deadlines.start_clock(
        case, ctx.cal, deemed or ctx.today, case.received_at if deemed is not None else None
    )
    if deemed is not None:
        outcome.event_data["deemed_accepted_from"] = deemed.isoformat()


def _on_supplement(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    open_states = OUTSTANDING_MATERIAL_STATES
    outstanding = case.materials.filter(state__in=open_states)
    provided = set(data.provided)
    if not provided:
        raise Invalid(
            _("List the supplemented materials."),
            code="missing_field",
            details={"field": "provided"},
        )
    known = set(outstanding.values_list("pk", flat=True))
    if not provided <= known:
        raise Invalid(_("A listed material is not outstanding."), code="unknown_material")
    CaseMaterial.objects.filter(pk__in=provided).update(state=CaseMaterial.State.PROVIDED)
    # 容缺: every deferred material must be made good; otherwise every required one
    must_have = [Material.Requirement.REQUIRED]
    if case.status == Status.ACCEPTED_CONDITIONALLY:
        must_have.append(Material.Requirement.DEFERRABLE)
    still_missing = list(
        case.materials.filter(
            state__in=open_states, material__requirement__in=must_have
        ).values_list("name", flat=True)
    )
    if still_missing:
        raise Conflict(
            _("Materials are still outstanding."),
            code="materials_incomplete",
            details={"missing": still_missing},
        )
    if case.status in (Status.SUPPLEMENT_IN_REVIEW,):
        # 补正 during review: the count restarts the day after the supplement arrives
        deadlines.start_clock(case, ctx.cal, ctx.today)
    case.supplement_due = None
    if case.status == Status.ACCEPTED_CONDITIONALLY:
        case.commitment_due = None
    return _Outcome(notify=None, event_data={"provided": sorted(provided)})


def _on_accept(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    missing = [name for (name,) in _OUTSTANDING_FOR_ACCEPTANCE.fetch(None, case_id=case.pk)]
    if missing:
        raise Conflict(
            _("Materials are incomplete: request a supplement or accept conditionally."),
            code="materials_incomplete",
            details={"missing": missing},
        )
    _require_originals_if_needed(case)
    case.accepted_at = _now()
    outcome = _Outcome(notify="accepted")
    _start_acceptance_clock(case, ctx, outcome)
    _open_parts_on_acceptance(case, ctx, outcome)
    return outcome


def _on_accept_with_commitment(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    if case.applicant.bad_credit:
        raise Conflict(
            _("Applicants with a bad-credit record cannot be accepted conditionally."),
            code="bad_credit",
        )
    outstanding = case.materials.filter(state__in=OUTSTANDING_MATERIAL_STATES).select_related(
        "material"
    )
    blocking = [
        m.name
        for m in outstanding
        if m.material and m.material.requirement == Material.Requirement.REQUIRED
    ]
    deferrable = [
        m
        for m in outstanding
        if m.material and m.material.requirement == Material.Requirement.DEFERRABLE
    ]
    if blocking:
        raise Conflict(
            _("Main materials are missing: conditional acceptance is not possible."),
            code="materials_incomplete",
            details={"missing": blocking},
        )
    if not deferrable:
        raise Conflict(_("Nothing is missing: accept normally."), code="nothing_deferred")
    days = _days(
        data, deadlines.DEFAULT_COMMITMENT_DAYS, 1, 30, _("The period to complete the materials")
    )
    _require_originals_if_needed(case)
    CaseMaterial.objects.filter(pk__in=[m.pk for m in deferrable]).update(
        state=CaseMaterial.State.DEFERRED
    )
    case.commitment_due = ctx.cal.add_working_days(ctx.today, days)
    case.accepted_at = _now()
    names = [m.name for m in deferrable]
    outcome = _Outcome(
        notify="accepted_conditionally",
        event_data={"deferred": names, "commitment_due": case.commitment_due.isoformat()},
        notify_extra={"missing": names, "due_date": case.commitment_due.isoformat()},
    )
    _start_acceptance_clock(case, ctx, outcome)
    _open_parts_on_acceptance(case, ctx, outcome)
    return outcome


def _on_refuse(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    reason = _need_reason(data, _("The reason for refusal"))
    authority = _require(
        data.competent_authority, "competent_authority", _("The competent authority")
    )
    case.refusal_reason = reason
    case.competent_authority = authority
    return _Outcome(notify="refused", event_data={"competent_authority": authority})
