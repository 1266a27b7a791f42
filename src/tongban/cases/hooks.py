"""Extension points of the case workflow for apps above `cases` (the federation), which
`cases` must not import (docs/architecture.md).

- `on_event_appended`: runs inside the action's transaction, right after the event row
  is written: whatever it writes commits or rolls back with the event, and a DomainError
  it raises refuses the whole action.
- `on_notify_check`: may say that this node must not notify a case's applicant (the
  replica of a case whose applicant relation is held by another node, ADR 0127).
- `on_peer_events`: adds the events another node wrote for the case to its one timeline.
- `on_leg_check`: may say that a leg of a case is owned by another node, so nobody acts
  in it here (each leg's events are written only by its owner, ADR 0127).
- `on_lead_ended`: a joint lead ended as a whole has a part whose ending move belongs to
  a leg another node owns: that node must end it (ADR 0134). Runs inside the lead's
  transaction, like `on_event_appended`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tongban.cases.models import Case, CaseEvent


@dataclass(frozen=True)
class PeerEvent:
    """An event of the case's other leg, written by the node that owns that leg."""

    at: dt.datetime
    node: str
    action: str
    from_status: str
    to_status: str
    practice_code: int
    actor_role: str
    actor_jurisdiction: str
    reason: str
    actor_jurisdiction_name: str = ""


EventHook = Callable[["Case", "CaseEvent"], None]
NotifyCheck = Callable[["Case"], bool]
PeerEvents = Callable[["Case"], list[PeerEvent]]
LegCheck = Callable[["Case", str], bool]
LeadEnded = Callable[["Case", str, str, str, str], None]
_event_hooks: list[EventHook] = []
_notify_checks: list[NotifyCheck] = []
_peer_events: list[PeerEvents] = []
_leg_checks: list[LegCheck] = []
_lead_ended: list[LeadEnded] = []


def on_event_appended(hook: EventHook) -> EventHook:
    """Register `hook(case, event)`; registering the same function twice keeps one."""
    if hook not in _event_hooks:
        _event_hooks.append(hook)
    return hook


def event_appended(case: Case, event: CaseEvent) -> None:
    for hook in tuple(_event_hooks):
        hook(case, event)


def on_notify_check(check: NotifyCheck) -> NotifyCheck:
    """Register `check(case) -> bool`: False keeps this node from notifying the applicant."""
    if check not in _notify_checks:
        _notify_checks.append(check)
    return check


def notifies_applicant(case: Case) -> bool:
    return all(check(case) for check in tuple(_notify_checks))


def on_peer_events(provider: PeerEvents) -> PeerEvents:
    """Register `provider(case) -> [PeerEvent]`: the other node's events of the case."""
    if provider not in _peer_events:
        _peer_events.append(provider)
    return provider


def peer_events(case: Case) -> list[PeerEvent]:
    return [event for provider in tuple(_peer_events) for event in provider(case)]


def on_leg_check(check: LegCheck) -> LegCheck:
    """Register `check(case, leg) -> bool`: False when another node owns that leg."""
    if check not in _leg_checks:
        _leg_checks.append(check)
    return check


def owns_leg(case: Case, leg: str) -> bool:
    return all(check(case, leg) for check in tuple(_leg_checks))


def on_lead_ended(hook: LeadEnded) -> LeadEnded:
    """Register `hook(part, action, lead_number, lead_status, reason)`."""
    if hook not in _lead_ended:
        _lead_ended.append(hook)
    return hook


def lead_ended(part: Case, action: str, lead_number: str, lead_status: str, reason: str) -> None:
    for hook in tuple(_lead_ended):
        hook(part, action, lead_number, lead_status, reason)
