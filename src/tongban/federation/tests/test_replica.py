"""One case, two nodes (ADR 0127): at transfer the receiving node sends the case; the
handling node makes its replica, where its officers act with the same transition table
and which never notifies the applicant; the handling node's events move the original on
the receiving node, which notifies its applicant once and shows one timeline.

Both "nodes" are this test process acting as one or the other (`act_as`); the two real
processes are in test_two_nodes.py. Hubei serves 黄州 (receiving), henan 东湖 (handling)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

from tongban.cases.actions import ActionInput, perform_case_action
from tongban.cases.models import Case
from tongban.cases.tests.conftest import ApiClient
from tongban.core.errors import DomainError
from tongban.federation import agreements as fed_agreements
from tongban.federation import envelope
from tongban.federation.models import (
    AgreementCheck,
    CaseReplica,
    OutboundMessage,
    ReplicatedCaseEvent,
)
from tongban.federation.replication import transfer_body
from tongban.federation.testing import act_as, make_federation, node_identity
from tongban.notifications.models import OutboxMessage
from tongban.testing.licences import make_case

NODES: dict[str, dict[str, Any]] = {
    "hubei": {"name": "湖北", "jurisdictions": ["421102", "420703400", "420205", "420115"]},
    "henan": {"name": "东湖节点", "jurisdictions": ["420100Z01"]},
}
TRANSFER = ActionInput(carrier="EMS", waybill_number="1100000000001")


@pytest.fixture
def split(settings: Any, tmp_path_factory: pytest.TempPathFactory, world: Any) -> Path:
    from tongban.federation.testing import PASSPHRASE

    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    directory = tmp_path_factory.mktemp("replica")
    make_federation(directory, {}, NODES)
    return directory


def _confirm(world: Any, peer: str) -> None:
    AgreementCheck.objects.create(
        peer=peer,
        agreement_code=world.agreement.code,
        agreement_version=world.agreement.version,
        fingerprint=fed_agreements.fingerprint(world.agreement),
        agreed=True,
        checked_at=dt.datetime.now(dt.UTC),
    )


def _claims(
    sender: str, to: str, case_ref: str, seq: int, kind: str, jurisdiction: str, body: Any
) -> dict[str, Any]:
    from tongban.agreements.models import Agreement

    return {
        "v": 1,
        "id": str(uuid.uuid4()),
        "from": sender,
        "to": to,
        "kind": kind,
        "case": case_ref,
        "seq": seq,
        "jurisdiction": jurisdiction,
        "agreement": fed_agreements.block(Agreement.objects.get(code="WEHH-2023")),
        "created": envelope.iso(dt.datetime.now(dt.UTC)),
        "body": body,
    }


def _post(client: Any, split: Path, sender: str, claims: dict[str, Any]) -> Any:
    identity = node_identity(split, sender, NODES[sender]["jurisdictions"])
    token = envelope.sign_message(identity, claims, dt.datetime.now(dt.UTC))
    return client.post(
        "/api/v1/federation/messages", {"jws": token}, content_type="application/json"
    )


def _transferred(world: Any, number: str | None = None) -> Case:
    case = make_case(world, status="received", accepted=False, number=number)
    clerk = world.user("421102-clerk")
    perform_case_action(clerk, case.number, "check", ActionInput())
    perform_case_action(clerk, case.number, "transfer", TRANSFER)
    case.refresh_from_db()
    return case


def _peer_event(seq: int, action: str, source: str, target: str, code: int) -> dict[str, Any]:
    return {
        "event_seq": seq,
        "action": action,
        "from_status": source,
        "to_status": target,
        "practice_code": code,
        "actor_role": "officer",
        "actor_jurisdiction": "420100Z01",
        "at": (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seq)).isoformat(),
        "reason": "",
        "mode": "proxy",
        "receiving": "421102",
        "handling": "420100Z01",
    }


HANDLING_MOVES = [
    ("receive_transfer", "in_transfer", "pending_acceptance", 1),
    ("receive_originals", "pending_acceptance", "pending_acceptance", 1),
    ("accept", "pending_acceptance", "accepted", 3),
    ("approve", "accepted", "approved", 11),
]


@pytest.mark.django_db
def test_the_transfer_sends_the_case_with_what_the_handling_authority_needs(
    settings: Any, split: Path, world: Any
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    case = _transferred(world)
    transfer = OutboundMessage.objects.get(kind="case.transfer")
    assert (transfer.peer, transfer.case_ref, transfer.seq) == ("henan", case.number, 3)
    assert transfer.jurisdiction == "421102"  # the receiving leg hands the case over
    body = transfer.body
    assert body["status"] == "in_transfer" and body["handling"] == "420100Z01"
    assert body["item"] == "ITEM-COMPANY"
    applicant = world.applicants["enterprise"]
    assert body["applicant"] == {
        "kind": "enterprise",
        "name": applicant.name,
        "uscc": applicant.uscc,
        "agent_name": applicant.agent_name,
        "agent_id_number": applicant.agent_id_number,
    }
    # the receiving node keeps the applicant relation: no phone, e-mail or address crosses
    assert applicant.phone not in str(body)
    assert [m["name"] for m in body["materials"]] == list(
        case.materials.order_by("id").values_list("name", flat=True)
    )
    assert body["originals"]["waybill_number"] == "1100000000001"


@pytest.mark.django_db
def test_the_handling_node_makes_a_replica_its_officer_decides_on_and_never_notifies(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    # the body Hubei would send for one of its cases, under a number Henan has never seen
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    body = transfer_body(_transferred(world))
    number = "421102-20991231-000001"
    body["number"] = number
    act_as(settings, split, "henan")
    _confirm(world, "hubei")
    answer = _post(
        client,
        split,
        "hubei",
        _claims("hubei", "henan", number, 1, "case.transfer", "421102", body),
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "applied"
    replica = Case.objects.get(number=number)
    marker = CaseReplica.objects.get(case=replica)
    assert (marker.origin_node, marker.origin_number) == ("hubei", number)
    assert replica.status == "in_transfer" and replica.handling_jurisdiction.code == "420100Z01"
    assert replica.materials.count() == len(body["materials"])
    assert replica.applicant.uscc == world.applicants["enterprise"].uscc
    assert replica.submitted_by.username == "node-hubei" and not replica.submitted_by.is_active

    officer = world.user("420100Z01-officer")
    for index, (action, *_rest) in enumerate(HANDLING_MOVES):
        perform_case_action(officer, number, action, ActionInput())
        if index == 0:
            # the receiving leg is Hubei's: nobody acts in it on Henan's replica
            with pytest.raises(DomainError) as refused:
                perform_case_action(
                    world.user("421102-clerk"), number, "withdraw", ActionInput(reason="x")
                )
            assert refused.value.code == "action_not_permitted"
    replica.refresh_from_db()
    assert replica.status == "approved"
    # its own events, sent to the origin node in order; the applicant hears nothing here
    sent = list(OutboundMessage.objects.filter(case_ref=number).order_by("seq"))
    assert [(m.peer, m.body["action"]) for m in sent] == [
        ("hubei", action) for action, *_rest in HANDLING_MOVES
    ]
    assert not OutboxMessage.objects.filter(case=replica).exists()


@pytest.mark.django_db
def test_the_handling_nodes_moves_move_the_original_and_notify_its_applicant_once(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    case = _transferred(world)
    before = set(OutboxMessage.objects.filter(case=case).values_list("template", flat=True))
    # the handling leg is Henan's: its officers' accounts here (if any) cannot act in it
    with pytest.raises(DomainError) as refused:
        perform_case_action(
            world.user("420100Z01-officer"), case.number, "receive_transfer", ActionInput()
        )
    assert refused.value.code == "action_not_permitted"
    for seq, (action, source, target, code) in enumerate(HANDLING_MOVES, start=1):
        answer = _post(
            client,
            split,
            "henan",
            _claims(
                "henan",
                "hubei",
                case.number,
                seq,
                "case.event",
                "420100Z01",
                _peer_event(seq, action, source, target, code),
            ),
        )
        assert answer.json()["status"] == "applied", answer.json()
    case.refresh_from_db()
    assert (case.status, case.practice_code) == ("approved", 11)
    assert case.accepted_at is not None and case.decided_at is not None
    assert case.due_date is not None
    templates = list(
        OutboxMessage.objects.filter(case=case)
        .exclude(template__in=before)
        .values_list("template", flat=True)
    )
    assert sorted(templates) == ["accepted", "approved"]
    # nothing of the handling leg was written as this node's own event
    assert not case.events.filter(action__in=["accept", "approve"]).exists()

    # one timeline: the clerk's API and page show both nodes' events
    api = ApiClient(world.user("421102-clerk"))
    detail = api.get(f"/cases/{case.number}").json()
    assert [e["action"] for e in detail["events"]] == ["check", "transfer"]
    assert [(e["node"], e["action"]) for e in detail["peer_events"]] == [
        ("henan", action) for action, *_rest in HANDLING_MOVES
    ]
    assert detail["status"] == "approved"
    client.force_login(world.user("421102-clerk"))
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert page.count('data-node="henan"') == len(HANDLING_MOVES)
    assert "节点 henan · 审批经办人员 · 东湖" in page

    # out of jurisdiction and unauthenticated: the timeline is not shown
    assert ApiClient(world.user("420115-clerk")).get(f"/cases/{case.number}").status_code == 404
    assert ApiClient(None).get(f"/cases/{case.number}").status_code == 401


@pytest.mark.django_db
def test_a_peer_move_that_finds_the_case_elsewhere_keeps_its_status(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    case = _transferred(world)
    # the applicant withdrew here while Henan received the transfer
    perform_case_action(
        world.user("421102-clerk"), case.number, "withdraw", ActionInput(reason="不办了")
    )
    event = _peer_event(1, "receive_transfer", "in_transfer", "pending_acceptance", 1)
    answer = _post(
        client,
        split,
        "henan",
        _claims("henan", "hubei", case.number, 1, "case.event", "420100Z01", event),
    )
    assert answer.json()["status"] == "applied"
    case.refresh_from_db()
    assert case.status == "withdrawn"
    assert ReplicatedCaseEvent.objects.filter(case_ref=case.number).count() == 1


@pytest.mark.django_db
def test_a_transfer_from_a_node_that_is_not_the_receiving_leg_is_refused(
    client: Any, settings: Any, split: Path, world: Any
) -> None:
    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    body = transfer_body(_transferred(world))
    number = "421102-20991231-000002"
    body["number"] = number
    act_as(settings, split, "henan")
    # Hubei speaks for 铁山, which it serves, but 铁山 is not the case's receiving leg
    refused = _post(
        client,
        split,
        "hubei",
        _claims("hubei", "henan", number, 1, "case.transfer", "420205", body),
    )
    assert refused.status_code == 403 and refused.json()["code"] == "jurisdiction_not_served"
    # a case whose handling place this node does not serve
    body["handling"] = "420205"
    refused = _post(
        client,
        split,
        "hubei",
        _claims("hubei", "henan", number, 1, "case.transfer", "421102", body),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "illegal_transition"
    assert not Case.objects.filter(number=number).exists()


@pytest.mark.django_db
def test_a_gedian_clerk_receiving_for_huangchuan_sends_the_case_to_henan(
    settings: Any, tmp_path_factory: pytest.TempPathFactory, world: Any
) -> None:
    from tongban.federation.testing import PASSPHRASE
    from tongban.federation.tests.xinyang import AGREEMENT, add_xinyang, receive_for_huangchuan

    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    directory = tmp_path_factory.mktemp("xinyang")
    make_federation(directory, {})  # the two-node tests' nodes: henan serves 潢川
    act_as(settings, directory, "hubei")
    add_xinyang()
    from tongban.agreements.models import Agreement

    agreement = Agreement.objects.get(code=AGREEMENT)
    AgreementCheck.objects.create(
        peer="henan",
        agreement_code=AGREEMENT,
        agreement_version=agreement.version,
        fingerprint=fed_agreements.fingerprint(agreement),
        agreed=True,
        checked_at=dt.datetime.now(dt.UTC),
    )
    number = receive_for_huangchuan()
    kinds = list(
        OutboundMessage.objects.filter(case_ref=number).order_by("seq").values_list("kind", "peer")
    )
    assert kinds == [("case.event", "henan")] * 3 + [("case.transfer", "henan")]


@pytest.mark.django_db
def test_an_online_application_for_a_jurisdiction_of_another_node_is_refused_here(
    settings: Any, split: Path, world: Any
) -> None:
    from tongban.cases.actions import submit_case
    from tongban.web.tests.conftest import company_input

    act_as(settings, split, "hubei")
    _confirm(world, "henan")
    # 全程网办 for 东湖 (henan's): no leg here, nobody could act on it: refused, nothing kept
    applicant = world.applicants["enterprise"]
    data = company_input(
        world, None, "420100Z01", mode="online", channel="web", delivery_method="electronic"
    )
    with pytest.raises(DomainError) as refused:
        submit_case(applicant.user, data)
    assert refused.value.code == "case_on_other_node"
    assert refused.value.details == {"peer": "henan"}
    assert not Case.objects.exists() and not OutboundMessage.objects.exists()
