"""Paper originals of a proxy case: the transfer with the electronic file, the handling
place signing for the paper, and returning it; acceptance waits for the paper when the
implementation says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Exists, OuterRef
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


def _inbound_to(case_id: Any) -> Any:
    return Shipment.objects.filter(
        case_id=case_id,
        purpose=Shipment.Purpose.ORIGINALS,
        destination=Shipment.Destination.HANDLING_PLACE,
    )


# the states the paper guards ask about: originals on their way here, originals held here
GUARDED_STATES = (Shipment.State.IN_TRANSIT, Shipment.State.SIGNED)

# the attribute of a locked case that holds which of GUARDED_STATES its inbound originals
# are in, as the lock statement read them and this object's own paper moves changed them
_KNOWN_STATES = "_tongban_originals_inbound"


def inbound_states_annotations() -> dict[str, Exists]:
    """For the case's lock statement (ADR 0143): per guarded state, whether some of the
    case's originals on their way to the handling place are in it. The paper guards of
    every action's answer, and the moves that ask whether the paper is still in the post,
    then read nothing more."""
    return {
        f"originals_{state}": Exists(_inbound_to(OuterRef("pk")).filter(state=state))
        for state in GUARDED_STATES
    }


def take_inbound_states(case: Case) -> None:
    """Keep what the lock statement read (`inbound_states_annotations`). Only for a row
    whose lock read is current (`_lock_case` decides)."""
    row: Any = case
    known = frozenset(s for s in GUARDED_STATES if getattr(row, f"originals_{s}"))
    setattr(case, _KNOWN_STATES, known)


def know_inbound_states(case: Case, shipments: Iterable[Mapping[str, Any]]) -> None:
    """Keep what a read of *all* the case's shipments, as rows of SHIPMENT_FIELDS, says of
    the paper originals on their way to the handling place: the paper guards of its
    available actions then read nothing more (a paper-path look-up ran one statement more
    for them: issue 12 §4, ADR 0155)."""
    known = frozenset(
        row["state"]
        for row in shipments
        if row["purpose"] == Shipment.Purpose.ORIGINALS
        and row["destination"] == Shipment.Destination.HANDLING_PLACE
        and row["state"] in GUARDED_STATES
    )
    setattr(case, _KNOWN_STATES, known)


def _inbound_changed(
    case: Case, *, now_in: str | None = None, none_left_in: str | None = None
) -> None:
    """A paper move of this object changed the inbound originals: keep what it knows
    true. A state that may or may not remain is not known: call `_forget_inbound`."""
    known: frozenset[str] | None = getattr(case, _KNOWN_STATES, None)
    if known is None:
        return
    if now_in is not None:
        known = known | {now_in}
    if none_left_in is not None:
        known = known - {none_left_in}
    setattr(case, _KNOWN_STATES, known)


def _forget_inbound(case: Case) -> None:
    setattr(case, _KNOWN_STATES, None)


# the fallback for a case object that does not know (not from the lock): compiled once
_INBOUND_STATES = Prepared(
    "originals_inbound_states", lambda key, case_id: _inbound_to(case_id).values_list("state")
)


def originals_inbound_states(case: Case) -> set[str]:
    """Which of GUARDED_STATES the case's paper originals on their way to the handling
    place are in: as the locked object knows it, else read."""
    known: frozenset[str] | None = getattr(case, _KNOWN_STATES, None)
    if known is not None:
        return set(known)
    rows = _INBOUND_STATES.fetch(None, case_id=case.pk)
    return {state for (state,) in rows if state in GUARDED_STATES}


def _in_the_post(case: Case) -> bool:
    return Shipment.State.IN_TRANSIT in originals_inbound_states(case)


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
        _inbound_changed(case, now_in=Shipment.State.IN_TRANSIT)
        case.materials.filter(original_required=True, state=CaseMaterial.State.PROVIDED).update(
            original_posted=True
        )
        event.update({"carrier": post.carrier, "waybill_number": post.waybill_number})
    return _Outcome(notify="transferred", event_data=event)


def _on_receive_transfer(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    # the electronic file only: the paper originals are signed for when they arrive
    return _Outcome(
        event_data={
            "discrepancies": data.discrepancies.strip(),
            "originals_in_transit": _in_the_post(case),
        }
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
    # more may still be in the post: only a read can tell
    _forget_inbound(case)
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
    # every one held went back; the returns travel elsewhere, not to the handling place
    _inbound_changed(case, none_left_in=Shipment.State.SIGNED)
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
    if _in_the_post(case):
        raise Conflict(
            _(
                "This item is accepted only once the paper originals have been "
                "signed for; they are still in the post."
            ),
            code="originals_not_received",
        )
