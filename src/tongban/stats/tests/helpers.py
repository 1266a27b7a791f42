"""Cases and their events written with the ORM for the statistics and ratings tests (the
workflow's actions are tested in cases/; here we need histories with chosen timestamps).
Every path follows the transition table in cases/workflow.py."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from typing import Any

from django.test import Client

from tongban.accounts.models import User
from tongban.cases.models import Case, CaseEvent
from tongban.cases.workflow import find_transition, practice_code_for

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
DONGHU, GEDIAN, HUANGZHOU, KAITIE, JIANGXIA = (
    "420100Z01",
    "420703400",
    "421102",
    "420205",
    "420115",
)
_numbers = itertools.count(1)

PROXY_PATH: tuple[tuple[str, str | None], ...] = (
    ("check", None),
    ("transfer", None),
    ("receive_transfer", None),
    ("accept", None),
    ("approve", None),
    ("issue_result", None),
    ("ship", "post"),
    ("sign_for", None),
    ("complete", None),
)
ONLINE_PATH: tuple[tuple[str, str | None], ...] = (
    ("accept", None),
    ("approve", None),
    ("issue_result", None),
    ("ship", "electronic"),
    ("complete", None),
)


def local(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=ZONE)


def make_case(
    world: Any,
    *,
    item: str = "company",
    receiving: str | None = "421102",
    handling: str = "420100Z01",
    mode: str | None = None,
    channel: str | None = None,
    applicant: str = "person",
    received_at: dt.datetime | None = None,
    agreement: bool = True,
) -> Case:
    """A case just submitted: status and first event as the workflow's submit writes them."""
    mode = mode or ("proxy" if receiving else "online")
    channel = channel or ("window" if receiving else "web")
    received_at = received_at or local(2024, 3, 4)
    status = "received" if mode != "online" else "pending_acceptance"
    impl = world.implementations[(item, handling)]
    case = Case.objects.create(
        number=f"T-{next(_numbers):07d}",
        item=world.items[item],
        implementation=impl,
        mode=mode,
        channel=channel,
        receiving_jurisdiction=world.jurisdictions[receiving] if receiving else None,
        handling_jurisdiction=world.jurisdictions[handling],
        agreement=world.agreement if (agreement and receiving) else None,
        applicant=world.applicants[applicant],
        submitted_by=world.user(f"{receiving or handling}-clerk"),
        status=status,
        practice_code=1,
        delivery_method="post",
        received_at=received_at,
        promised_days=impl.promised_limit_days,
        statutory_days=impl.statutory_limit_days,
        event_count=1,
    )
    CaseEvent.objects.create(
        case=case,
        seq=1,
        action="submit",
        to_status=status,
        practice_code=1,
        at=received_at,
    )
    return case


def advance(case: Case, action: str, at: dt.datetime, variant: str | None = None) -> CaseEvent:
    """Apply one move of the transition table, stamping the case's dates like the workflow."""
    transition = find_transition(action, case.status, variant)
    assert transition is not None, f"{action} from {case.status}"
    source = case.status
    case.status = transition.target
    case.practice_code = practice_code_for(
        transition,
        case.practice_code,
        accepted_with_commitment=case.events.filter(action="accept_with_commitment").exists(),
    )
    case.event_count += 1
    if action in ("accept", "accept_with_commitment"):
        case.accepted_at = at
        case.clock_start = at.astimezone(ZONE).date()
        case.due_date = case.clock_start + dt.timedelta(days=case.promised_days + 2)
    elif action in ("approve", "deny"):
        case.decided_at = at
    elif action == "complete":
        case.completed_at = at
    case.save()
    return CaseEvent.objects.create(
        case=case,
        seq=case.event_count,
        action=action,
        from_status=source,
        to_status=case.status,
        practice_code=case.practice_code,
        at=at,
    )


def path_of(case: Case) -> tuple[tuple[str, str | None], ...]:
    return PROXY_PATH if case.mode != "online" else ONLINE_PATH


def walk(
    case: Case, steps: int | None = None, every: dt.timedelta = dt.timedelta(hours=20)
) -> Case:
    """Move the case `steps` further along its happy path (to completion if None)."""
    path = path_of(case)
    done = case.event_count - 1
    last = case.events.order_by("-seq").values_list("at", flat=True).first()
    at = last or case.received_at
    todo = path[done:] if steps is None else path[done : done + steps]
    for action, variant in todo:
        at = at + every
        advance(case, action, at, variant)
    return case


def completed_case(world: Any, completed_at: dt.datetime | None = None, **kwargs: Any) -> Case:
    """A completed case; its completion is at `completed_at` (default: an hour ago)."""
    from django.utils import timezone

    end = completed_at or timezone.now() - dt.timedelta(hours=1)
    steps = len(PROXY_PATH if kwargs.get("receiving", "421102") else ONLINE_PATH)
    every = dt.timedelta(hours=5)
    kwargs.setdefault("received_at", end - every * steps)
    case = make_case(world, **kwargs)
    return walk(case, every=every)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
