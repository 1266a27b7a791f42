"""Every change to a case goes through `submit_case` or `perform_case_action`.

Each call runs in one transaction, locks the case row (SELECT ... FOR UPDATE; SQLite's
IMMEDIATE transaction locks the database), checks the transition table, the caller's leg
and role, the agreement and the action's own rules, appends one immutable CaseEvent,
and queues the applicant notification in the outbox, which is delivered after commit.

The package is split by concern (ADR 0102): `inputs`, `common`, `materials`,
`submission`, `transitions` (the entry point and the handler table), the handlers in
`acceptance`, `decisions`, `originals`, `delivery` and `joint`, and `overdue` (超期预警).
Import the public API from here; underscored names are internal to the package.
"""

from tongban.cases.actions.common import RATING_INVITE_TEMPLATES, legs_of
from tongban.cases.actions.inputs import (
    ACTION_FIELDS,
    NOT_CHECKED,
    REQUIRED_WHEN,
    ActionInput,
    ApplicantInput,
    JointPartInput,
    MaterialInput,
    SubmitInput,
    fields_of,
    label_of,
)
from tongban.cases.actions.joint import end_part_for_lead, part_outcomes
from tongban.cases.actions.materials import licences_standing_in
from tongban.cases.actions.originals import know_inbound_states
from tongban.cases.actions.overdue import send_overdue_warnings, warning_recipients
from tongban.cases.actions.replica import ReplicaInput, apply_peer_move, create_replica
from tongban.cases.actions.submission import Submitted, submit_case, submit_case_once
from tongban.cases.actions.transitions import (
    Performed,
    available_actions,
    perform,
    perform_case_action,
)

__all__ = [
    "ACTION_FIELDS",
    "NOT_CHECKED",
    "RATING_INVITE_TEMPLATES",
    "REQUIRED_WHEN",
    "ActionInput",
    "ApplicantInput",
    "JointPartInput",
    "MaterialInput",
    "Performed",
    "ReplicaInput",
    "SubmitInput",
    "Submitted",
    "apply_peer_move",
    "available_actions",
    "create_replica",
    "end_part_for_lead",
    "fields_of",
    "know_inbound_states",
    "label_of",
    "legs_of",
    "licences_standing_in",
    "part_outcomes",
    "perform",
    "perform_case_action",
    "send_overdue_warnings",
    "submit_case",
    "submit_case_once",
    "warning_recipients",
]
