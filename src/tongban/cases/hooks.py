"""Extension points of the case workflow for apps above `cases` (the federation), which
`cases` must not import (docs/architecture.md). A hook runs inside the action's
transaction, right after the event row is written: whatever it writes commits or rolls
back with the event, and a DomainError it raises refuses the whole action."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tongban.cases.models import Case, CaseEvent

EventHook = Callable[["Case", "CaseEvent"], None]
_event_hooks: list[EventHook] = []


def on_event_appended(hook: EventHook) -> EventHook:
    """Register `hook(case, event)`; registering the same function twice keeps one."""
    if hook not in _event_hooks:
        _event_hooks.append(hook)
    return hook


def event_appended(case: Case, event: CaseEvent) -> None:
    for hook in tuple(_event_hooks):
        hook(case, event)
