"""Case events across nodes: an action on a case whose other leg is on another node
queues its event for that node in the same transaction (after the agreement handshake);
the peer's events arrive checked against the same transition table and make one
timeline. Here Hubei serves 黄州 (receiving) and the peer "henan" serves 东湖 (handling)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

from tongban.cases.actions import ActionInput, perform_case_action
from tongban.core.errors import DomainError
from tongban.federation import agreements as fed_agreements
from tongban.federation import envelope
from tongban.federation.models import AgreementCheck, OutboundMessage, ReplicatedCaseEvent
from tongban.federation.selectors import case_timeline
from tongban.federation.testing import act_as, make_federation, node_identity
from tongban.testing.licences import make_case

NODES = {
    "hubei": {"name": "湖北", "jurisdictions": ["421102", "420703400", "420205", "420115"]},
    "henan": {"name": "东湖节点", "jurisdictions": ["420100Z01"]},
}

# the paper originals go by post with the transfer
TRANSFER = ActionInput(carrier="EMS", waybill_number="1100000000001")


@pytest.fixture
def split(settings: Any, tmp_path_factory: pytest.TempPathFactory, world: Any) -> Path:
    from tongban.federation.testing import PASSPHRASE

    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    directory = tmp_path_factory.mktemp("split")
    make_federation(directory, {}, NODES)
    act_as(settings, directory, "hubei")
    return directory


def _confirm(world: Any) -> None:
    AgreementCheck.objects.create(
        peer="henan",
        agreement_code=world.agreement.code,
        agreement_version=world.agreement.version,
        fingerprint=fed_agreements.fingerprint(world.agreement),
        agreed=True,
        checked_at=dt.datetime.now(dt.UTC),
    )


@pytest.mark.django_db
def test_an_action_on_a_case_spanning_two_nodes_queues_its_event_for_the_other(
    split: Path, world: Any
) -> None:
    _confirm(world)
    case = make_case(world, status="received", accepted=False)
    clerk = world.user("421102-clerk")
    perform_case_action(clerk, case.number, "check", ActionInput())
    perform_case_action(clerk, case.number, "transfer", TRANSFER)
    messages = list(OutboundMessage.objects.order_by("seq"))
    assert [(m.peer, m.kind, m.case_ref, m.seq) for m in messages] == [
        ("henan", "case.event", case.number, 1),
        ("henan", "case.event", case.number, 2),
        # the handling node is sent the case itself after the transfer event (ADR 0127)
        ("henan", "case.transfer", case.number, 3),
    ]
    first = messages[0]
    assert first.jurisdiction == "421102"
    assert first.body["action"] == "check" and first.body["to_status"] == "checked"
    assert first.body["handling"] == "420100Z01"
    assert first.agreement_code == world.agreement.code
    # no personal data crosses in an event: the actor is a role and a jurisdiction
    assert "actor" not in first.body and first.body["actor_role"] == "clerk"


@pytest.mark.django_db
def test_without_a_confirmed_agreement_the_action_is_refused_and_nothing_changes(
    split: Path, world: Any
) -> None:
    case = make_case(world, status="received", accepted=False)
    with pytest.raises(DomainError) as refused:
        perform_case_action(world.user("421102-clerk"), case.number, "check", ActionInput())
    assert refused.value.code == "agreement_not_confirmed"
    case.refresh_from_db()
    assert case.status == "received" and not case.events.exists()
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_case_whose_legs_this_node_serves_alone_sends_nothing(split: Path, world: Any) -> None:
    case = make_case(world, status="received", accepted=False, handling="420205")
    perform_case_action(world.user("421102-clerk"), case.number, "check", ActionInput())
    assert not OutboundMessage.objects.exists()


def _event(case: Any, seq: int, **body: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    payload = {
        "event_seq": seq,
        "action": "receive_transfer",
        "from_status": "in_transfer",
        "to_status": "pending_acceptance",
        "practice_code": 1,
        "actor_role": "officer",
        "actor_jurisdiction": "420100Z01",
        "at": now.isoformat(),
        "reason": "",
        "mode": "proxy",
        "receiving": "421102",
        "handling": "420100Z01",
        **body,
    }
    return {
        "v": 1,
        "id": str(uuid.uuid4()),
        "from": "henan",
        "to": "hubei",
        "kind": "case.event",
        "case": case.number,
        "seq": seq,
        "jurisdiction": payload["actor_jurisdiction"],
        "agreement": fed_agreements.block(case.agreement),
        "created": envelope.iso(now),
        "body": payload,
    }


def _post(client: Any, split: Path, claims: dict[str, Any]) -> Any:
    token = envelope.sign_message(node_identity(split, "henan"), claims, dt.datetime.now(dt.UTC))
    return client.post(
        "/api/v1/federation/messages", {"jws": token}, content_type="application/json"
    )


@pytest.mark.django_db
def test_the_peers_events_make_one_timeline_with_ours(client: Any, split: Path, world: Any) -> None:
    _confirm(world)
    case = make_case(world, status="received", accepted=False)
    clerk = world.user("421102-clerk")
    perform_case_action(clerk, case.number, "check", ActionInput())
    perform_case_action(clerk, case.number, "transfer", TRANSFER)
    assert _post(client, split, _event(case, 1)).json()["status"] == "applied"
    accepted = _event(
        case,
        2,
        action="accept",
        from_status="pending_acceptance",
        to_status="accepted",
        practice_code=3,
        at=(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).isoformat(),
    )
    assert _post(client, split, accepted).json()["status"] == "applied"
    timeline = case_timeline(case)
    assert [(e.node, e.action) for e in timeline] == [
        ("hubei", "check"),
        ("hubei", "transfer"),
        ("henan", "receive_transfer"),
        ("henan", "accept"),
    ]
    assert ReplicatedCaseEvent.objects.filter(leg="handling").count() == 2


@pytest.mark.django_db
def test_a_peer_event_outside_the_transition_table_is_refused(
    client: Any, split: Path, world: Any
) -> None:
    case = make_case(world, status="received", accepted=False)
    response = _post(
        client,
        split,
        _event(case, 1, action="accept", from_status="received", to_status="accepted"),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert not ReplicatedCaseEvent.objects.exists()


@pytest.mark.django_db
def test_a_peer_may_not_act_for_the_leg_it_does_not_own(
    client: Any, split: Path, world: Any
) -> None:
    case = make_case(world, status="received", accepted=False)
    # 东湖's node performs the receiving place's check: the table gives it to 黄州
    response = _post(
        client, split, _event(case, 1, action="check", from_status="received", to_status="checked")
    )
    assert response.status_code == 409 and response.json()["code"] == "illegal_transition"
    # nor may it speak for 黄州
    response = _post(
        client,
        split,
        _event(
            case,
            1,
            action="check",
            from_status="received",
            to_status="checked",
            actor_jurisdiction="421102",
        ),
    )
    assert response.status_code == 403 and response.json()["code"] == "jurisdiction_not_served"
