"""多地联办 parts on other nodes (ADR 0134): a joint lead accepted on Hubei opens one part
at 葛店 (Hubei's) and one at 开铁 (Henan's in this test); the 开铁 part is sent to Henan,
which makes its replica and decides on it; Henan's events move Hubei's copy of the part
and the lead completes only when that part has ended, recording how it ended.

Both "nodes" are this test process acting as one or the other (`act_as`), as in
test_replica.py; a message from the other node is signed with that node's key and posted
to the node-to-node endpoint, so every check of the receive path applies."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

from tongban.agreements.models import Agreement
from tongban.cases.actions import ActionInput, perform_case_action
from tongban.cases.models import Case
from tongban.cases.tests.conftest import TODAY, ApiClient, company_submission
from tongban.core.errors import DomainError
from tongban.federation import agreements as fed_agreements
from tongban.federation import envelope
from tongban.federation.models import (
    AgreementCheck,
    CaseReplica,
    OutboundMessage,
    RejectedMessage,
)
from tongban.federation.testing import PASSPHRASE, act_as, make_federation, node_identity
from tongban.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

LEAD, LOCAL, REMOTE = "420100Z01", "420703400", "420205"  # 东湖 leads; 葛店 here, 开铁 on Henan
NODES: dict[str, dict[str, Any]] = {
    "hubei": {"name": "湖北", "jurisdictions": ["421102", LEAD, LOCAL, "420115"]},
    "henan": {"name": "开铁节点", "jurisdictions": [REMOTE]},
}


@pytest.fixture
def split(settings: Any, tmp_path_factory: pytest.TempPathFactory, world: Any) -> Path:
    settings.TONGBAN_PKI_PASSPHRASE = PASSPHRASE
    directory = tmp_path_factory.mktemp("joint")
    make_federation(directory, {}, NODES)
    return directory


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def api(world: Any, settings: Any, pki_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An API client per user (None: unauthenticated), on the cases tests' fixed day,
    with the licence PKI the lead's and the parts' results are signed with."""
    from tongban.testing.licences import use_test_pki

    monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: TODAY)
    use_test_pki(settings, pki_dir)
    return lambda username: ApiClient(world.user(username) if username else None)


def _confirm(world: Any, peer: str) -> None:
    AgreementCheck.objects.create(
        peer=peer,
        agreement_code=world.agreement.code,
        agreement_version=world.agreement.version,
        fingerprint=fed_agreements.fingerprint(world.agreement),
        agreed=True,
        checked_at=dt.datetime.now(dt.UTC),
    )


def _as(settings: Any, split: Path, world: Any, node: str) -> None:
    act_as(settings, split, node)
    if not AgreementCheck.objects.filter(peer="henan" if node == "hubei" else "hubei").exists():
        _confirm(world, "henan" if node == "hubei" else "hubei")


def _post(
    client: Any,
    split: Path,
    sender: str,
    to: str,
    case_ref: str,
    seq: int,
    kind: str,
    jurisdiction: str,
    body: dict[str, Any],
) -> Any:
    claims = {
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
    identity = node_identity(split, sender, NODES[sender]["jurisdictions"])
    token = envelope.sign_message(identity, claims, dt.datetime.now(dt.UTC))
    return client.post(
        "/api/v1/federation/messages", {"jws": token}, content_type="application/json"
    )


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def _accepted_lead(world: Any, api: Any) -> tuple[str, str, str]:
    """On Hubei: a joint case received at 黄州, accepted at 东湖; its parts are open."""
    clerk = api("421102-clerk")
    body = company_submission(
        world,
        mode="joint",
        joint_parts=[{"jurisdiction": code, "item": "ITEM-COMPANY"} for code in (LOCAL, REMOTE)],
    )
    number = _ok(clerk.post("/cases", body), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="J1"))
    lead = api(f"{LEAD}-officer")
    _ok(lead.act(number, "receive_transfer"))
    _ok(lead.act(number, "accept"))
    parts = {
        c.handling_jurisdiction.code: c.number for c in Case.objects.filter(parent__number=number)
    }
    return number, parts[LOCAL], parts[REMOTE]


def _deliver_lead(api: Any, number: str) -> None:
    lead = api(f"{LEAD}-officer")
    for action, extra in (
        ("approve", {}),
        ("issue_result", {}),
        ("ship", {"method": "electronic"}),
    ):
        _ok(lead.act(number, action, **extra))


def _succeed_locally(api: Any, part: str) -> None:
    officer = api(f"{LOCAL}-officer")
    for action in ("accept", "approve", "issue_result", "ship", "complete"):
        _ok(officer.act(part, action))


def _event(
    seq: int,
    action: str,
    source: str,
    target: str,
    code: int,
    reason: str = "",
    actor: str = REMOTE,
    role: str = "officer",
    handling: str = REMOTE,
) -> dict[str, Any]:
    return {
        "event_seq": seq,
        "action": action,
        "from_status": source,
        "to_status": target,
        "practice_code": code,
        "actor_role": role,
        "actor_jurisdiction": actor,
        "at": (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seq)).isoformat(),
        "reason": reason,
        "mode": "joint",
        "receiving": LEAD,
        "handling": handling,
    }


# what 开铁's officer does on Henan, as Henan's events of the part (after its submit, #1)
REMOTE_SUCCESS = [
    ("accept", "pending_acceptance", "accepted", 3),
    ("approve", "accepted", "approved", 11),
    ("issue_result", "approved", "result_issued", 11),
    ("ship", "result_issued", "delivered", 11),
    ("complete", "delivered", "completed", 11),
]


def test_a_part_for_a_jurisdiction_of_the_peer_is_sent_there_when_the_lead_is_accepted(
    settings: Any, split: Path, world: Any, api: Any
) -> None:
    _as(settings, split, world, "hubei")
    number, local, remote = _accepted_lead(world, api)
    sent = list(OutboundMessage.objects.filter(case_ref=remote).order_by("seq"))
    assert [(m.peer, m.kind, m.seq) for m in sent] == [
        ("henan", "case.event", 1),
        ("henan", "case.part", 2),
    ]
    assert sent[0].body["action"] == "submit"
    part = sent[1]
    # the part's receiving leg (the lead's place) hands it over, with the lead's number
    assert part.jurisdiction == LEAD
    assert part.body["lead"] == number and part.body["mode"] == "joint"
    assert (part.body["receiving"], part.body["handling"]) == (LEAD, REMOTE)
    assert part.body["status"] == "pending_acceptance"
    assert [m["name"] for m in part.body["materials"]] == list(
        Case.objects.get(number=remote).materials.order_by("id").values_list("name", flat=True)
    )
    assert world.applicants["enterprise"].phone not in str(part.body)
    # the local part and the lead cross no border
    assert not OutboundMessage.objects.filter(case_ref__in=[number, local]).exists()


def test_accepting_the_lead_is_refused_while_the_agreement_is_not_confirmed_with_the_peer(
    settings: Any, split: Path, world: Any, api: Any
) -> None:
    act_as(settings, split, "hubei")  # no agreement check with henan
    clerk = api("421102-clerk")
    body = company_submission(
        world, mode="joint", joint_parts=[{"jurisdiction": REMOTE, "item": "ITEM-COMPANY"}]
    )
    number = _ok(clerk.post("/cases", body), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="J1"))
    lead = api(f"{LEAD}-officer")
    _ok(lead.act(number, "receive_transfer"))
    refused = lead.act(number, "accept")
    assert refused.status_code == 409 and refused.json()["code"] == "agreement_not_confirmed"
    assert Case.objects.get(number=number).status == "pending_acceptance"
    assert not Case.objects.filter(parent__number=number).exists()
    assert not OutboundMessage.objects.exists()


def test_the_lead_completes_only_when_the_part_on_the_peer_has_ended(
    client: Any, settings: Any, split: Path, world: Any, api: Any
) -> None:
    _as(settings, split, world, "hubei")
    number, local, remote = _accepted_lead(world, api)
    _deliver_lead(api, number)
    _succeed_locally(api, local)
    # Hubei's account for 开铁 (if any) cannot act in the part's leg: Henan owns it
    with pytest.raises(DomainError) as refused:
        perform_case_action(world.user(f"{REMOTE}-officer"), remote, "accept", ActionInput())
    assert refused.value.code == "action_not_permitted"
    for seq, (action, source, target, code) in enumerate(REMOTE_SUCCESS, start=1):
        assert Case.objects.get(number=number).status == "delivered"  # the part is open
        answer = _post(
            client,
            split,
            "henan",
            "hubei",
            remote,
            seq,
            "case.event",
            REMOTE,
            _event(seq + 1, action, source, target, code),
        )
        assert _ok(answer)["status"] == "applied"
    copy = Case.objects.get(number=remote)
    assert (copy.status, copy.practice_code) == ("completed", 11)
    assert not copy.events.exclude(action="submit").exists()  # Henan's events, not ours
    lead = ApiClient(world.user(f"{LEAD}-officer")).get(f"/cases/{number}").json()
    assert lead["status"] == "completed"
    assert lead["part_outcomes"] == {local: "succeeded", remote: "succeeded"}
    last = lead["events"][-1]
    assert (last["action"], last["actor_role"], last["data"]["partial"]) == (
        "complete",
        "system",
        False,
    )
    # the applicant hears of the remote part's moves from Hubei, which holds the relation,
    # and of the lead's completion once
    assert {"accepted", "approved"} <= set(
        OutboxMessage.objects.filter(case__number=remote).values_list("template", flat=True)
    )
    assert OutboxMessage.objects.filter(case__number=number, template="completed").count() == 1
    # the part's page shows Henan's events on its one timeline
    detail = ApiClient(world.user(f"{LEAD}-officer")).get(f"/cases/{remote}").json()
    assert [(e["node"], e["action"]) for e in detail["peer_events"]] == [
        ("henan", action) for action, *_ in REMOTE_SUCCESS
    ]


def test_a_part_refused_on_the_peer_is_recorded_with_its_reason(
    client: Any, settings: Any, split: Path, world: Any, api: Any
) -> None:
    _as(settings, split, world, "hubei")
    number, local, remote = _accepted_lead(world, api)
    _deliver_lead(api, number)
    _succeed_locally(api, local)
    refusal = _event(2, "refuse", "pending_acceptance", "refused", 5, reason="住所不在开铁辖区")
    answer = _post(client, split, "henan", "hubei", remote, 1, "case.event", REMOTE, refusal)
    assert _ok(answer)["status"] == "applied"
    assert Case.objects.get(number=remote).refusal_reason == "住所不在开铁辖区"
    lead = ApiClient(world.user(f"{LEAD}-officer")).get(f"/cases/{number}").json()
    assert lead["status"] == "completed"
    assert lead["part_outcomes"] == {local: "succeeded", remote: "failed"}
    assert lead["events"][-1]["data"]["failed_parts"] == [remote]
    notice = OutboxMessage.objects.get(case__number=number, template="completed")
    (line,) = notice.context["failed_parts"]
    assert remote in line and "开铁" in line and "住所不在开铁辖区" in line


def test_the_peer_may_not_move_the_local_part_and_is_logged(
    client: Any, settings: Any, split: Path, world: Any, api: Any
) -> None:
    _as(settings, split, world, "hubei")
    _number, local, remote = _accepted_lead(world, api)
    # Henan claims 葛店's part as if it handled it
    forged = _event(2, "accept", "pending_acceptance", "accepted", 3)
    answer = _post(client, split, "henan", "hubei", local, 1, "case.event", REMOTE, forged)
    assert answer.status_code == 403 and answer.json()["code"] == "jurisdiction_not_served"
    # or as if the applicant had withdrawn it (the applicant's steps come from Hubei)
    withdrawal = _event(
        2,
        "withdraw",
        "pending_acceptance",
        "withdrawn",
        2,
        actor="",
        role="applicant",
        handling=LOCAL,
    )
    answer = _post(client, split, "henan", "hubei", local, 1, "case.event", REMOTE, withdrawal)
    assert answer.status_code == 403 and answer.json()["code"] == "jurisdiction_not_served"
    # and for its own part it may not speak for the applicant either
    withdrawal["handling"] = REMOTE
    answer = _post(client, split, "henan", "hubei", remote, 1, "case.event", REMOTE, withdrawal)
    assert answer.status_code == 403 and answer.json()["code"] == "jurisdiction_not_served"
    assert (
        list(RejectedMessage.objects.values_list("claimed_peer", "code"))
        == [("henan", "jurisdiction_not_served")] * 3
    )
    assert Case.objects.get(number=local).status == "pending_acceptance"
    assert Case.objects.get(number=remote).status == "pending_acceptance"


def test_out_of_scope_reads_of_the_remote_part_are_404(
    settings: Any, split: Path, world: Any, api: Any
) -> None:
    _as(settings, split, world, "hubei")
    _number, _local, remote = _accepted_lead(world, api)
    assert ApiClient(world.user(f"{LEAD}-officer")).get(f"/cases/{remote}").status_code == 200
    for outsider in ("420115-clerk", f"{LOCAL}-officer"):
        assert ApiClient(world.user(outsider)).get(f"/cases/{remote}").status_code == 404
    assert ApiClient(None).get(f"/cases/{remote}").status_code == 401


def _henan_replica(
    client: Any, settings: Any, split: Path, world: Any, api: Any
) -> tuple[str, str]:
    """Henan's replica of the 开铁 part, made from the body Hubei sends, under a number
    Henan has never seen (one database plays both nodes)."""
    _as(settings, split, world, "hubei")
    lead, _local, remote = _accepted_lead(world, api)
    body = dict(OutboundMessage.objects.get(case_ref=remote, kind="case.part").body)
    number = f"{LEAD}-20991231-000001"
    body["number"] = number
    _as(settings, split, world, "henan")
    answer = _post(client, split, "hubei", "henan", number, 1, "case.part", LEAD, body)
    assert _ok(answer)["status"] == "applied"
    return lead, number


def test_the_peer_makes_a_replica_of_the_part_its_officer_decides_on(
    client: Any, settings: Any, split: Path, world: Any, api: Any
) -> None:
    lead, number = _henan_replica(client, settings, split, world, api)
    replica = Case.objects.get(number=number)
    assert (replica.mode, replica.status, replica.parent_id) == (
        "joint",
        "pending_acceptance",
        None,
    )
    assert replica.handling_jurisdiction.code == REMOTE
    marker = CaseReplica.objects.get(case=replica)
    assert (marker.origin_node, marker.message.body["lead"]) == ("hubei", lead)
    # the lead's place is Hubei's leg: nobody acts in it here
    with pytest.raises(DomainError) as refused:
        perform_case_action(
            world.user(f"{LEAD}-officer"), number, "withdraw", ActionInput(reason="x")
        )
    assert refused.value.code == "action_not_permitted"
    officer = world.user(f"{REMOTE}-officer")
    perform_case_action(officer, number, "accept", ActionInput())
    perform_case_action(officer, number, "deny", ActionInput(reason="经营范围涉及前置审批"))
    sent = list(OutboundMessage.objects.filter(case_ref=number).order_by("seq"))
    assert [
        (m.peer, m.jurisdiction, m.body["action"], m.body["actor_jurisdiction"]) for m in sent
    ] == [
        ("hubei", REMOTE, "accept", REMOTE),
        ("hubei", REMOTE, "deny", REMOTE),
    ]
    assert sent[1].body["reason"] == "经营范围涉及前置审批"
    assert not OutboxMessage.objects.filter(case=replica).exists()  # Hubei tells the applicant
    # the part's officer reads the part, not the lead; others read neither
    officer_api = ApiClient(officer)
    assert officer_api.get(f"/cases/{number}").status_code == 200
    assert officer_api.get(f"/cases/{lead}").status_code == 404
    assert ApiClient(world.user("420115-clerk")).get(f"/cases/{number}").status_code == 404


def test_a_part_must_arrive_in_its_initial_state_from_the_lead_place(
    client: Any, settings: Any, split: Path, world: Any, api: Any
) -> None:
    _as(settings, split, world, "hubei")
    _lead, _local, remote = _accepted_lead(world, api)
    body = dict(OutboundMessage.objects.get(case_ref=remote, kind="case.part").body)
    body["number"] = number = f"{LEAD}-20991231-000002"
    _as(settings, split, world, "henan")
    late = {**body, "status": "accepted"}
    answer = _post(client, split, "hubei", "henan", number, 1, "case.part", LEAD, late)
    assert answer.status_code == 409 and answer.json()["code"] == "illegal_transition"
    leadless = {**body, "lead": ""}
    answer = _post(client, split, "hubei", "henan", number, 1, "case.part", LEAD, leadless)
    assert answer.status_code == 400 and answer.json()["code"] == "malformed_message"
    # spoken for 黄州, which is not the part's receiving leg
    answer = _post(client, split, "hubei", "henan", number, 1, "case.part", "421102", body)
    assert answer.status_code == 403 and answer.json()["code"] == "jurisdiction_not_served"
    assert not Case.objects.filter(number=number).exists()


def test_a_lead_ended_as_a_whole_has_the_peer_end_its_undecided_part(
    client: Any, settings: Any, split: Path, world: Any, api: Any
) -> None:
    lead, number = _henan_replica(client, settings, split, world, api)
    remote = Case.objects.get(parent__number=lead, handling_jurisdiction__code=REMOTE).number
    local = Case.objects.get(parent__number=lead, handling_jurisdiction__code=LOCAL).number
    # on Hubei: 葛店's part is refused, the lead's officer ends the lead as a whole; the
    # open 开铁 part's ending row is Henan's leg: Hubei tells Henan and writes nothing
    _as(settings, split, world, "hubei")
    _ok(
        api(f"{LOCAL}-officer").act(
            local, "refuse", reason="不符合条件", competent_authority="某局"
        )
    )
    _ok(api(f"{LEAD}-officer").act(lead, "terminate", reason="必要部分未能办理"))
    copy = Case.objects.get(number=remote)
    assert copy.status == "pending_acceptance" and not copy.events.exclude(action="submit").exists()
    told = OutboundMessage.objects.get(case_ref=remote, kind="case.lead_ended")
    assert told.body == {
        "action": "terminate",
        "lead": lead,
        "lead_status": "terminated",
        "reason": "必要部分未能办理",
    }
    # on Henan: the message ends the replica by the table's row, as Henan's own event
    _as(settings, split, world, "henan")
    answer = _post(client, split, "hubei", "henan", number, 2, "case.lead_ended", LEAD, told.body)
    assert _ok(answer)["status"] == "applied"
    replica = Case.objects.get(number=number)
    assert (replica.status, replica.practice_code) == ("terminated", 15)
    event = replica.events.order_by("-seq").first()
    assert event is not None and (event.action, event.actor_role) == ("terminate", "system")
    assert lead in event.reason
    (sent,) = OutboundMessage.objects.filter(case_ref=number)
    assert (sent.body["action"], sent.body["actor_jurisdiction"]) == ("terminate", REMOTE)
    # back on Hubei, that event ends Hubei's copy; the lead's end already told the applicant
    _as(settings, split, world, "hubei")
    before = OutboxMessage.objects.filter(case__number=remote).count()
    answer = _post(client, split, "henan", "hubei", remote, 1, "case.event", REMOTE, sent.body)
    assert _ok(answer)["status"] == "applied"
    assert Case.objects.get(number=remote).status == "terminated"
    assert Case.objects.get(number=lead).status == "terminated"
    assert OutboxMessage.objects.filter(case__number=remote).count() == before


def test_withdrawing_the_lead_withdraws_the_remote_part_from_the_receiving_leg(
    settings: Any, split: Path, world: Any, api: Any
) -> None:
    _as(settings, split, world, "hubei")
    number, _local, remote = _accepted_lead(world, api)
    _ok(api("enterprise-1").act(number, "withdraw"))
    # withdrawal is the receiving leg's row, Hubei's: written here, replicated as Hubei's
    assert Case.objects.get(number=remote).status == "withdrawn"
    sent = OutboundMessage.objects.filter(case_ref=remote, kind="case.event").order_by("-seq")[0]
    assert (sent.body["action"], sent.body["actor_role"]) == ("withdraw", "system")
    assert sent.body["actor_jurisdiction"] == LEAD and sent.jurisdiction == LEAD
