"""What every case action shares: the clock, the caller's legs of a case, case numbers,
the append-only event, the applicant notification, and the small input checks.

The `_Context` and `_Outcome` of a move are here too: `transitions` builds the first and
reads the second; the `_on_*` handlers of the other modules take and return them.
Names with a leading underscore are internal to the `tongban.cases.actions` package.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts import access
from tongban.accounts.models import User
from tongban.cases import hooks
from tongban.cases.actions.inputs import ActionInput
from tongban.cases.models import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    Status,
)
from tongban.cases.workflow import (
    Leg,
    Transition,
)
from tongban.catalog.models import (
    ItemImplementation,
    ServiceItem,
)
from tongban.catalog.selectors import published_implementation, published_implementation_at
from tongban.core import counters
from tongban.core.errors import Invalid, StrOrPromise
from tongban.regions.calendar import WorkingCalendar
from tongban.regions.models import Jurisdiction


def _now() -> dt.datetime:
    return timezone.now()


def legs_of(user: User | AnonymousUser, case: Case) -> dict[Leg, set[str]]:
    """The legs of this case the user acts in, with their roles there."""
    legs: dict[Leg, set[str]] = {}
    if case.receiving_jurisdiction_id is not None:
        roles = access.roles_in(user, case.receiving_jurisdiction_id)
        if roles:
            legs[Leg.RECEIVING] = roles
    roles = access.roles_in(user, case.handling_jurisdiction_id)
    if roles:
        legs[Leg.HANDLING] = roles
    if getattr(user, "pk", None) is not None and case.applicant.user_id == user.pk:
        legs[Leg.APPLICANT] = {"applicant"}
    # a leg another federation node owns is acted in there only (ADR 0127)
    return {leg: roles for leg, roles in legs.items() if hooks.owns_leg(case, leg)}


def _signed_in(actor: User | AnonymousUser) -> User:
    """The caller, once `require_authenticated` has turned the anonymous away (401)."""
    access.require_authenticated(actor)
    return cast(User, actor)


def _next_case_number(jurisdiction: Jurisdiction, day: dt.date) -> str:
    """`{jurisdiction code}-{YYYYMMDD}-{6-digit running number}`: unique nationwide because
    jurisdiction codes are. The counter row is locked until the transaction commits."""
    prefix = f"{jurisdiction.code}-{day:%Y%m%d}"
    return f"{prefix}-{draw_running_number(prefix):06d}"


def draw_running_number(prefix: str) -> int:
    """The next running number of `prefix` (1 for a new prefix); the counter row stays
    locked until the transaction ends (`core.counters.draw`)."""
    return counters.draw(CaseNumberCounter, prefix)


def _append_event(
    case: Case,
    action: str,
    from_status: str,
    actor: User | None,
    actor_role: str,
    actor_jurisdiction_id: int | None,
    practice_code: int,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    head = _known_chain_head(case)
    case.event_count += 1
    event = CaseEvent(
        case=case,
        seq=case.event_count,
        action=action,
        from_status=from_status,
        to_status=case.status,
        practice_code=practice_code,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=actor_role,
        actor_jurisdiction_id=actor_jurisdiction_id,
        at=_now(),
        reason=reason,
        data=data or {},
    )
    if head is not None:
        event.link(head)  # sealed here: the INSERT does not read the link before
    event.save()
    _remember_chain_head(case, event)
    # e.g. the federation replicates the event to the node of the case's other leg
    hooks.event_appended(case, event)
    return event


# the attribute of a locked case that holds (seq, digest) of its newest event
_CHAIN_HEAD = "_tongban_chain_head"


def _remember_chain_head(case: Case, event: CaseEvent) -> None:
    setattr(case, _CHAIN_HEAD, (event.seq, event.digest))


def _take_chain_head(case: Case, digest: str | None) -> None:
    """Keep the chain head that the lock statement read (`CaseEvent.head_subquery` of the
    case's `event_count`). None is trusted only for a case without events: anything
    else falls back to `seal`'s own read."""
    if digest is not None or case.event_count == 0:
        setattr(case, _CHAIN_HEAD, (case.event_count, digest or ""))


def _known_chain_head(case: Case) -> str | None:
    """The digest of the case's newest event if this object knows it for certain: read
    with the row lock (ADR 0130) or written by this object since. Only when it is the
    head of `event_count` exactly: an event appended through another object of the same
    row leaves it unused, and `seal` reads the link before itself."""
    known = getattr(case, _CHAIN_HEAD, None)
    if known is None or known[0] != case.event_count:
        return None
    return str(known[1])


def _row_state(case: Case) -> dict[str, Any]:
    """The case row's values as loaded, to write back only what an action changed. An
    encrypted value still sealed (ADR 0146) is taken as it is, not decrypted."""
    state: dict[str, Any] = {}
    loaded = vars(case)
    for column in Case._meta.concrete_fields:
        name = column.attname
        value = loaded[name] if name in loaded else getattr(case, name)
        # a JSON value may be changed in place: compare with a copy of it
        state[name] = copy.deepcopy(value) if isinstance(value, dict | list) else value
    return state


def _save_changes(case: Case, before: dict[str, Any]) -> None:
    """UPDATE the columns that differ from `before` (`_row_state`), and `updated_at`: a
    move changes a handful of the row's fifty columns, and the encrypted ones (the
    application form, the address) are not encrypted again for nothing. A value still
    sealed was never read, so it is the one loaded; one read since is compared in clear
    (`Sealed.__eq__` decrypts the loaded one anew)."""
    now = vars(case)
    changed = [
        name for name, value in before.items() if now[name] is not value and now[name] != value
    ]
    case.save(update_fields=[*changed, "updated_at"])


# the notifications that end a rateable service (好差评 covers refused and withdrawn too)
RATING_INVITE_TEMPLATES = frozenset({"completed", "refused", "withdrawn"})


def _notify(case: Case, template: str, **extra: Any) -> None:
    # notifications sits above cases: queueing is a call upward, inside the transaction
    from tongban.notifications.actions import queue_case_notification

    if not hooks.notifies_applicant(case):
        return  # another node holds the applicant relation and notifies (ADR 0127)
    context: dict[str, Any] = {
        "case_number": case.number,
        "item_name": case.item.name,
        "status": case.status,
        "status_label": Status(case.status).label,
    }
    context.update({k: v for k, v in extra.items() if v not in (None, "", [])})
    if template in RATING_INVITE_TEMPLATES:
        # ratings sits above cases: completing a case invites the applicant to rate it
        from tongban.ratings.actions import invite_to_rate

        # an applicant without a portal account rates through a one-time link
        link = invite_to_rate(case)
        if link:
            context["rating_link"] = link
    queue_case_notification(case, template, context)


def _require(value: str, field_name: str, label: StrOrPromise) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(
            _("%(label)s is required."),
            code="missing_field",
            details={"field": field_name},
            params={"label": label},
        )
    return value


@dataclass(frozen=True)
class _Posting:
    """What a shipment by post needs: who carries it, its waybill number and, when it goes
    to the applicant, the address ("" when it goes to a window or the handling place)."""

    carrier: str
    waybill_number: str
    address: str


def _posting(data: ActionInput, *, to_applicant: bool = False, address: str = "") -> _Posting:
    """The one rule for every shipment (the result, the originals there and back): carrier
    and waybill number required, and an address when it goes to the applicant (`address`
    is what the case already knows, used when the step names none)."""
    carrier = _require(data.carrier, "carrier", _("The carrier"))
    waybill = _require(data.waybill_number, "waybill_number", _("The waybill number"))
    to = (data.address or address).strip() if to_applicant else ""
    if to_applicant and not to:
        _require("", "address", _("The delivery address"))
    return _Posting(carrier, waybill, to)


def _implementation(
    item: ServiceItem, handling: Jurisdiction, on: dt.date, version: int | None = None
) -> ItemImplementation:
    """The published implementation in force (with `version`: the shared one of the
    per-process master-data cache, ADR 0119), else `item_not_implemented`."""
    implementation = (
        published_implementation(item, handling, on)
        if version is None
        else published_implementation_at(item, handling, on, version)
    )
    if implementation is None:
        raise Invalid(
            _("%(short_name)s has not published an implementation of “%(item)s”."),
            code="item_not_implemented",
            params={"short_name": handling.short_name, "item": item.name},
        )
    return implementation


@dataclass
class _Context:
    actor: User
    leg: Leg
    role: str
    today: dt.date
    cal: WorkingCalendar
    transition: Transition


@dataclass
class _Outcome:
    notify: str | None = None
    event_data: dict[str, Any] = field(default_factory=dict)
    notify_extra: dict[str, Any] = field(default_factory=dict)
    after: list[Callable[[], None]] = field(default_factory=list)


def _need_reason(data: ActionInput, label: StrOrPromise | None = None) -> str:
    return _require(data.reason, "reason", label or _("The reason"))


def _days(data: ActionInput, default: int, low: int, high: int, what: StrOrPromise) -> int:
    days = default if data.days is None else data.days
    if not low <= days <= high:
        raise Invalid(
            _("%(what)s must be between %(low)s and %(high)s working days."),
            code="invalid_days",
            details={"min": low, "max": high},
            params={"what": what, "low": low, "high": high},
        )
    return days
