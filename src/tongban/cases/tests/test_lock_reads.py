"""What the case's lock statement reads besides the row (ADR 0143): the states of the
paper originals on their way to the handling place, for the paper guards and the moves
that ask whether the paper is still in the post, and, for approve, whether the case was
accepted with commitment. The locked object keeps them true through its own paper moves;
an object that does not know, or a lock whose read may be older than the row, reads them
as before. Both databases."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tongban.cases import actions
from tongban.cases.actions import transitions
from tongban.cases.actions.originals import originals_inbound_states
from tongban.cases.actions.transitions import (
    _accepted_with_commitment,
    _lock_case,
    available_actions,
    perform,
)
from tongban.cases.models import Case, Shipment
from tongban.cases.tests.conftest import company_submission
from tongban.cases.tests.test_concurrency import _submit_input
from tongban.cases.workflow import Action
from tongban.testing.world import build_world

CLERK, OFFICER = "421102-clerk", "420100Z01-officer"
IN_TRANSIT, SIGNED = Shipment.State.IN_TRANSIT, Shipment.State.SIGNED


def _user(name: str) -> Any:
    from tongban.accounts.models import User

    return User.objects.get(username=name)


def _answer(user: Any, case: Case) -> tuple[list[str], set[str], int]:
    """The answer's actions and paper states as the moved object knows them, the
    statements that took, and a check that a fresh object (which reads) agrees."""
    with CaptureQueriesContext(connection) as queries:
        known = available_actions(user, case)
        states = originals_inbound_states(case)
    fresh = Case.objects.get(pk=case.pk)
    assert states == originals_inbound_states(fresh)
    assert known == available_actions(user, fresh)
    return known, states, len(queries)


def _do(user: Any, number: str, action: str, **data: Any) -> Case:
    return perform(user, number, action, actions.ActionInput(**data)).case


def _file_received(world: Any, api: Any) -> str:
    clerk = api(CLERK)
    created = clerk.post("/cases", company_submission(world))
    assert created.status_code == 201, created.content.decode()
    number: str = created.json()["number"]
    assert clerk.act(number, "check").status_code == 200
    return number


@pytest.mark.django_db
def test_every_paper_move_leaves_the_guards_right_without_a_read(world, api):
    number = _file_received(world, api)
    clerk, officer = _user(CLERK), _user(OFFICER)
    available_actions(officer, Case.objects.get(number=number))  # warms the role caches

    case = _do(clerk, number, "transfer", carrier="EMS", waybill_number="EMS-P1")
    assert _answer(officer, case)[1:] == ({IN_TRANSIT}, 0)

    case = _do(officer, number, "receive_transfer")
    assert case.events.get(action="receive_transfer").data["originals_in_transit"] is True
    known, states, statements = _answer(officer, case)
    assert "receive_originals" in known and "return_originals" not in known
    assert (states, statements) == ({IN_TRANSIT}, 0)

    case = _do(officer, number, "receive_originals")
    known, states, _ = _answer(officer, case)
    assert "return_originals" in known and "receive_originals" not in known
    assert states == {SIGNED}

    case = _do(officer, number, "return_originals", carrier="EMS", waybill_number="EMS-R1")
    known, states, statements = _answer(officer, case)
    assert "return_originals" not in known and "receive_originals" not in known
    assert (states, statements) == (set(), 0)
    # the next lock reads the same
    with transaction.atomic():
        locked, _version = _lock_case(officer, number)
        with CaptureQueriesContext(connection) as queries:
            assert originals_inbound_states(locked) == set()
        assert len(queries) == 0


@pytest.mark.django_db
def test_signing_for_one_of_two_parcels_leaves_the_other_in_the_post(world, api):
    number = _file_received(world, api)
    clerk, officer = _user(CLERK), _user(OFFICER)
    _do(clerk, number, "transfer", carrier="EMS", waybill_number="EMS-P1")
    _do(officer, number, "receive_transfer")
    Shipment.objects.create(  # a second parcel (e.g. a late original), also inbound
        case=Case.objects.get(number=number),
        purpose=Shipment.Purpose.ORIGINALS,
        destination=Shipment.Destination.HANDLING_PLACE,
        carrier="EMS",
        waybill_number="EMS-P2",
        shipped_at=timezone.now(),
    )
    case = _do(officer, number, "receive_originals")
    known, states, _ = _answer(officer, case)
    assert states == {IN_TRANSIT, SIGNED}
    assert "receive_originals" in known and "return_originals" in known
    # the return sends back what is held; the parcel in the post stays expected
    case = _do(officer, number, "return_originals", carrier="EMS", waybill_number="EMS-R1")
    known, states, statements = _answer(officer, case)
    assert (states, statements) == ({IN_TRANSIT}, 0)
    assert "receive_originals" in known and "return_originals" not in known


@pytest.mark.django_db
def test_an_object_not_from_the_lock_reads_the_states(world, api):
    number = _file_received(world, api)
    _do(_user(CLERK), number, "transfer", carrier="EMS", waybill_number="EMS-P1")
    case = Case.objects.get(number=number)
    with CaptureQueriesContext(connection) as queries:
        assert originals_inbound_states(case) == {IN_TRANSIT}
        assert _accepted_with_commitment(case) is False
    assert len(queries) == 2


@pytest.mark.django_db
def test_a_lock_whose_reads_may_be_older_than_the_row_keeps_none_of_them(world, api):
    # a lock statement that waited for the row sees the row's newest event_count but not
    # that move's event (nor its shipments): here the row counts an event nobody wrote
    number = _file_received(world, api)
    officer = _user(OFFICER)
    _do(_user(CLERK), number, "transfer", carrier="EMS", waybill_number="EMS-P1")
    with transaction.atomic():
        Case.objects.filter(number=number).update(event_count=F("event_count") + 1)
        locked, _version = _lock_case(officer, number, Action.APPROVE)
        with CaptureQueriesContext(connection) as queries:
            assert originals_inbound_states(locked) == {IN_TRANSIT}
            assert _accepted_with_commitment(locked) is False
        assert len(queries) == 2
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_approve_knows_a_commitment_acceptance_from_its_lock(world, api):
    impl = world.implementations[("company", "420100Z01")]
    materials = [
        {"material_id": m.pk, "state": "missing" if m.requirement == "deferrable" else "provided"}
        for m in impl.materials.all()
    ]
    clerk = api(CLERK)
    number = clerk.post("/cases", company_submission(world, materials=materials)).json()["number"]
    officer = _user(OFFICER)
    _do(_user(CLERK), number, "check")
    _do(_user(CLERK), number, "transfer", carrier="EMS", waybill_number="EMS-P1")
    _do(officer, number, "receive_transfer")
    for action in ("approve", "accept"):  # the 容缺 fact is read for approve only
        with transaction.atomic():
            locked, _version = _lock_case(officer, number, action)
            assert hasattr(locked, transitions._COMMITMENT) is (action == "approve")
            transaction.set_rollback(True)
    _do(officer, number, "accept_with_commitment", days=3)
    deferred = list(
        Case.objects.get(number=number).materials.filter(state="deferred").values_list("pk")
    )
    _do(officer, number, "supplement", provided=[pk for (pk,) in deferred])
    with transaction.atomic():
        locked, _version = _lock_case(officer, number, Action.APPROVE)
        with CaptureQueriesContext(connection) as queries:
            assert _accepted_with_commitment(locked) is True
        assert len(queries) == 0
        transaction.set_rollback(True)
    assert _do(officer, number, "approve").practice_code == 12


@pytest.mark.django_db(transaction=True)
def test_a_lock_that_waited_for_a_paper_move_reads_its_outcome(today):
    """Two moves at once on PostgreSQL: the second lock waits for the first, which signs
    for the paper; the second's answer must offer its return, not its signature."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("needs a database that several connections share")
    world = build_world()
    clerk, officer = world.user(CLERK), world.user(OFFICER)
    case = actions.submit_case(clerk, _submit_input(world))
    number = case.number
    _do(clerk, number, "check")
    _do(clerk, number, "transfer", carrier="EMS", waybill_number="1")
    _do(officer, number, "receive_transfer")

    signed = threading.Event()
    release = threading.Event()
    handler = transitions._HANDLERS[Action.RECEIVE_ORIGINALS]

    def held_signature(*args: Any) -> Any:
        outcome = handler(*args)
        signed.set()
        release.wait(30)  # holds the row lock until the other move is waiting for it
        return outcome

    results: dict[str, Any] = {}

    def run(name: str, work: Any) -> None:
        try:
            results[name] = work()
        except Exception as exc:  # asserted on below
            results[name] = exc
        finally:
            connections.close_all()

    def second() -> list[str]:
        user = type(officer).objects.get(pk=officer.pk)
        moved = _do(user, number, "accept")
        return available_actions(user, moved)

    transitions._HANDLERS[Action.RECEIVE_ORIGINALS] = held_signature
    try:
        user = type(officer).objects.get(pk=officer.pk)
        first = threading.Thread(
            target=run, args=("first", lambda: _do(user, number, "receive_originals"))
        )
        first.start()
        assert signed.wait(30)
        waiting = threading.Thread(target=run, args=("second", second))
        waiting.start()
        time.sleep(0.5)  # the second lock statement has started and waits for the row
        release.set()
        first.join(60)
        waiting.join(60)
    finally:
        transitions._HANDLERS[Action.RECEIVE_ORIGINALS] = handler
    assert isinstance(results["first"], Case), results
    offered = results["second"]
    assert isinstance(offered, list), results
    assert "return_originals" in offered and "receive_originals" not in offered
