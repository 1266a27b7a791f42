"""Paper originals of a proxy case: the transfer with the electronic file, the handling
place signing for the paper, and returning it; acceptance waits for the paper when the
implementation says so.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tongban.cases.actions.common import _Context, _now, _Outcome, _posting, _require
from tongban.cases.actions.inputs import ActionInput
from tongban.cases.models import (
    Case,
    CaseMaterial,
    Shipment,
)
from tongban.catalog.models import (
    DeliveryMethod,
)
from tongban.core.errors import Conflict, Invalid
from tongban.core.prepared import Prepared


def _originals_inbound(case: Case) -> Any:
    return _inbound_to(case.pk)


def _inbound_to(case_id: int) -> Any:
    return Shipment.objects.filter(
        case_id=case_id,
        purpose=Shipment.Purpose.ORIGINALS,
        destination=Shipment.Destination.HANDLING_PLACE,
    )


# the paper guards ask it for every action answered (available_actions): compiled once
_INBOUND_STATES = Prepared(
    "originals_inbound_states", lambda key, case_id: _inbound_to(case_id).values_list("state")
)


def originals_inbound_states(case: Case) -> set[str]:
    """The states the case's paper originals on their way to the handling place are in."""
    return {state for (state,) in _INBOUND_STATES.fetch(None, case_id=case.pk)}


def _on_transfer(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    event: dict[str, Any] = {"electronic_push": True}
    if case.implementation.needs_originals:
        post = _posting(data)
        Shipment.objects.create(
            case=case,
            purpose=Shipment.Purpose.ORIGINALS,
            destination=Shipment.Destination.HANDLING_PLACE,
            carrier=post.carrier,
            waybill_number=post.waybill_number,
            shipped_at=_now(),
        )
        case.materials.filter(original_required=True, state=CaseMaterial.State.PROVIDED).update(
            original_posted=True
        )
        event.update({"carrier": post.carrier, "waybill_number": post.waybill_number})
    return _Outcome(notify="transferred", event_data=event)


def _on_receive_transfer(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    # the electronic file only: the paper originals are signed for when they arrive
    in_post = _originals_inbound(case).filter(state=Shipment.State.IN_TRANSIT).exists()
    return _Outcome(
        event_data={"discrepancies": data.discrepancies.strip(), "originals_in_transit": in_post}
    )


def _on_receive_originals(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    shipment = (
        _originals_inbound(case)
        .select_for_update()
        .filter(state=Shipment.State.IN_TRANSIT)
        .order_by("shipped_at", "pk")
        .first()
    )
    if shipment is None:
        raise Conflict(
            _("No paper originals are on their way to be signed for."),
            code="no_originals_in_transit",
        )
    note = data.discrepancies.strip()
    if data.mismatch and not note:
        _require("", "discrepancies", _("How the originals differ from the electronic files"))
    if len(note) > 255:
        raise Invalid(
            _("The note is longer than 255 characters."),
            code="too_long",
            details={"field": "discrepancies", "max_length": 255},
        )
    shipment.state = Shipment.State.SIGNED
    shipment.signed_at = _now()
    shipment.mismatch = data.mismatch
    shipment.note = note
    shipment.save(update_fields=["state", "signed_at", "mismatch", "note"])
    return _Outcome(
        event_data={
            "carrier": shipment.carrier,
            "waybill_number": shipment.waybill_number,
            "mismatch": data.mismatch,
            "discrepancies": note,
        }
    )


def _on_return_originals(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    held = list(
        _originals_inbound(case)
        .select_for_update()
        .filter(state=Shipment.State.SIGNED)
        .order_by("shipped_at", "pk")
    )
    if not held:
        raise Conflict(
            _("The handling place holds no paper originals to return."), code="no_originals_held"
        )
    method = data.method or DeliveryMethod.POST
    if method not in (DeliveryMethod.POST, DeliveryMethod.WINDOW):
        raise Invalid(
            _("Originals go back by post to the applicant or to the receiving window."),
            code="invalid_delivery_method",
            details={"allowed": [DeliveryMethod.POST.value, DeliveryMethod.WINDOW.value]},
        )
    to_applicant = method == DeliveryMethod.POST
    post = _posting(
        data,
        to_applicant=to_applicant,
        address=case.delivery_address or case.applicant.address,
    )
    now = _now()
    for inbound in held:
        Shipment.objects.create(
            case=case,
            purpose=Shipment.Purpose.ORIGINALS,
            destination=(
                Shipment.Destination.APPLICANT
                if to_applicant
                else Shipment.Destination.RECEIVING_WINDOW
            ),
            carrier=post.carrier,
            waybill_number=post.waybill_number,
            address=post.address,
            shipped_at=now,
            return_of=inbound,
        )
    Shipment.objects.filter(pk__in=[s.pk for s in held]).update(state=Shipment.State.RETURNED)
    destination = "applicant" if to_applicant else "receiving_window"
    return _Outcome(
        notify="originals_returned",
        event_data={
            "carrier": post.carrier,
            "waybill_number": post.waybill_number,
            "destination": destination,
        },
        notify_extra={
            "carrier": post.carrier,
            "waybill_number": post.waybill_number,
            "to_window": not to_applicant,
        },
    )


def _require_originals_if_needed(case: Case) -> None:
    if not case.implementation.originals_before_acceptance:
        return
    if _originals_inbound(case).filter(state=Shipment.State.IN_TRANSIT).exists():
        raise Conflict(
            _(
                "This item is accepted only once the paper originals have been "
                "signed for; they are still in the post."
            ),
            code="originals_not_received",
        )
