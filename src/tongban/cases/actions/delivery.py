"""Delivering the result: shipping it, signing for it at the receiving window, 异地打照
(print_licence) and the pickup with a one-time code.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.utils.translation import gettext_lazy as _

from tongban.accounts.identifiers import normalise
from tongban.cases.actions.common import _Context, _now, _Outcome, _posting, _require
from tongban.cases.actions.inputs import ActionInput
from tongban.cases.models import (
    Case,
    Shipment,
    Status,
)
from tongban.cases.workflow import (
    Action,
    Leg,
    ShipVariant,
)
from tongban.catalog.models import (
    DeliveryMethod,
    FormKind,
)
from tongban.core.errors import Conflict, Forbidden, Invalid
from tongban.core.prepared import PreparedUpdate


def _pickup_hash(case: Case, code: str) -> str:
    return hashlib.sha256(f"{case.number}:{code}".encode()).hexdigest()


def _issue_pickup_code(case: Case) -> str:
    code = f"{secrets.randbelow(10**6):06d}"
    case.pickup_code_hash = _pickup_hash(case, code)
    return code


def _on_ship(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    variant = ctx.transition.variant
    event: dict[str, Any] = {"method": variant}
    extra: dict[str, Any] = {}
    if variant in (ShipVariant.POST, ShipVariant.RECEIVING_WINDOW):
        to_applicant = variant == ShipVariant.POST
        post = _posting(data, to_applicant=to_applicant, address=case.delivery_address)
        Shipment.objects.create(
            case=case,
            purpose=Shipment.Purpose.RESULT,
            destination=(
                Shipment.Destination.APPLICANT
                if to_applicant
                else Shipment.Destination.RECEIVING_WINDOW
            ),
            carrier=post.carrier,
            waybill_number=post.waybill_number,
            address=post.address,
            shipped_at=_now(),
        )
        event.update({"carrier": post.carrier, "waybill_number": post.waybill_number})
        extra.update({"carrier": post.carrier, "waybill_number": post.waybill_number})
    if variant == ShipVariant.HANDLING_WINDOW:
        code = _issue_pickup_code(case)
        return _Outcome(
            notify="ready_for_pickup", event_data=event, notify_extra={"pickup_code": code}
        )
    return _Outcome(
        notify="delivered" if variant == ShipVariant.ELECTRONIC else "shipped",
        event_data=event,
        notify_extra=extra,
    )


# every result sent by post is signed for: compiled once per connection (ADR 0142)
_SIGN_RESULT = PreparedUpdate(
    "shipment_sign_result",
    lambda key, case_id, signed_at: (
        Shipment.objects.filter(
            case_id=case_id, purpose=Shipment.Purpose.RESULT, state=Shipment.State.IN_TRANSIT
        ),
        {"state": Shipment.State.SIGNED, "signed_at": signed_at},
    ),
)


def _on_sign_for(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    _SIGN_RESULT.run(None, case_id=case.pk, signed_at=_now())
    if ctx.transition.target == Status.AWAITING_PICKUP:
        code = _issue_pickup_code(case)
        return _Outcome(notify="ready_for_pickup", notify_extra={"pickup_code": code})
    return _Outcome(notify="delivered")


def _on_print_licence(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    """异地打照: the receiving window prints the paper licence from the signed e-licence,
    after checking its signatures, and the applicant collects it there with a pickup code.
    The event records who printed which licence (identifier, version, PDF digest) and
    which copy this is."""
    # licences sits above cases: a licence is verified before it is printed
    from tongban.licences.models import Licence
    from tongban.licences.selectors import VerificationStatus, require_signed, verify_licence

    if case.delivery_method != DeliveryMethod.WINDOW:
        raise Conflict(
            _("The applicant did not choose pickup at the window."), code="not_window_delivery"
        )
    licence = (
        Licence.objects.filter(case=case, status__in=[Licence.Status.VALID, Licence.Status.SIGNING])
        .order_by("-version")
        .first()
    )
    if licence is None:
        raise Conflict(_("The case has no valid e-licence to print."), code="no_licence")
    require_signed(licence)
    result = verify_licence(licence.identifier, pdf_bytes=bytes(licence.pdf))
    if result.status != VerificationStatus.VALID:
        raise Conflict(
            _("The e-licence failed verification and cannot be printed."),
            code="licence_failed_verification",
            details={"status": result.status, "problems": result.problems},
        )
    copy = case.events.filter(action=Action.PRINT_LICENCE).count() + 1
    code = _issue_pickup_code(case)
    return _Outcome(
        notify="ready_for_pickup",
        event_data={
            "licence": licence.identifier,
            "version": licence.version,
            "pdf_sha256": licence.pdf_sha256,
            "copy": copy,
            "window": case.receiving_window.code if case.receiving_window else "",
            "verified": True,
        },
        notify_extra={"pickup_code": code},
    )


def _on_pickup(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    # the result waits at the receiving window if it was sent there or printed there (异地
    # 打照), else at the handling place
    waiting_at = (
        Leg.RECEIVING
        if case.events.filter(action__in=[Action.SIGN_FOR, Action.PRINT_LICENCE]).exists()
        and (case.receiving_jurisdiction_id is not None)
        else Leg.HANDLING
    )
    if ctx.leg != waiting_at:
        raise Forbidden(_("The result is not waiting at your window."), code="action_not_permitted")
    code = _require(data.pickup_code, "pickup_code", _("The pickup code"))
    if not case.pickup_code_hash or not secrets.compare_digest(
        case.pickup_code_hash, _pickup_hash(case, code.strip())
    ):
        raise Invalid(_("The pickup code is wrong."), code="wrong_pickup_code")
    picker = normalise(
        _require(data.picker_id_number, "picker_id_number", _("The collector's ID number"))
    )
    allowed = {case.applicant.id_number, case.applicant.agent_id_number} - {""}
    if picker not in allowed:
        raise Invalid(
            _("The person picking up is neither the applicant nor the agent."),
            code="identity_mismatch",
        )
    case.pickup_code_hash = ""
    event: dict[str, Any] = {"identity_checked": True}
    # 企业开办一件事: the seals engraved in the bundle are handed over with the licence
    seals = [
        seal
        for part in case.subcases.filter(
            item__form_kind=FormKind.SEAL_ENGRAVING,
            status__in=[Status.APPROVED, Status.RESULT_ISSUED, Status.DELIVERED, Status.COMPLETED],
        )
        for seal in part.form_data.get("seals", [])
    ]
    if seals:
        event["seals"] = seals
    return _Outcome(notify="delivered", event_data=event)
